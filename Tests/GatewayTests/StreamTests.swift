import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import Gateway
@testable import GatewayProtocol

/// Ordering, recovery and backpressure of PROTOCOL.md sections 5 and 10, over real sockets.
@Suite("Streams and fan-out", .serialized, .stopsServers)
struct StreamTests {
    static func generous(_ configuration: inout GatewayConfiguration) {
        configuration.writeLimits = .init(postsPerMinute: 100_000, commentsPerMinute: 100_000)
        configuration.inboundMessagesPerSecond = 100_000
        configuration.inboundBurst = 100_000
    }

    func subscribe(_ client: TestClient, _ stream: String, id: Int = 1, since: (Int, String)? = nil) async throws -> [String: Any] {
        var request: [String: Any] = ["op": "sub", "id": id, "stream": stream]
        if let since { request["since"] = ["offset": since.0, "epoch": since.1] }
        try await client.send(request)
        let answer = try await client.expect("subscribed")
        #expect(answer.int("id") == id)
        #expect(answer.string("stream") == stream)
        return answer
    }

    func post(_ client: TestClient, _ body: String, clientID: String, id: Int = 1) async throws -> [String: Any] {
        try await client.send(["op": "post", "id": id, "body": body, "client_id": clientID])
        while true {
            let message = try await client.message()
            if message.string("op") == "ack" { return message.object("result") }
            guard message.string("op") == "event" else { throw TestClientError(description: "expected an ack, got \(message)") }
        }
    }

    /// Collects `count` events of one stream, checking each is the next offset.
    func events(_ client: TestClient, stream: String, after start: Int, count: Int) async throws -> [[String: Any]] {
        var received: [[String: Any]] = []
        var expected = start + 1
        while received.count < count {
            let message = try await client.message()
            guard message.string("op") == "event", message.string("stream") == stream else { continue }
            #expect(message.int("offset") == expected, "offsets must be contiguous and in order")
            expected = (message.int("offset") ?? expected) + 1
            received.append(message)
        }
        return received
    }

    @Test("a subscription starts at the stream's committed head, also after a restart, and takes every later event live")
    func startsAtHead() async throws {
        let server = try await TestServer.start(configure: Self.generous)
        let writer = try await server.identified("u_writer")
        for index in 1...3 { _ = try await post(writer, "before \(index)", clientID: "b\(index)") }
        if case .sqlite = server.storeLocation {
            #expect(server.runtime.store.subscriptionStartFromMemory(.feed, since: nil)?.position.offset == 3,
                    "the SQLite store answers a start at the head from memory")
        }
        let reader = try await server.identified("u_reader")
        let start = try await subscribe(reader, "feed")
        #expect(start.int("offset") == 3)
        let epoch = try #require(start.string("epoch"))
        let ahead = try await server.identified("u_ahead")
        let aheadStart = try await subscribe(ahead, "feed", since: (9, epoch))
        #expect(aheadStart.int("offset") == 3 && aheadStart["recovered"] as? Bool == false, "an offset the stream never reached is not recovered")
        let otherEpoch = try await server.identified("u_other_epoch")
        let otherStart = try await subscribe(otherEpoch, "feed", since: (3, "e_elsewhere"))
        #expect(otherStart.int("offset") == 3 && otherStart["recovered"] as? Bool == false, "another epoch's offset is not recovered")
        _ = try await post(writer, "after", clientID: "a1")
        #expect(try await events(reader, stream: "feed", after: 3, count: 1).first?.object("data").string("body") == "after")
        let resumed = try await server.identified("u_resumed")
        let resumedStart = try await subscribe(resumed, "feed", since: (4, epoch))
        #expect(resumedStart.int("offset") == 4 && resumedStart["recovered"] as? Bool == true)
        let behind = try await server.identified("u_behind")
        #expect(try await subscribe(behind, "feed", since: (2, epoch))["recovered"] as? Bool == true)
        #expect(try await events(behind, stream: "feed", after: 2, count: 2).count == 2, "a resume behind the head replays")
        await server.stop()

        let restarted = try await TestServer.start(dataDirectory: server.dataDirectory, configure: Self.generous)
        let later = try await restarted.identified("u_later")
        #expect(try await subscribe(later, "feed").int("offset") == 4, "the head is the file's after a restart")
        let user = try await subscribe(later, "user:u_later", id: 2)
        #expect(user.int("offset") == 0)
    }

    @Test("concurrent writers: every subscriber sees every offset once, in order, matching the acks")
    func concurrentOrdering() async throws {
        let server = try await TestServer.start(configure: Self.generous)
        var subscribers: [TestClient] = []
        for index in 0..<3 {
            let client = try await server.identified("u_reader\(index)")
            #expect(try await subscribe(client, "feed").int("offset") == 0)
            subscribers.append(client)
        }
        let writers = 4
        let postsEach = 25
        let ackedOffsets = try await withThrowingTaskGroup(of: [Int].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    let client = try await server.identified("u_writer\(writer)")
                    var offsets: [Int] = []
                    // Pipelined: all sent before any ack is read.
                    for index in 0..<postsEach {
                        try await client.send(["op": "post", "id": index, "body": "post \(index) from \(writer)", "client_id": "w\(writer)-\(index)"])
                    }
                    while offsets.count < postsEach {
                        let message = try await client.message()
                        if message.string("op") == "ack" { offsets.append(message.object("result").int("offset")!) }
                    }
                    return offsets
                }
            }
            var all: [Int] = []
            for try await offsets in group { all += offsets }
            return all
        }
        let total = writers * postsEach
        #expect(ackedOffsets.sorted() == Array(1...total))
        for subscriber in subscribers {
            let received = try await events(subscriber, stream: "feed", after: 0, count: total)
            #expect(received.compactMap { $0.int("offset") } == Array(1...total))
            #expect(Set(received.compactMap { $0.object("data").string("id") }).count == total)
        }
    }

    @Test("comments to one thread from many writers arrive in thread order to all subscribers")
    func threadOrdering() async throws {
        let server = try await TestServer.start(configure: Self.generous)
        let author = try await server.identified("u_author")
        let postID = try await post(author, "a thread", clientID: "t").object("post").string("id")!
        let watcher = try await server.identified("u_watcher")
        _ = try await subscribe(watcher, "thread:\(postID)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<3 {
                group.addTask {
                    let client = try await server.identified("u_c\(writer)")
                    let replies = try await client.requestAll(
                        (0..<20).map { ["op": "comment", "id": $0, "post_id": postID, "body": "c\($0)", "client_id": "c\(writer)-\($0)"] })
                    let refused = replies.values.filter { $0.string("op") != "ack" }.map { $0.string("message") ?? "no message" }
                    #expect(refused.isEmpty, "every comment is acked")
                }
            }
            try await group.waitForAll()
        }
        let received = try await events(watcher, stream: "thread:\(postID)", after: 0, count: 60)
        #expect(received.allSatisfy { $0.string("type") == "comment.created" })
        let thread = try await server.http("GET", "/v1/posts/\(postID)")
        #expect(thread.json.object("post").int("comment_count") == 60)
        #expect(thread.json.int("offset") == 60)
        #expect((thread.json["comments"] as? [[String: Any]])?.count == 60)
    }

    @Test("recovery with since: exactly the missed events, then live, no duplicates")
    func recovery() async throws {
        let server = try await TestServer.start(configure: Self.generous)
        let writer = try await server.identified("u_writer")
        let reader = try await server.identified("u_reader")
        let subscribed = try await subscribe(reader, "feed")
        let epoch = subscribed.string("epoch")!
        for index in 0..<5 { _ = try await post(writer, "before \(index)", clientID: "b\(index)") }
        _ = try await events(reader, stream: "feed", after: 0, count: 5)
        reader.close()
        for index in 0..<7 { _ = try await post(writer, "missed \(index)", clientID: "m\(index)") }

        let back = try await server.identified("u_reader")
        let resumed = try await subscribe(back, "feed", since: (5, epoch))
        #expect(resumed["recovered"] as? Bool == true)
        #expect(resumed.int("offset") == 12)
        let missed = try await events(back, stream: "feed", after: 5, count: 7)
        #expect(missed.map { $0.object("data").string("body") ?? "" } == (0..<7).map { "missed \($0)" })
        _ = try await post(writer, "live", clientID: "live")
        let live = try await events(back, stream: "feed", after: 12, count: 1)
        #expect(live.first?.object("data").string("body") == "live")
        #expect(await back.staysQuiet(for: .milliseconds(300)))

        // A wrong epoch or an offset from the future cannot be recovered: live only.
        let other = try await server.identified("u_other")
        let wrongEpoch = try await subscribe(other, "feed", since: (5, "e_somewhere_else"))
        #expect(wrongEpoch["recovered"] as? Bool == false)
        #expect(wrongEpoch.int("offset") == 13)
        let future = try await subscribe(other, "thread:\(live.first!.object("data").string("id")!)", id: 2, since: (99, epoch))
        #expect(future["recovered"] as? Bool == false)
        #expect(await other.staysQuiet(for: .milliseconds(300)))
        // Since the latest offset: recovered, nothing to replay.
        let current = try await server.identified("u_current")
        let upToDate = try await subscribe(current, "feed", since: (13, epoch))
        #expect(upToDate["recovered"] as? Bool == true)
        #expect(await current.staysQuiet(for: .milliseconds(300)))
    }

    @Test("events pruned past the retention cannot be recovered")
    func pruned() async throws {
        let server = try await TestServer.start {
            Self.generous(&$0)
            $0.store.retainedEventsPerStream = 3
            $0.store.retainedEventAge = .seconds(0)
        }
        let writer = try await server.identified("u_writer")
        for index in 0..<10 { _ = try await post(writer, "p\(index)", clientID: "p\(index)") }
        try await server.runtime.store.prune()
        let reader = try await server.identified("u_reader")
        let epoch = (try await server.http("GET", "/v1/feed")).json.string("epoch")!
        let tooOld = try await subscribe(reader, "feed", since: (2, epoch))
        #expect(tooOld["recovered"] as? Bool == false)
        let recent = try await subscribe(try await server.identified("u_recent"), "feed", since: (7, epoch))
        #expect(recent["recovered"] as? Bool == true)
    }

    @Test("snapshot over HTTP, then subscribe since its offset, while writes go on: no gap, no duplicate")
    func snapshotThenSubscribe() async throws {
        let server = try await TestServer.start(configure: Self.generous)
        let writer = try await server.identified("u_writer")
        let total = 60
        let writing = Task {
            var ids: [String] = []
            for index in 0..<total {
                ids.append(try await post(writer, "n\(index)", clientID: "n\(index)").object("post").string("id")!)
            }
            return ids
        }
        try await Task.sleep(for: .milliseconds(30))
        let snapshot = try await server.http("GET", "/v1/feed?limit=100")
        let offset = snapshot.json.int("offset")!
        let snapshotIDs = (snapshot.json["posts"] as? [[String: Any]] ?? []).compactMap { $0.string("id") }
        #expect(snapshotIDs.count == offset, "the snapshot holds exactly the posts up to its offset")
        let reader = try await server.identified("u_reader")
        let subscribed = try await subscribe(reader, "feed", since: (offset, snapshot.json.string("epoch")!))
        #expect(subscribed["recovered"] as? Bool == true)
        let written = try await writing.value
        let rest = try await events(reader, stream: "feed", after: offset, count: total - offset)
        let seen = snapshotIDs + rest.compactMap { $0.object("data").string("id") }
        #expect(Set(seen) == Set(written))
        #expect(seen.count == written.count)
    }

    @Test("subscription errors: unknown stream, thread of unknown post, other user's stream, twice, too many, unsub")
    func subscriptionErrors() async throws {
        let server = try await TestServer.start { $0.maxSubscriptionsPerConnection = 2 }
        let client = try await server.identified("u_me")
        func error(_ request: [String: Any]) async throws -> String? {
            try await client.send(request)
            return try await client.expect("error").string("code")
        }
        #expect(try await error(["op": "sub", "id": 1, "stream": "nonsense"]) == "not_found")
        #expect(try await error(["op": "sub", "id": 2, "stream": "thread:p_nothere"]) == "not_found")
        #expect(try await error(["op": "sub", "id": 3, "stream": "user:u_other"]) == "forbidden")
        #expect(try await error(["op": "sub", "id": 4, "stream": 5]) == "bad_request")
        #expect(try await error(["op": "sub", "id": 5, "stream": "feed", "since": ["offset": "x", "epoch": "e"]]) == "bad_request")
        _ = try await subscribe(client, "feed")
        #expect(try await error(["op": "sub", "id": 6, "stream": "feed"]) == "already_subscribed")
        _ = try await subscribe(client, "user:u_me", id: 7)
        #expect(try await error(["op": "sub", "id": 8, "stream": "user:u_me2"]) == "forbidden")
        let thirdPost = try await post(client, "x", clientID: "x", id: 9)
        #expect(try await error(["op": "sub", "id": 10, "stream": "thread:\(thirdPost.object("post").string("id")!)"]) == "too_many_subscriptions")
        #expect(try await error(["op": "unsub", "id": 11, "stream": "thread:p_x"]) == "bad_request")
        try await client.send(["op": "unsub", "id": 12, "stream": "feed"])
        // The post's own event may come before the unsubscribed reply; nothing of feed after it.
        while true {
            let message = try await client.message()
            if message.string("op") == "unsubscribed" {
                #expect(message.int("id") == 12)
                break
            }
        }
        _ = try await post(client, "after unsub", clientID: "y", id: 13)
        #expect(await client.staysQuiet(for: .milliseconds(300)))

        let anonymous = try await server.connect()
        try await anonymous.send(["op": "identify"])
        _ = try await anonymous.expect("ready")
        try await anonymous.send(["op": "sub", "id": 1, "stream": "user:u_me"])
        #expect(try await anonymous.expect("error").string("code") == "forbidden")
        _ = try await subscribe(anonymous, "feed", id: 2)
    }

    @Test("a client that stops reading gets 4010 while others keep receiving everything")
    func slowConsumer() async throws {
        let server = try await TestServer.start {
            Self.generous(&$0)
            // The close frame waits for the slow reader however slowly a loaded machine runs this.
            $0.closeGracePeriod = .seconds(60)
            $0.outboundQueueBytes = 64 * 1024
        }
        let slow = try await server.identified("u_slow")
        _ = try await subscribe(slow, "feed")
        let fast = try await server.identified("u_fast")
        _ = try await subscribe(fast, "feed")
        try await slow.channel.setOption(ChannelOptions.autoRead, value: false).get()
        let writer = try await server.identified("u_writer")
        // More than the kernel's socket buffers on loopback can hold (several MiB), so that the
        // gateway's own queue has to fill.
        let body = String(repeating: "慢", count: 3000)
        let total = 1200
        for index in 0..<total {
            try await writer.send(["op": "post", "id": index, "body": body, "client_id": "s\(index)"])
        }
        let fastReader = Task { try await events(fast, stream: "feed", after: 0, count: total).count }
        var acks = 0
        while acks < total { if try await writer.message().string("op") == "ack" { acks += 1 } }
        // Once the gateway has given up on the slow reader, it reads again and finds the close
        // frame after what was queued (the gateway waits closeGracePeriod for it).
        for _ in 0..<100 where try await server.scrape()[#"gatewayd_closes_total{code="4010"}"#] == nil {
            try await Task.sleep(for: .milliseconds(100))
        }
        let samples = try await server.scrape()
        #expect(samples[#"gatewayd_closes_total{code="4010"}"#] == 1)
        #expect(samples["gatewayd_outbound_overflows_total"] == 1)
        try await slow.channel.setOption(ChannelOptions.autoRead, value: true).get()
        #expect(try await slow.expectClose(timeout: .seconds(10)) == 4010)
        #expect(try await fastReader.value == total)
    }

    @Test("typing goes to the thread's other subscribers, at most once per interval")
    func typing() async throws {
        let server = try await TestServer.start { $0.typingInterval = .milliseconds(500) }
        let author = try await server.identified("u_typist")
        let postID = try await post(author, "typing here", clientID: "t").object("post").string("id")!
        let stream = "thread:\(postID)"
        _ = try await subscribe(author, stream, id: 2)
        let watcher = try await server.identified("u_watch")
        _ = try await subscribe(watcher, stream)
        try await author.send(["op": "typing", "stream": stream])
        try await author.send(["op": "typing", "stream": stream])
        let typing = try await watcher.expect("typing")
        #expect(typing.string("stream") == stream)
        #expect(typing.object("user").string("id") == "u_typist")
        #expect(await watcher.staysQuiet(for: .milliseconds(200)), "the second signal within the interval is dropped")
        #expect(await author.staysQuiet(for: .milliseconds(50)), "the typist does not get its own signal")
        try await Task.sleep(for: .milliseconds(400))
        try await author.send(["op": "typing", "stream": stream])
        _ = try await watcher.expect("typing")
        try await author.send(["op": "typing", "id": 9, "stream": "feed"])
        #expect(try await author.expect("error").string("code") == "bad_request")
    }

    /// Posts of 9 KB each, written and acknowledged; the writer stays subscribed to nothing.
    func writeHistory(_ server: TestServer, posts: Int) async throws -> (writer: TestClient, epoch: String) {
        let writer = try await server.identified("u_writer")
        let epoch = try await server.http("GET", "/v1/feed?limit=1").json.string("epoch")!
        let body = String(repeating: "追", count: 3000)
        for index in 0..<posts {
            try await writer.send(["op": "post", "id": index, "body": body, "client_id": "h\(index)"])
        }
        var acks = 0
        while acks < posts { if try await writer.message().string("op") == "ack" { acks += 1 } }
        return (writer, epoch)
    }

    @Test("a client far behind catches up through a replay many times its queue, with live events in order after it")
    func catchUpIsPaced() async throws {
        let server = try await TestServer.start {
            Self.generous(&$0)
            $0.outboundQueueBytes = 64 * 1024
        }
        // About 2.7 MB of history against a 64 KiB queue: pushed at once it would overflow 40 times.
        let history = 300
        let (writer, epoch) = try await writeHistory(server, posts: history)
        let reader = try await server.identified("u_behind")
        _ = try await subscribe(reader, "feed", since: (0, epoch))
        // Live posts while the replay runs: they follow it, in order, once each.
        let live = 20
        for index in 0..<live {
            try await writer.send(["op": "post", "id": 1000 + index, "body": "live \(index)", "client_id": "l\(index)"])
        }
        let received = try await events(reader, stream: "feed", after: 0, count: history + live)
        #expect(received.count == history + live)
        // Pipelined writes commit in any order; all of them come after the history.
        #expect(Set(received.suffix(live).compactMap { $0.object("data").string("body") }) == Set((0..<live).map { "live \($0)" }))
        #expect(await reader.staysQuiet(for: .milliseconds(200)), "nothing after the last event, and no close")
        #expect(try await server.scrape()[#"gatewayd_closes_total{code="4010"}"#] == nil)
    }

    @Test("a replay whose events are each larger than half the queue still goes through")
    func catchUpWithLargeEvents() async throws {
        let server = try await TestServer.start {
            Self.generous(&$0)
            // 16 KiB: each 9 KB post is more than half of it.
            $0.outboundQueueBytes = 16 * 1024
        }
        let (_, epoch) = try await writeHistory(server, posts: 40)
        let reader = try await server.identified("u_behind")
        _ = try await subscribe(reader, "feed", since: (0, epoch))
        #expect(try await events(reader, stream: "feed", after: 0, count: 40).count == 40)
    }

    @Test("a client that stops reading during a replay is closed with 4010")
    func stalledCatchUp() async throws {
        let server = try await TestServer.start {
            Self.generous(&$0)
            $0.outboundQueueBytes = 64 * 1024
            $0.catchUpStallTimeout = .seconds(1)
            $0.closeGracePeriod = .seconds(30)
        }
        // More than loopback's socket buffers hold, so that the gateway's own queue has to wait.
        let (_, epoch) = try await writeHistory(server, posts: 1200)
        let reader = try await server.identified("u_stalled")
        try await reader.channel.setOption(ChannelOptions.autoRead, value: false).get()
        try await reader.send(["op": "sub", "id": 1, "stream": "feed", "since": ["offset": 0, "epoch": epoch]])
        for _ in 0..<100 where try await server.scrape()[#"gatewayd_closes_total{code="4010"}"#] == nil {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await server.scrape()[#"gatewayd_closes_total{code="4010"}"#] == 1)
        try await reader.channel.setOption(ChannelOptions.autoRead, value: true).get()
        #expect(try await reader.expectClose(timeout: .seconds(20)) == 4010)
    }

    @Test("a replay never sends a deleted body again: the object comes back empty and marked deleted")
    func deletedIsGoneFromReplay() async throws {
        let server = try await TestServer.start()
        let author = try await server.identified("u_regret")
        let epoch = try await subscribe(author, "feed").string("epoch")!
        let kept = try await post(author, "this one stays", clientID: "k").object("post").string("id")!
        let gone = try await post(author, "this one I regret", clientID: "g").object("post").string("id")!
        let commentAck = try await author.request(["op": "comment", "post_id": kept, "body": "a comment I regret", "client_id": "gc"])
        let commentID = commentAck.object("result").object("comment").string("id")!
        for target in [gone, commentID] {
            #expect(try await author.request(["op": "delete", "target": target]).string("op") == "ack")
        }
        let anonymous = try await server.connect()
        try await anonymous.send(["op": "identify"])
        _ = try await anonymous.expect("ready")
        _ = try await subscribe(anonymous, "feed", since: (0, epoch))
        let feed = try await events(anonymous, stream: "feed", after: 0, count: 3)
        #expect(feed.map { $0.string("type") } == ["post.created", "post.created", "post.deleted"])
        #expect(feed[0].object("data").string("body") == "this one stays")
        #expect(feed[1].object("data").string("id") == gone)
        #expect(feed[1].object("data").string("body") == "")
        #expect(feed[1].object("data")["deleted"] as? Bool == true)
        _ = try await subscribe(anonymous, "thread:\(kept)", id: 2, since: (0, epoch))
        let thread = try await events(anonymous, stream: "thread:\(kept)", after: 0, count: 2)
        #expect(thread[0].object("data").string("body") == "")
        #expect(thread[0].object("data")["deleted"] as? Bool == true)
        #expect(thread[1].string("type") == "comment.deleted")
        // The author's retry of the same client_id gets its ack, without the body either.
        try await author.send(["op": "post", "id": 9, "body": "this one I regret", "client_id": "g"])
        let retry = try await author.expect("ack")
        #expect(retry.object("result").object("post").string("body") == "")
        #expect(try await server.http("GET", "/v1/posts/\(gone)").status == 404)
    }
}
