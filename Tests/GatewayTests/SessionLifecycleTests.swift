import Foundation
import NIOCore
import NIOWebSocket
import GatewayProtocol
import Testing
@testable import Gateway

/// Every close code of PROTOCOL.md section 2, over real sockets.
@Suite("Session lifecycle", .serialized, .stopsServers)
struct SessionLifecycleTests {
    @Test("hello, identify, ready; anonymous is read-only")
    func helloAndReady() async throws {
        let server = try await TestServer.start()
        let client = try await TestClient.connect(port: server.port)
        let hello = try await client.expect("hello")
        #expect(hello.int("v") == 1)
        #expect(hello.int("heartbeat_ms") == 25000)
        #expect(hello.int("max_message_bytes") == 65536)
        #expect(hello.string("server")?.hasPrefix("gatewayd/") == true)
        try await client.send(["op": "identify", "token": try await server.token("u_alice", name: "Alice", role: .moderator)])
        let ready = try await client.expect("ready")
        #expect(ready.string("session_id")?.hasPrefix("s_") == true)
        #expect(ready["read_only"] as? Bool == false)
        #expect(ready.object("user").string("id") == "u_alice")
        #expect(ready.object("user").string("role") == "moderator")
        #expect(ready.object("user").string("kind") == "human")

        let anonymous = try await server.connect()
        try await anonymous.send(["op": "identify"])
        let anonymousReady = try await anonymous.expect("ready")
        #expect(anonymousReady["user"] is NSNull)
        #expect(anonymousReady["read_only"] as? Bool == true)
        try await anonymous.send(["op": "post", "id": 1, "body": "hi", "client_id": "a"])
        let refused = try await anonymous.expect("error")
        #expect(refused.string("code") == "unauthorized")
        #expect(refused.int("id") == 1)
    }

    @Test("ping is answered before and after identify, echoing t, and its id when it has one")
    func pingPong() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        try await client.send(["op": "ping", "t": 42])
        let plain = try await client.expect("pong")
        #expect(plain.int("t") == 42)
        #expect(plain["id"] == nil)
        try await client.send(["op": "ping", "id": "hb-1", "t": 1])
        #expect(try await client.expect("pong").string("id") == "hb-1")
        try await client.send(["op": "identify"])
        _ = try await client.expect("ready")
        try await client.send(["op": "ping", "t": ["nested": "x"]])
        #expect(try await client.expect("pong").object("t").string("nested") == "x")
        try await client.send(["op": "ping", "id": 7])
        let numbered = try await client.expect("pong")
        #expect(numbered.int("id") == 7)
        #expect(numbered["t"] == nil)
    }

    func closeCode(_ server: TestServer, identify: Bool = true, _ action: (TestClient) async throws -> Void) async throws -> UInt16? {
        let client = identify ? try await server.identified("u_closer") : try await server.connect()
        try await action(client)
        return try await client.expectClose()
    }

    @Test("framing violations close with 1003, 1007, 1009 and 1002")
    func framingCloses() async throws {
        let server = try await TestServer.start()
        #expect(try await closeCode(server) { try await $0.sendFrame(.binary, [1, 2, 3]) } == 1003)
        #expect(try await closeCode(server) { try await $0.sendFrame(.text, [0x7B, 0xC3, 0x28, 0x7D]) } == 1007)
        #expect(try await closeCode(server) { try await $0.sendFrame(.text, Array(repeating: 0x20, count: 70_000)) } == 1009)
        // Fragments that add up to more than the limit.
        #expect(try await closeCode(server) { client in
            try await client.sendFrame(.text, Array(repeating: 0x20, count: 40_000), fin: false)
            try await client.sendFrame(.continuation, Array(repeating: 0x20, count: 40_000), fin: true)
        } == 1009)
        #expect(try await closeCode(server) { try await $0.sendFrame(.text, Array("{}".utf8), masked: false) } == 1002)
        #expect(try await closeCode(server) { try await $0.sendFrame(.continuation, Array("{}".utf8)) } == 1002)
        #expect(try await closeCode(server) { try await $0.sendFrame(.text, Array("{}".utf8), rsv1: true) } == 1002)
    }

    @Test("a fragmented message within the limit is reassembled")
    func fragments() async throws {
        let server = try await TestServer.start()
        let client = try await server.identified("u_frag")
        try await client.sendFrame(.text, Array(#"{"op":"pi"#.utf8), fin: false)
        try await client.sendFrame(.ping, [9])
        try await client.sendFrame(.continuation, Array(#"ng","t":7}"#.utf8), fin: true)
        #expect(try await client.expect("pong").int("t") == 7)
    }

    @Test("protocol-level closes: 4001, 4002, 4003, 4005")
    func protocolCloses() async throws {
        let server = try await TestServer.start { $0.allowAnonymous = true }
        #expect(try await closeCode(server, identify: false) { try await $0.send(["op": "sub", "id": 1, "stream": "feed"]) } == 4001)
        #expect(try await closeCode(server, identify: false) { try await $0.send(["op": "post", "body": "x", "client_id": "c"]) } == 4001)
        for bad in ["not json", "[1,2]", "{}", #"{"op":5}"#, "{\"op\":\"ping\"", "\"str\""] {
            #expect(try await closeCode(server) { try await $0.sendText(bad) } == 4002, "\(bad)")
            #expect(try await closeCode(server, identify: false) { try await $0.sendText(bad) } == 4002, "\(bad) before identify")
        }
        let deep = #"{"op":"ping","t":"# + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}"
        #expect(try await closeCode(server) { try await $0.sendText(deep) } == 4002)
        #expect(try await closeCode(server, identify: false) { try await $0.send(["op": "identify", "token": "abc.def.ghi"]) } == 4003)
        #expect(try await closeCode(server, identify: false) { try await $0.send(["op": "identify", "token": 12]) } == 4003)
        let expired = try await server.token("u_late", lifetime: .seconds(-60))
        #expect(try await closeCode(server, identify: false) { try await $0.send(["op": "identify", "token": expired]) } == 4003)
        let foreign = try await TokenAuthority(secret: Array("another-key-another-key-another-key".utf8), bots: BotRoster(), clock: .system)
            .sign(userID: "u_x", name: "X", role: .admin, lifetime: .seconds(60))
        #expect(try await closeCode(server, identify: false) { try await $0.send(["op": "identify", "token": foreign]) } == 4003)
        let botToken = try await server.token("b_ghost", role: .bot)
        #expect(try await closeCode(server, identify: false) { try await $0.send(["op": "identify", "token": botToken]) } == 4003)
        let impersonation = try await server.token("b_ghost", role: .user)
        #expect(try await closeCode(server, identify: false) { try await $0.send(["op": "identify", "token": impersonation]) } == 4003)
        #expect(try await closeCode(server) { try await $0.send(["op": "identify"]) } == 4005)
    }

    @Test("a token naming an issuer the gateway does not accept is refused (4003, 401); one it accepts identifies")
    func issuers() async throws {
        let plain = try await TestServer.start()
        #expect(try await closeCode(plain, identify: false) {
            try await $0.send(["op": "identify", "token": try await plain.token("u_ann", issuer: "https://login.example")])
        } == 4003)
        let refused = try await plain.http("GET", "/v1/feed", token: try await plain.token("u_ann", issuer: "https://login.example"))
        #expect(refused.status == 401 && (refused.json.object("error").string("message") ?? "").contains("auth.issuers"), "\(refused.json)")
        #expect(try await plain.http("GET", "/v1/feed", token: try await plain.token("u_ann", issuer: nil)).status == 200)

        let server = try await TestServer.start { $0.tokenIssuers = ["https://login.example", "https://sso.example"] }
        for issuer in ["https://login.example", "https://sso.example"] {
            let client = try await server.connect()
            try await client.send(["op": "identify", "token": try await server.token("u_ann", issuer: issuer)])
            #expect(try await client.expect("ready").object("user").string("id") == "u_ann", "\(issuer)")
        }
        let own = try await server.identified("u_bob")
        try await own.send(["op": "ping", "t": 1])
        #expect(try await own.expect("pong").int("t") == 1, "the gateway's own tokens name its first issuer")
        for issuer in [nil, "https://evil.example", "https://LOGIN.example"] {
            #expect(try await closeCode(server, identify: false) {
                try await $0.send(["op": "identify", "token": try await server.token("u_ann", issuer: issuer)])
            } == 4003, "\(issuer ?? "no issuer")")
        }
    }

    @Test("anonymous refused where not allowed (4003)")
    func anonymousNotAllowed() async throws {
        let server = try await TestServer.start { $0.allowAnonymous = false }
        #expect(try await closeCode(server, identify: false) { try await $0.send(["op": "identify"]) } == 4003)
        let feed = try await server.http("GET", "/v1/feed")
        #expect(feed.status == 401)
    }

    @Test("a bot token for a loaded persona identifies as that bot")
    func botIdentify() async throws {
        let server = try await TestServer.start(personas: ["kiki.yaml": "id: kiki\nname: Kiki\n"])
        let client = try await server.connect()
        try await client.send(["op": "identify", "token": try await server.token("b_kiki", name: "Someone else", role: .bot)])
        let user = try await client.expect("ready").object("user")
        #expect(user.string("id") == "b_kiki")
        #expect(user.string("name") == "Kiki")
        #expect(user.string("kind") == "bot")
        #expect(user.string("persona") == "kiki")
        #expect(user["ai"] as? Bool == true)
    }

    func shortTimeouts() async throws -> TestServer {
        try await TestServer.start {
            $0.identifyTimeout = .milliseconds(400)
            $0.heartbeat = .milliseconds(300)
        }
    }

    @Test("no identify within the deadline closes with 4009, pings or not")
    func identifyTimeout() async throws {
        let server = try await shortTimeouts()
        let silent = try await server.connect()
        let start = ContinuousClock.now
        #expect(try await silent.expectClose() == 4009)
        // 400 ms is the deadline; the bound only tells "at the deadline" from "never", with room for load.
        #expect(ContinuousClock.now - start < .seconds(8))

        // Pings before identify do not extend the identify deadline.
        let pinger = try await server.connect()
        let pingerTask = Task {
            for _ in 0..<20 {
                try? await pinger.send(["op": "ping"])
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(try await pinger.expectClose() == 4009)
        pingerTask.cancel()
    }

    @Test("heartbeat silence closes with 4009; WebSocket pings alone keep a session alive")
    func heartbeatTimeout() async throws {
        // Silence counts from the connection's start, so the limit (twice the heartbeat, 3 s) is
        // also what a loaded machine may pause the test for between connect and identify.
        let server = try await TestServer.start { $0.heartbeat = .milliseconds(1500) }
        let quiet = try await server.identified("u_quiet")
        #expect("\(try await quiet.receive(timeout: .seconds(10)))" == "close 4009 no heartbeat for 3000 ms")

        // Pings every 200 ms for 5 s against a 4 s silence limit: alive only if they count, with
        // room for a loaded machine to pause the test for seconds between two of them.
        let patient = try await TestServer.start { $0.heartbeat = .seconds(2) }
        let alive = try await patient.identified("u_alive")
        for _ in 0..<25 {
            try await alive.sendFrame(.ping, [1])
            try await Task.sleep(for: .milliseconds(200))
        }
        try await alive.send(["op": "ping", "t": 1])
        #expect(try await alive.expect("pong").int("t") == 1)
    }

    @Test("a token that expires mid-session closes it with 4003")
    func tokenExpiry() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        try await client.send(["op": "identify", "token": try await server.token("u_brief", lifetime: .seconds(2))])
        _ = try await client.expect("ready")
        #expect(try await client.expectClose(timeout: .seconds(6)) == 4003)
    }

    @Test("an inbound flood gets rate_limited, then 4008")
    func flood() async throws {
        let server = try await TestServer.start {
            $0.inboundMessagesPerSecond = 5
            $0.inboundBurst = 5
            $0.inboundFloodThreshold = 20
        }
        let client = try await server.identified("u_flood")
        for index in 0..<40 {
            // The server may close before the last ones are sent.
            try? await client.send(["op": "ping", "id": index, "t": index])
        }
        var limited = 0
        var pongs = 0
        var code: UInt16?
        loop: while true {
            switch try await client.receive() {
            case .message(let object, _):
                if object.string("op") == "pong" { pongs += 1 }
                if object.string("code") == "rate_limited" {
                    limited += 1
                    #expect(object.int("retry_after_ms") ?? 0 > 0)
                }
            case .close(let closeCode, _): code = closeCode; break loop
            case .end: break loop
            }
        }
        #expect(code == 4008)
        // The burst of 5 covers identify and four pings; a slow sender earns a few more.
        #expect(pongs >= 4 && pongs < 40)
        #expect(limited >= 1)
    }

    @Test("a client that ends its side of TCP without a close frame is let go at once, not at its heartbeat deadline")
    func peerHalfClosure() async throws {
        // The heartbeat deadline (twice 30 s) is far beyond what the test waits (15 s at most):
        // only noticing the client's FIN can end the session in time.
        let server = try await TestServer.start { $0.heartbeat = .seconds(30) }
        let gone = try await server.identified("u_gone")
        try await gone.send(["op": "sub", "id": 1, "stream": "feed"])
        _ = try await gone.expect("subscribed")
        let stays = try await server.identified("u_stays")
        try await stays.send(["op": "sub", "id": 1, "stream": "feed"])
        _ = try await stays.expect("subscribed")
        #expect(server.runtime.sessions.count == 2)

        try await gone.channel.close(mode: .output).get()
        let ending = try await gone.receive()
        guard case .end = ending else {
            Issue.record("expected the server to close the connection, got \(ending)")
            return
        }
        #expect(try await eventually { server.runtime.sessions.count == 1 && server.runtime.hub.subscriberCount(of: "feed") == 1 })

        // The other session is untouched: it still gets what is posted.
        let writer = try await server.identified("u_writer")
        #expect(try await writer.request(["op": "post", "id": 1, "body": "still here", "client_id": "c1"]).string("op") == "ack")
        let event = try await stays.expect("event")
        #expect(event.string("stream") == "feed")
    }

    @Test("a client sends close; the server echoes it")
    func clientClose() async throws {
        let server = try await TestServer.start()
        let client = try await server.identified("u_leaver")
        try await client.sendFrame(.connectionClose, [0x03, 0xE8] + Array("bye".utf8))
        #expect(try await client.expectClose() == 1000)
    }

    @Test("drain: sessions get 4011, new upgrades and readyz get 503, writes get unavailable")
    func drain() async throws {
        let server = try await TestServer.start()
        let token = try await server.token("u_drain")
        let client = try await server.identified("u_drain")
        #expect(try await server.http("GET", "/readyz").status == 200)
        await server.runtime.drain()
        #expect(try await client.expectClose() == 4011)
        #expect(try await server.http("GET", "/readyz").status == 503)
        let write = try await server.http("POST", "/v1/posts", token: token, body: ["body": "late", "client_id": "late"])
        #expect(write.status == 503)
        #expect(write.json.object("error").string("code") == "unavailable")
        await #expect(throws: (any Error).self) { _ = try await TestClient.connect(port: server.port) }
        await server.stop()
    }

    @Test("drain: every write the store took is acknowledged before the 4011, and nothing stored goes unacknowledged")
    func drainAnswersWrites() async throws {
        let server = try await TestServer.start {
            $0.writeLimits = .init(postsPerMinute: 10_000, commentsPerMinute: 10_000)
            $0.inboundMessagesPerSecond = 10_000
            $0.inboundBurst = 10_000
        }
        let client = try await server.identified("u_busy")
        let total = 200
        for index in 0..<total {
            try await client.send(["op": "post", "id": index, "body": "written during a drain \(index)", "client_id": "d\(index)"])
        }
        var acked: Set<String> = []
        var unavailable = 0
        var closeCode: UInt16?
        var draining = false
        readLoop: while true {
            switch try await client.receive(timeout: .seconds(10)) {
            case .message(let message, _):
                if message.string("op") == "ack" { acked.insert(message.object("result").object("post").string("id") ?? "") }
                // The drain starts at the first ack, while most of the writes are still on their way
                // to the store (a drain before the server read any would answer them all).
                if !draining, !acked.isEmpty {
                    draining = true
                    await server.runtime.drain()
                }
                if message.string("op") == "error" {
                    #expect(message.string("code") == "unavailable", "\(message)")
                    unavailable += 1
                }
            case .close(let code, _):
                closeCode = code
                break readLoop
            case .end:
                break readLoop
            }
        }
        #expect(closeCode == 4011)
        // Frames still unread when the close frame goes out are never taken, so never answered.
        #expect(acked.count + unavailable <= total)
        await server.stop()
        // What the store holds is exactly what was acknowledged.
        let restarted = try await TestServer.start(dataDirectory: server.dataDirectory)
        let feed = try await restarted.http("GET", "/v1/feed?limit=100")
        var stored = Set((feed.json["posts"] as? [[String: Any]] ?? []).compactMap { $0.string("id") })
        var before = (feed.json["posts"] as? [[String: Any]])?.last?.string("id")
        while let cursor = before {
            let page = try await restarted.http("GET", "/v1/feed?limit=100&before=\(cursor)")
            let posts = page.json["posts"] as? [[String: Any]] ?? []
            stored.formUnion(posts.compactMap { $0.string("id") })
            before = posts.last?.string("id")
        }
        #expect(stored == acked)
    }
}
