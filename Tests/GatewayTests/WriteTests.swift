import Foundation
import Testing
@testable import Gateway
@testable import GatewayProtocol

/// Writes of PROTOCOL.md section 6: validation, idempotency, authorization, limits, notifications.
@Suite("Writes", .serialized, .stopsServers)
struct WriteTests {
    /// Sends a request and returns the reply to it (ack or error), skipping events.
    func post(_ client: TestClient, _ body: String, clientID: String) async throws -> String {
        let ack = try await client.request(["op": "post", "id": 1, "body": body, "client_id": clientID])
        return ack.object("result").object("post").string("id")!
    }

    @Test("validation: empty, too large, control characters, missing client_id, unknown targets")
    func validation() async throws {
        let server = try await TestServer.start { $0.maxBodyScalars = 10 }
        let client = try await server.identified("u_writer")
        func code(_ object: [String: Any]) async throws -> String? {
            let reply = try await client.request(object)
            #expect(reply.string("op") == "error")
            #expect(reply.int("id") == object["id"] as? Int)
            #expect((reply.string("message") ?? "").count > 10, "errors carry a message a person can read")
            return reply.string("code")
        }
        #expect(try await code(["op": "post", "id": 1, "body": "  \n ", "client_id": "a"]) == "bad_request")
        #expect(try await code(["op": "post", "id": 2, "body": "12345678901", "client_id": "a"]) == "too_large")
        #expect(try await code(["op": "post", "id": 3, "body": "bell\u{07}", "client_id": "a"]) == "bad_request")
        #expect(try await code(["op": "post", "id": 4, "body": "ok"]) == "bad_request")
        #expect(try await code(["op": "post", "id": 5, "body": "ok", "client_id": String(repeating: "x", count: 65)]) == "bad_request")
        #expect(try await code(["op": "post", "id": 6, "body": "ok", "client_id": "a", "bots": "maybe"]) == "bad_request")
        #expect(try await code(["op": "comment", "id": 7, "post_id": "p_missing", "body": "hi", "client_id": "b"]) == "not_found")
        #expect(try await code(["op": "react", "id": 8, "target": "p_missing", "emoji": "👍", "on": true]) == "not_found")
        #expect(try await code(["op": "react", "id": 9, "target": "x_1", "emoji": "👍", "on": true]) == "bad_request")
        #expect(try await code(["op": "react", "id": 10, "target": "p_1", "emoji": "ok", "on": true]) == "bad_request")
        #expect(try await code(["op": "delete", "id": 11, "target": "c_missing"]) == "not_found")
        #expect(try await code(["op": "mute", "id": 12, "bot": "b_nobody", "scope": "all", "on": true]) == "not_found")
        #expect(try await code(["op": "mute", "id": 13, "bot": "b_x", "scope": "everywhere", "on": true]) == "bad_request")
        // Ten scalars exactly, after trimming and CRLF folding, is accepted and stored with \n.
        let ack = try await client.request(["op": "post", "id": 14, "body": "  1234\r\n5678\t ", "client_id": "ok"])
        #expect(ack.object("result").object("post").string("body") == "1234\n5678")
    }

    @Test("client_id makes writes idempotent per user, across WebSocket and HTTP; reuse for other content is a conflict")
    func idempotency() async throws {
        let server = try await TestServer.start()
        let client = try await server.identified("u_retry")
        let first = try await client.request(["op": "post", "id": 1, "body": "once", "client_id": "same"])
        let again = try await client.request(["op": "post", "id": 2, "body": "once", "client_id": "same"])
        #expect(again.int("id") == 2)
        #expect(NSDictionary(dictionary: first.object("result")) == NSDictionary(dictionary: again.object("result")))
        let viaHTTP = try await server.http("POST", "/v1/posts", token: try await server.token("u_retry"), body: ["body": "once", "client_id": "same"])
        #expect(viaHTTP.status == 201)
        #expect(viaHTTP.json.object("post").string("id") == first.object("result").object("post").string("id"))
        let conflict = try await client.request(["op": "post", "id": 3, "body": "different", "client_id": "same"])
        #expect(conflict.string("code") == "conflict")
        let otherUser = try await server.identified("u_someone")
        let theirs = try await otherUser.request(["op": "post", "id": 1, "body": "once", "client_id": "same"])
        #expect(theirs.object("result").object("post").string("id") != first.object("result").object("post").string("id"))
        let feed = try await server.http("GET", "/v1/feed")
        #expect((feed.json["posts"] as? [Any])?.count == 2)
        #expect(feed.json.int("offset") == 2)

        // Comments too, with the same thread offset on retry.
        let postID = first.object("result").object("post").string("id")!
        let comment = try await client.request(["op": "comment", "id": 4, "post_id": postID, "body": "c", "client_id": "cc"])
        let commentAgain = try await client.request(["op": "comment", "id": 5, "post_id": postID, "body": "c", "client_id": "cc"])
        #expect(comment.object("result").int("offset") == 1)
        #expect(commentAgain.object("result").int("offset") == 1)
        #expect(commentAgain.object("result").object("comment").string("id") == comment.object("result").object("comment").string("id"))
    }

    @Test("per-user rate limits over WebSocket and HTTP together; a retry of a written client_id still gets its ack")
    func rateLimits() async throws {
        let server = try await TestServer.start { $0.writeLimits = .init(postsPerMinute: 3, commentsPerMinute: 2) }
        let client = try await server.identified("u_fast")
        let token = try await server.token("u_fast")
        let firstSent = ContinuousClock.now
        _ = try await post(client, "one", clientID: "1")
        let http = try await server.http("POST", "/v1/posts", token: token, body: ["body": "two", "client_id": "2"])
        #expect(http.status == 201)
        _ = try await post(client, "three", clientID: "3")
        let limited = try await client.request(["op": "post", "id": 9, "body": "four", "client_id": "4"])
        #expect(limited.string("code") == "rate_limited")
        // Three a minute: the next one 20 s after the first, less the time these writes took
        // (seconds on a loaded machine).
        let wait = limited.int("retry_after_ms") ?? 0
        let sinceFirst = Int((ContinuousClock.now - firstSent) / .milliseconds(1))
        #expect(wait >= 20_000 - sinceFirst - 1_000 && wait <= 20_000, "\(wait) ms, \(sinceFirst) ms after the first post")
        let limitedHTTP = try await server.http("POST", "/v1/posts", token: token, body: ["body": "five", "client_id": "5"])
        #expect(limitedHTTP.status == 429)
        let secondsLeft = (20_000 - Int((ContinuousClock.now - firstSent) / .milliseconds(1))) / 1_000
        #expect((secondsLeft...20).contains(Int(limitedHTTP.headers["retry-after"] ?? "") ?? 0))
        #expect(limitedHTTP.json.object("error").string("code") == "rate_limited")
        let retry = try await client.request(["op": "post", "id": 10, "body": "one", "client_id": "1"])
        #expect(retry.string("op") == "ack")
        let feed = try await server.http("GET", "/v1/feed")
        #expect(feed.json.int("offset") == 3, "nothing refused was written")
        // Another user has a budget of their own.
        _ = try await post(try await server.identified("u_other"), "mine", clientID: "1")
    }

    @Test("deletes: the author, moderators and admins; others are forbidden; deleted things are gone")
    func deletes() async throws {
        let server = try await TestServer.start()
        let alice = try await server.identified("u_alice")
        let bob = try await server.identified("u_bob")
        let moderator = try await server.identified("u_mod", role: .moderator)
        let postID = try await post(alice, "alice's", clientID: "a")
        let commentAck = try await bob.request(["op": "comment", "id": 1, "post_id": postID, "body": "bob's", "client_id": "b"])
        let commentID = commentAck.object("result").object("comment").string("id")!
        #expect(try await bob.request(["op": "delete", "id": 2, "target": postID]).string("code") == "forbidden")
        #expect(try await alice.request(["op": "delete", "id": 3, "target": commentID]).string("code") == "forbidden")
        #expect(try await moderator.request(["op": "delete", "id": 4, "target": commentID]).string("op") == "ack")
        #expect(try await bob.request(["op": "delete", "id": 5, "target": commentID]).string("code") == "not_found")
        let watcher = try await server.identified("u_watch")
        try await watcher.send(["op": "sub", "id": 1, "stream": "thread:\(postID)", "since": ["offset": 0, "epoch": (try await server.http("GET", "/v1/feed")).json.string("epoch")!]])
        _ = try await watcher.expect("subscribed")
        #expect(try await watcher.expect("event").string("type") == "comment.created")
        let deleted = try await watcher.expect("event")
        #expect(deleted.string("type") == "comment.deleted")
        #expect(deleted.object("data").string("id") == commentID)
        #expect(deleted.object("data").string("post_id") == postID)
        #expect(try await alice.request(["op": "delete", "id": 6, "target": postID]).string("op") == "ack")
        let postDeleted = try await watcher.expect("event")
        #expect(postDeleted.string("type") == "post.deleted")
        #expect(postDeleted.object("data").string("id") == postID)
        #expect(try await bob.request(["op": "comment", "id": 7, "post_id": postID, "body": "late", "client_id": "l"]).string("code") == "not_found")
        #expect(try await server.http("GET", "/v1/posts/\(postID)").status == 404)
        try await bob.send(["op": "sub", "id": 8, "stream": "thread:\(postID)"])
        #expect(try await bob.expect("error").string("code") == "not_found")
        #expect((try await server.http("GET", "/v1/feed").json["posts"] as? [Any])?.isEmpty == true)
    }

    @Test("reactions: one per user and emoji, counted, no event when nothing changes")
    func reactions() async throws {
        let server = try await TestServer.start()
        let alice = try await server.identified("u_alice")
        let bob = try await server.identified("u_bob")
        let postID = try await post(alice, "react to me", clientID: "p")
        let watcher = try await server.identified("u_watcher")
        try await watcher.send(["op": "sub", "id": 1, "stream": "thread:\(postID)"])
        _ = try await watcher.expect("subscribed")
        func react(_ client: TestClient, _ emoji: String, _ on: Bool) async throws -> Int? {
            try await client.request(["op": "react", "id": 1, "target": postID, "emoji": emoji, "on": on]).object("result").int("count")
        }
        #expect(try await react(alice, "👍", true) == 1)
        #expect(try await react(bob, "👍", true) == 2)
        #expect(try await react(bob, "👍", true) == 2)
        #expect(try await react(bob, "❤️", true) == 1)
        #expect(try await react(bob, "👍", false) == 1)
        var changes: [[String: Any]] = []
        while changes.count < 4 {
            let event = try await watcher.expect("event")
            if event.string("type") == "reaction.changed" { changes.append(event.object("data")) }
        }
        #expect(changes.map { $0.int("count") } == [1, 2, 1, 1])
        #expect(changes.map { $0["on"] as? Bool } == [true, true, true, false])
        #expect(changes[1].string("user_id") == "u_bob")
        #expect(changes.allSatisfy { $0.string("target") == postID })
        #expect(await watcher.staysQuiet(for: .milliseconds(200)), "the repeated reaction emitted nothing")
        let thread = try await server.http("GET", "/v1/posts/\(postID)")
        #expect(thread.json.object("post").object("reactions").int("👍") == 1)
        #expect(thread.json.object("post").object("reactions").int("❤️") == 1)
    }

    @Test("a bot whose name has spaces is mentioned by its whole name")
    func spacedBotName() async throws {
        let server = try await TestServer.start(personas: ["owl.yaml": "id: owl\nname: Night Owl\ntriggers:\n  mention: false\n"])
        let owl = try await server.identified("b_owl", role: .bot)
        try await owl.send(["op": "sub", "id": 1, "stream": "user:b_owl"])
        _ = try await owl.expect("subscribed")
        let alice = try await server.identified("u_alice")
        _ = try await post(alice, "what do you read at 3am, @Night Owl?", clientID: "p")
        let mention = try await owl.expect("event")
        #expect(mention.string("type") == "mention")
        #expect(mention.object("data").object("by").string("id") == "u_alice")
        _ = try await post(alice, "a @Night Owlish mood", clientID: "q")
        #expect(await owl.staysQuiet(for: .milliseconds(300)), "only the whole name")
    }

    @Test("reply events reach the addressed user's stream, never the writer's own; mentions reach everyone named")
    func notifications() async throws {
        let server = try await TestServer.start()
        let alice = try await server.identified("u_alice")
        let bob = try await server.identified("u_bob")
        let carol = try await server.identified("u_carol")
        for (client, id) in [(alice, "u_alice"), (carol, "u_carol")] {
            try await client.send(["op": "sub", "id": 1, "stream": "user:\(id)"])
            _ = try await client.expect("subscribed")
        }
        let postID = try await post(alice, "hello all", clientID: "p")
        let reply = try await bob.request(["op": "comment", "id": 1, "post_id": postID, "body": "hi @u_carol, and @nobody!", "client_id": "c"])
        let commentID = reply.object("result").object("comment").string("id")!
        let replyEvent = try await alice.expect("event")
        #expect(replyEvent.string("type") == "reply")
        #expect(replyEvent.object("data").string("comment_id") == commentID)
        #expect(replyEvent.object("data").string("post_id") == postID)
        #expect(replyEvent.object("data").object("by").string("id") == "u_bob")
        let mention = try await carol.expect("event")
        #expect(mention.string("type") == "mention")
        #expect(mention.object("data").string("comment_id") == commentID)
        // A reply to one's own post notifies nobody; a mention of oneself is still a mention.
        _ = try await alice.request(["op": "comment", "id": 2, "post_id": postID, "body": "thanks", "client_id": "own"])
        #expect(await alice.staysQuiet(for: .milliseconds(200)))
        try await alice.send(["op": "comment", "id": 3, "post_id": postID, "body": "note to self, @u_alice", "client_id": "self"])
        let selfMention = try await [alice.message(), alice.message()].first { $0.string("op") == "event" }
        #expect(selfMention?.string("type") == "mention")
        #expect(selfMention?.object("data").object("by").string("id") == "u_alice")
        #expect(await alice.staysQuiet(for: .milliseconds(200)))
        // A nested reply goes to the parent comment's author.
        let nested = try await carol.request(["op": "comment", "id": 3, "post_id": postID, "parent_id": commentID, "body": "re", "client_id": "n"])
        #expect(nested.object("result").object("comment").int("depth") == 1)
        #expect(nested.object("result").object("comment").string("parent_id") == commentID)
        let bobWatch = try await server.identified("u_bob")
        try await bobWatch.send(["op": "sub", "id": 1, "stream": "user:u_bob", "since": ["offset": 0, "epoch": (try await server.http("GET", "/v1/feed")).json.string("epoch")!]])
        _ = try await bobWatch.expect("subscribed")
        #expect(try await bobWatch.expect("event").string("type") == "reply")
    }

    @Test("mute needs a real bot and is idempotent")
    func mute() async throws {
        let server = try await TestServer.start(personas: ["kiki.yaml": "id: kiki\nname: Kiki\n"])
        let bot = try await server.connect()
        try await bot.send(["op": "identify", "token": try await server.token("b_kiki", role: .bot)])
        _ = try await bot.expect("ready")
        let user = try await server.identified("u_quiet")
        #expect(try await user.request(["op": "mute", "id": 1, "bot": "b_kiki", "scope": "all", "on": true]).string("op") == "ack")
        #expect(try await user.request(["op": "mute", "id": 2, "bot": "b_kiki", "scope": "all", "on": true]).string("op") == "ack")
        #expect(try await user.request(["op": "mute", "id": 3, "bot": "b_kiki", "scope": "thread:p_gone", "on": true]).string("code") == "not_found")
        #expect(try await user.request(["op": "mute", "id": 4, "bot": "u_quiet", "scope": "all", "on": true]).string("code") == "not_found")
    }
}
