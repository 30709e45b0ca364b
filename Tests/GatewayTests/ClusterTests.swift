import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import GatewayProtocol
import Testing
@testable import Gateway

/// Several `gatewayd` processes on one PostgreSQL (issue 8): cross-node delivery, resuming on
/// another node, persona takeover, and PostgreSQL restarted under load. Runs when the suite runs
/// on PostgreSQL (`GATEWAYD_TEST_STORE`), as `.ci/run` does.
@Suite("Cluster", .serialized, .enabled(if: TestServer.onPostgres, "needs PostgreSQL: set GATEWAYD_TEST_STORE"), .stopsServers)
struct ClusterTests {
    /// A cluster of its own: a fresh schema in the test database, shared by its nodes.
    static func clusterURL(_ url: String? = TestServer.postgresURL) -> String {
        let base = url ?? ""
        return base + (base.contains("?") ? "&" : "?") + "schema=c_" + UUID().uuidString.prefix(8).lowercased()
    }

    /// One node: a `gatewayd serve --store <cluster>` process.
    struct Node: Sendable {
        let process: GatewayProcess
        var port: Int { process.port }

        static func start(_ store: String, personas: String? = nil, environment: [String: String] = [:]) async throws -> Node {
            let node = Node(process: try await GatewayProcess(
                dataDirectory: TestServer.temporaryDirectory(), arguments: ["--store", store], personas: personas,
                environment: ["GATEWAYD_CLUSTER_LEASE_INTERVAL": "500ms"].merging(environment) { $1 }))
            do {
                try await node.waitUntilReady()
            } catch {
                await node.process.stop()
                throw error
            }
            return node
        }

        func waitUntilReady(timeout: Duration = .seconds(20)) async throws {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if (try? await http("GET", "/readyz").status) == 200 { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw TestClientError(description: "node on port \(port) did not become ready: \(process.log.suffix(2000))")
        }

        func http(_ method: String, _ path: String, token: String? = nil, body: [String: Any]? = nil) async throws -> TestServer.HTTPAnswer {
            try await TestServer.http(port: port, method, path, token: token, body: body)
        }

        func identified(_ user: String) async throws -> TestClient {
            let client = try await TestClient.connect(port: port)
            _ = try await client.expect("hello")
            try await client.send(["op": "identify", "token": try await GatewayProcess.token(user)])
            _ = try await client.expect("ready")
            return client
        }

        /// Whether this node runs the persona, from the admin API.
        func owns(_ persona: String) async throws -> Bool {
            let answer = try await http("GET", "/v1/admin/personas", token: try await GatewayProcess.token("u_admin", role: .admin))
            let rows = answer.json["personas"] as? [[String: Any]] ?? []
            return rows.first { $0.string("id") == persona }?["owned_here"] as? Bool ?? false
        }
    }

    static func subscribe(_ client: TestClient, _ stream: String, since: (Int, String)? = nil) async throws -> [String: Any] {
        var request: [String: Any] = ["op": "sub", "id": 1, "stream": stream]
        if let since { request["since"] = ["offset": since.0, "epoch": since.1] }
        try await client.send(request)
        return try await client.expect("subscribed")
    }

    /// Posts and waits for the ack's result.
    static func post(_ client: TestClient, _ body: String, clientID: String) async throws -> [String: Any] {
        try await client.send(["op": "post", "id": clientID, "body": body, "client_id": clientID])
        while true {
            let message = try await client.message()
            if message.string("op") == "ack", message.string("id") == clientID { return message.object("result") }
            if message.string("op") == "error", message.string("id") == clientID {
                throw TestClientError(description: "post \(clientID) failed: \(message)")
            }
        }
    }

    /// Events of `stream` until `count` arrived; fails on a gap or a duplicate.
    static func events(_ client: TestClient, stream: String, after start: Int, count: Int) async throws -> [[String: Any]] {
        var events: [[String: Any]] = []
        var last = start
        while events.count < count {
            let message = try await client.message(timeout: .seconds(10))
            guard message.string("op") == "event", message.string("stream") == stream else { continue }
            let offset = message.int("offset") ?? -1
            guard offset == last + 1 else { throw TestClientError(description: "offset \(offset) after \(last): a gap or a duplicate") }
            last = offset
            events.append(message)
        }
        return events
    }

    @Test("writes on B and C reach subscribers on A and C in one order, every offset once")
    func crossNodeOrder() async throws {
        let store = Self.clusterURL()
        let nodes = [try await Node.start(store), try await Node.start(store), try await Node.start(store)]
        let readerA = try await nodes[0].identified("u_reader_a")
        let readerC = try await nodes[2].identified("u_reader_c")
        _ = try await Self.subscribe(readerA, "feed")
        _ = try await Self.subscribe(readerC, "feed")
        let perWriter = 25
        let writers = [(nodes[1], "u_w1"), (nodes[1], "u_w2"), (nodes[2], "u_w3")]
        let acked = try await withThrowingTaskGroup(of: [String: Int].self) { group in
            for (node, user) in writers {
                group.addTask {
                    let client = try await node.identified(user)
                    var acks: [String: Int] = [:]
                    for index in 0..<perWriter {
                        let result = try await Self.post(client, "\(user) \(index)", clientID: "\(user)-\(index)")
                        acks[result.object("post").string("id") ?? ""] = result.int("offset")
                    }
                    return acks
                }
            }
            var all: [String: Int] = [:]
            for try await acks in group { all.merge(acks) { a, _ in a } }
            return all
        }
        let total = perWriter * writers.count
        #expect(acked.count == total)
        #expect(Set(acked.values) == Set(1...total), "acked offsets are exactly 1…\(total)")
        for reader in [readerA, readerC] {
            let seen = try await Self.events(reader, stream: "feed", after: 0, count: total)
            let byOffset = Dictionary(uniqueKeysWithValues: seen.map { ($0.int("offset") ?? 0, $0.object("data").string("id") ?? "") })
            for (id, offset) in acked { #expect(byOffset[offset] == id, "offset \(offset) is the acked post \(id)") }
            #expect(await reader.staysQuiet(for: .milliseconds(300)))
        }
    }

    @Test("a client whose node is killed resumes on another node: no gap, no duplicate")
    func resumeOnAnotherNode() async throws {
        let store = Self.clusterURL()
        let nodeA = try await Node.start(store)
        let nodeB = try await Node.start(store)
        let reader = try await nodeA.identified("u_reader")
        let epoch = try await Self.subscribe(reader, "feed").string("epoch") ?? ""
        let writer = try await nodeB.identified("u_writer")
        for index in 0..<10 { _ = try await Self.post(writer, "before \(index)", clientID: "b\(index)") }
        let seen = try await Self.events(reader, stream: "feed", after: 0, count: 7)
        let last = seen.last?.int("offset") ?? 0
        await nodeA.process.kill()
        for index in 0..<10 { _ = try await Self.post(writer, "during \(index)", clientID: "d\(index)") }

        let back = try await nodeB.identified("u_reader")
        let resumed = try await Self.subscribe(back, "feed", since: (last, epoch))
        #expect(resumed["recovered"] as? Bool == true)
        #expect(resumed.string("epoch") == epoch, "every node has the cluster's epoch")
        #expect(resumed.int("offset") == 20)
        let missed = try await Self.events(back, stream: "feed", after: last, count: 20 - last)
        #expect(missed.compactMap { $0.object("data").string("body") }.suffix(10) == (0..<10).map { "during \($0)" })
        _ = try await Self.post(writer, "live", clientID: "live")
        #expect(try await Self.events(back, stream: "feed", after: 20, count: 1).first?.object("data").string("body") == "live")
        #expect(await back.staysQuiet(for: .milliseconds(300)))
    }

    @Test("notifications lost (the bus's connections cut again and again): the events are read from the log, no gap")
    func catchUpFromTheLog() async throws {
        let store = Self.clusterURL()
        let nodes = [try await Node.start(store), try await Node.start(store)]
        let readers = [try await nodes[0].identified("u_reader_a"), try await nodes[1].identified("u_reader_b")]
        for reader in readers { _ = try await Self.subscribe(reader, "feed") }
        // Cut every node's LISTEN connection every 50 ms while a writer writes: events committed
        // while a node is not listening reach it only through the log.
        let cutter = Task {
            var cuts = 0
            while !Task.isCancelled {
                _ = try? await Self.run("-c", "psql '\(TestServer.postgresURL ?? "")' -qAtc \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gatewayd-bus'\" >/dev/null")
                cuts += 1
                try? await Task.sleep(for: .milliseconds(50))
            }
            return cuts
        }
        let writer = try await nodes[1].identified("u_writer")
        let total = 120
        for index in 0..<total { _ = try await Self.post(writer, "post \(index)", clientID: "c\(index)") }
        cutter.cancel()
        #expect(await cutter.value > 5)
        for reader in readers {
            let seen = try await Self.events(reader, stream: "feed", after: 0, count: total)
            #expect(seen.map { $0.object("data").string("body") ?? "" } == (0..<total).map { "post \($0)" })
            #expect(await reader.staysQuiet(for: .milliseconds(300)))
        }
        var caughtUp = 0.0
        for node in nodes {
            let metrics = String(decoding: try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(node.port)/metrics")!).0, as: UTF8.self)
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("gatewayd_bus_catchup_events_total ") }
            caughtUp += line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        }
        #expect(caughtUp > 0, "some events came from the log, not from a notification")
    }

    static let persona = """
        id: kiki
        name: Kiki
        triggers:
          new_post: { chance: 1.0, delay: 1s }
        limits:
          replies: 2/h burst 2
          per_thread: { replies: 1, cooldown: 0s }
        """

    /// The bot comments of a post, read over HTTP.
    static func botComments(_ node: Node, _ postID: String) async throws -> [[String: Any]] {
        let answer = try await node.http("GET", "/v1/posts/\(postID)")
        return (answer.json["comments"] as? [[String: Any]] ?? []).filter { $0.object("author").string("persona") == "kiki" }
    }


    @Test("a persona's owner is killed: another node takes over within seconds, answers what it missed, limits hold, nothing doubled")
    func personaTakeover() async throws {
        let store = Self.clusterURL()
        let personas = TestServer.temporaryDirectory()
        try Self.persona.write(toFile: personas + "/kiki.yaml", atomically: true, encoding: .utf8)
        try TestServer.installSituationRules(in: personas)
        let nodes = [try await Node.start(store, personas: personas), try await Node.start(store, personas: personas)]
        var owner: Node?
        _ = try await eventually(.seconds(10)) {
            let owners = try await nodes.asyncFilter { try await $0.owns("kiki") }
            owner = owners.count == 1 ? owners[0] : nil
            return owner != nil
        }
        let killed = try #require(owner, "exactly one node runs kiki")
        let survivor = try #require(nodes.first { $0.port != killed.port })
        #expect(try await !survivor.owns("kiki"))

        // Answered by the owner, written on the other node.
        let human = try await survivor.identified("u_human")
        let first = try await Self.post(human, "First post", clientID: "p1").object("post").string("id") ?? ""
        #expect(try await eventually(.seconds(10)) { try await Self.botComments(survivor, first).count == 1 })

        // The owner dies during the reply delay of the second post.
        let second = try await Self.post(human, "Second post, lovely day!", clientID: "p2").object("post").string("id") ?? ""
        await killed.process.kill()
        let killedAt = ContinuousClock.now
        #expect(try await eventually(.seconds(10)) { try await survivor.owns("kiki") })
        let takeover = ContinuousClock.now - killedAt
        #expect(takeover < .seconds(5), "taken over in \(takeover)")
        #expect(try await eventually(.seconds(10)) { try await Self.botComments(survivor, second).count == 1 },
                "the post the dead owner did not answer is answered by the new one")

        // The limit (2 replies an hour) counts the dead owner's reply: a third post gets none.
        let third = try await Self.post(human, "Third post, lovely day!", clientID: "p3").object("post").string("id") ?? ""
        // Once the owner has decided on the third post, its answer (none) is final.
        let admin = try await GatewayProcess.token("u_admin", role: .admin)
        var forThird: [String: Any]?
        #expect(try await eventually(.seconds(15)) {
            let decisions = try await survivor.http("GET", "/v1/admin/personas/kiki/decisions", token: admin)
            forThird = (decisions.json["decisions"] as? [[String: Any]] ?? []).first { $0.string("item_id") == third }
            return forThird != nil
        })
        #expect(forThird?.string("rule") == "limits.replies")
        #expect(try await Self.botComments(survivor, third).isEmpty)
        #expect(try await Self.botComments(survivor, first).count == 1)
        #expect(try await Self.botComments(survivor, second).count == 1)
    }

    @Test("personas are shared out: a node that joins takes its share, each persona runs on exactly one node, a survivor takes them all")
    func personasBalanced() async throws {
        let store = Self.clusterURL()
        let personas = TestServer.temporaryDirectory()
        let ids = ["ada", "bo", "cy", "di"]
        for id in ids {
            try Self.persona.replacingOccurrences(of: "kiki", with: id).replacingOccurrences(of: "Kiki", with: id.capitalized)
                .write(toFile: personas + "/\(id).yaml", atomically: true, encoding: .utf8)
        }
        try TestServer.installSituationRules(in: personas)
        let first = try await Node.start(store, personas: personas)
        #expect(try await eventually(.seconds(10)) { try await ids.asyncFilter { try await first.owns($0) }.count == 4 },
                "a node alone runs every persona")
        let second = try await Node.start(store, personas: personas)
        var shares: [[String]] = []
        #expect(try await eventually(.seconds(15)) {
            shares = [try await ids.asyncFilter { try await first.owns($0) }, try await ids.asyncFilter { try await second.owns($0) }]
            return shares.map(\.count) == [2, 2] && Set(shares.joined()) == Set(ids)
        }, "two nodes run two personas each, every persona on one node: \(shares)")
        _ = await first.process.terminate()
        #expect(try await eventually(.seconds(15)) { try await ids.asyncFilter { try await second.owns($0) }.count == 4 },
                "the survivor runs every persona again")
    }

    @Test("PostgreSQL stopped and started under load: unavailable meanwhile, no acknowledged write lost, nodes recover alone")
    func postgresRestart() async throws {
        try await OwnPostgres.with("restart") { postgres in
            try await restartUnderLoad(postgres: postgres.url, stop: { try await postgres.control("stop") },
                                       start: { try await postgres.control("start", postgres.port) })
        }
    }

    /// A PostgreSQL of the test's own, so that stopping or pausing it disturbs no other test.
    struct OwnPostgres {
        static let script = ConfigurationTests.repositoryRoot + "/scripts/postgres.sh"
        let directory: String
        let port: String
        let url: String

        /// Runs `scripts/postgres.sh action` on it.
        @discardableResult
        func control(_ action: String, _ more: String...) async throws -> String {
            try await ClusterTests.runArguments([Self.script, action, directory] + more)
        }

        /// Sends `signal` to the server and every backend together.
        func signal(_ signal: String) async throws {
            try await ClusterTests.run("-c", "pm=$(head -1 \(directory)/data/postmaster.pid) && kill -\(signal) $pm $(pgrep -P $pm)")
        }

        /// Starts one, runs `body` with it, then stops the nodes and it (the nodes first, so that
        /// their drain has a database to finish on), whatever `body` did; a paused server is let go.
        static func with(_ name: String, _ body: (OwnPostgres) async throws -> Void) async throws {
            let directory = "/tmp/gatewayd-pg-\(name)-" + UUID().uuidString.prefix(8)
            // Below Linux's ephemeral range (32768–60999): an outgoing connection of another test
            // cannot take the port between a stop and a start.
            let port = "\(Int.random(in: 21_000..<23_000))"
            let url = try await ClusterTests.run(script, "start", directory, port).trimmingCharacters(in: .whitespacesAndNewlines)
            let postgres = OwnPostgres(directory: directory, port: port, url: url)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var failure: (any Error)?
            do {
                try await body(postgres)
            } catch {
                failure = error
            }
            try? await postgres.signal("CONT")
            await TestServer.started?.stopAll()
            if let failure {
                _ = try? await postgres.control("stop")
                throw failure
            }
            try await postgres.control("stop")
        }
    }

    private func restartUnderLoad(postgres url: String, stop: () async throws -> String, start: () async throws -> String) async throws {
        let store = Self.clusterURL(url)
        let nodes = [try await Node.start(store, environment: ["GATEWAYD_STORE_WRITE_TIMEOUT": "2s"]),
                     try await Node.start(store, environment: ["GATEWAYD_STORE_WRITE_TIMEOUT": "2s"])]
        let perWriter = 40
        let outage = OutageCounters()
        let writers = Task {
            try await withThrowingTaskGroup(of: [String: Int].self) { group in
                for (index, node) in nodes.enumerated() {
                    group.addTask {
                        var acks: [String: Int] = [:]
                        var client = try await node.identified("u_w\(index)")
                        var attempt = 0
                        while acks.count < perWriter {
                            let clientID = "w\(index)-\(acks.count)"
                            attempt += 1
                            guard attempt < 2000 else { throw TestClientError(description: "writer \(index) gave up") }
                            do {
                                try await client.send(["op": "post", "id": clientID, "body": "write \(clientID)", "client_id": clientID])
                                let reply = try await client.message(timeout: .seconds(10))
                                if reply.string("op") == "ack" {
                                    acks[reply.object("result").object("post").string("id") ?? ""] = reply.object("result").int("offset")
                                    outage.acks.add(1, ordering: .relaxed)
                                } else if reply.string("code") == "unavailable" {
                                    outage.sawUnavailable.store(true, ordering: .relaxed)
                                    try await Task.sleep(for: .milliseconds(200))
                                }
                            } catch {
                                // The connection went: reconnect and retry the same client_id.
                                try await Task.sleep(for: .milliseconds(200))
                                if let again = try? await node.identified("u_w\(index)") { client = again }
                            }
                        }
                        return acks
                    }
                }
                var all: [String: Int] = [:]
                for try await acks in group { all.merge(acks) { a, _ in a } }
                return all
            }
        }
        defer { writers.cancel() }
        #expect(try await eventually(.seconds(30)) { outage.acks.load(ordering: .relaxed) >= 20 })
        _ = try await stop()
        #expect(try await eventually(.seconds(10)) {
            try await nodes.asyncFilter { try await $0.http("GET", "/readyz").status == 503 }.count == 2
        }, "both nodes say they are not ready while PostgreSQL is away")
        try await Task.sleep(for: .seconds(3))
        _ = try await start()
        for node in nodes { try await node.waitUntilReady(timeout: .seconds(30)) }
        let acked = try await writers.value
        let answeredUnavailable = outage.sawUnavailable.load(ordering: .relaxed)
        #expect(answeredUnavailable, "writes during the outage were answered unavailable, not left hanging")
        #expect(acked.count == perWriter * 2)
        #expect(Set(acked.values) == Set(1...(perWriter * 2)), "acked offsets are exactly 1…\(perWriter * 2): nothing lost, nothing twice")
        let feed = try await nodes[0].http("GET", "/v1/feed?limit=100")
        let stored = (feed.json["posts"] as? [[String: Any]] ?? []).compactMap { $0.string("id") }
        #expect(Set(stored) == Set(acked.keys) && stored.count == acked.count)
        #expect(feed.json.int("offset") == perWriter * 2)

        // The bus came back by itself: a write on one node reaches a subscriber on the other.
        let reader = try await nodes[0].identified("u_reader")
        _ = try await Self.subscribe(reader, "feed", since: (perWriter * 2, feed.json.string("epoch") ?? ""))
        let writer = try await nodes[1].identified("u_after")
        _ = try await Self.post(writer, "after the restart", clientID: "after")
        #expect(try await Self.events(reader, stream: "feed", after: perWriter * 2, count: 1).first?.object("data").string("body") == "after the restart")
    }

    @Test("PostgreSQL hanging (its processes stopped): writes are answered unavailable, not held; each goes through once after")
    func postgresHang() async throws {
        try await OwnPostgres.with("hang") { postgres in
            try await writesWhileHung(postgres: postgres.url, pause: { try await postgres.signal("STOP") }, resume: { try await postgres.signal("CONT") })
        }
    }

    private func writesWhileHung(postgres url: String, pause: () async throws -> Void, resume: () async throws -> Void) async throws {
        let node = try await Node.start(Self.clusterURL(url), environment: ["GATEWAYD_STORE_WRITE_TIMEOUT": "1s"])
        let client = try await node.identified("u_hang")
        _ = try await Self.post(client, "before the hang", clientID: "before")
        try await pause()
        let hung = ContinuousClock.now
        var sentAt: [String: ContinuousClock.Instant] = [:]
        func post(_ clientID: String) async throws {
            sentAt[clientID] = .now
            try await client.send(["op": "post", "id": clientID, "body": "while hung \(clientID)", "client_id": clientID])
        }
        // The first holds the writer in a batch that is never answered; the others wait behind it
        // in the queue, the last while the writer tries to connect again.
        try await post("h0")
        try await Task.sleep(for: .milliseconds(300))
        for clientID in ["h1", "h2"] { try await post(clientID) }
        try await Task.sleep(for: .milliseconds(1500))
        for clientID in ["h3", "h4"] { try await post(clientID) }
        var answers: [String: String] = [:]
        var waited: [String: Duration] = [:]
        while answers.count < 5 {
            let message = try await client.message(timeout: .seconds(15))
            guard let id = message.string("id"), let sent = sentAt[id] else { continue }
            answers[id] = message.string("op") == "error" ? message.string("code") : message.string("op")
            waited[id] = ContinuousClock.now - sent
        }
        #expect(answers == ["h0": "unavailable", "h1": "unavailable", "h2": "unavailable", "h3": "unavailable", "h4": "unavailable"])
        // About one write timeout (1 s) for the write in the stuck batch, two for those behind
        // it; not the writer's attempts to connect (3 s each), nor until PostgreSQL comes back.
        // Read from 1.8 s on (after the last post), so h0's time includes that wait.
        #expect(waited.values.allSatisfy { $0 < .milliseconds(3500) }, "answered unavailable after \(waited)")
        #expect(ContinuousClock.now - hung < .seconds(10))
        try await resume()
        var offsets: [String: Int] = [:]
        let deadline = ContinuousClock.now + .seconds(30)
        for clientID in ["h0", "h1", "h2", "h3", "h4"] {
            while offsets[clientID] == nil, ContinuousClock.now < deadline {
                try await post(clientID)
                var reply = try await client.message(timeout: .seconds(15))
                while reply.string("id") != clientID { reply = try await client.message(timeout: .seconds(15)) }
                if reply.string("op") == "ack" { offsets[clientID] = reply.object("result").int("offset") } else { try await Task.sleep(for: .milliseconds(200)) }
            }
        }
        #expect(Set(offsets.values) == Set(2...6), "each write retried after the hang is written once: \(offsets)")
    }

    final class OutageCounters: Sendable {
        let acks = Atomic(0)
        let sawUnavailable = Atomic(false)
    }

    /// Runs a script and returns its output, waiting on a thread of its own.
    @discardableResult
    static func run(_ arguments: String...) async throws -> String {
        try await runArguments(arguments)
    }

    @discardableResult
    static func runArguments(_ arguments: [String]) async throws -> String {
        try await onThreadOfItsOwn { try runBlocking(arguments) }
    }

    /// Spawned and reaped directly (`posix_spawn`, `waitpid`): Foundation's `Process` (and so
    /// `ChildProcess`) waits forever here, since the PostgreSQL server that `postgres.sh start`
    /// leaves running inherits what it uses to watch the child.
    private static func runBlocking(_ arguments: [String]) throws -> String {
        let outputPath = NSTemporaryDirectory() + "gatewayd-run-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process's: a PostgreSQL that `postgres.sh start` leaves running
        // would keep any pipe it inherited open, and whoever reads that pipe would wait forever.
        // glibc (2.34 on) has the call; Swift's Glibc module does not declare it.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let closeFrom = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            throw TestClientError(description: "this C library has no posix_spawn_file_actions_addclosefrom_np")
        }
        guard unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3) == 0 else {
            throw TestClientError(description: "posix_spawn_file_actions_addclosefrom_np failed")
        }
        let argv = (["/bin/bash"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, argv, environ)
        guard spawned == 0 else { throw TestClientError(description: "could not run \(arguments): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // Exited normally with status 0.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else { throw TestClientError(description: "\(arguments) failed: \(output)") }
        return output
    }
}

extension Array {
    func asyncFilter(_ isIncluded: (Element) async throws -> Bool) async rethrows -> [Element] {
        var result: [Element] = []
        for element in self where try await isIncluded(element) { result.append(element) }
        return result
    }
}
