import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOWebSocket
import Persona
import Testing
@testable import Gateway

/// Abuse resistance at the door (issue 9): connections per address, how fast they come, the
/// handshake deadline for clients that never finish their headers, and the Origin allowlist.
@Suite("Abuse resistance", .serialized, .stopsServers)
struct AbuseTests {
    @Test("at most per_address connections from one address: the next gets 429 and closing one lets a new one in")
    func connectionCap() async throws {
        let server = try await TestServer.start {
            $0.connectionLimits.maximumPerAddress = 5
            $0.connectionLimits.loopback = .always
        }
        var open: [TestClient] = []
        for _ in 0..<5 { open.append(try await server.connect()) }
        // The answer comes before any request is read, so a raw socket sees it whatever it sends.
        let refused = String(decoding: try await RawSocket(port: server.port).read() ?? [], as: UTF8.self)
        #expect(refused.hasPrefix("HTTP/1.1 429"))
        #expect(refused.contains("5 connections open already"))
        // The limit is per address, and those already in are served as before.
        try await open[0].send(["op": "ping", "t": 1])
        _ = try await open[0].expect("pong")
        try await open[4].sendFrame(.connectionClose, [0x03, 0xE8])
        _ = try await open[4].expectClose()
        var admitted = false
        for _ in 0..<20 where !admitted {
            try await Task.sleep(for: .milliseconds(100))
            admitted = (try? await TestClient.connect(port: server.port)) != nil
        }
        #expect(admitted)
    }

    @Test("connections opened too fast from one address get 429 with Retry-After; trusted proxies are not limited")
    func connectionRate() async throws {
        // One a minute after a burst of three: the budget cannot refill while a loaded machine
        // takes its time over the first three.
        let server = try await TestServer.start {
            $0.connectionLimits.rate = Rate(count: 1, period: .seconds(60), burst: 3)
            $0.connectionLimits.loopback = .always
        }
        for _ in 0..<3 { _ = try await server.connect() }
        let socket = try RawSocket(port: server.port)
        let answer = String(decoding: await socket.read() ?? [], as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 429"))
        let retryAfter = answer.split(separator: "\r\n").first { $0.lowercased().hasPrefix("retry-after: ") }.flatMap { Int($0.dropFirst(13)) }
        #expect((1...60).contains(retryAfter ?? 0), "Retry-After in seconds: \(answer)")
        #expect(answer.contains("\"code\":\"rate_limited\""))

        let proxied = try await TestServer.start {
            $0.connectionLimits.rate = Rate(count: 1, period: .seconds(60), burst: 1)
            $0.connectionLimits.trustedProxies = ["127.0.0.1"]
            $0.connectionLimits.loopback = .always
        }
        for _ in 0..<10 { _ = try await proxied.connect() }
    }

    @Test("connections from this machine have the per-address limits in production mode only, unless limit_loopback says")
    func loopbackLimits() async throws {
        func tight(_ configuration: inout GatewayConfiguration) {
            configuration.connectionLimits.maximumPerAddress = 2
            configuration.connectionLimits.rate = Rate(count: 1, period: .seconds(60), burst: 2)
        }
        let development = try await TestServer.start { tight(&$0) }
        var open: [TestClient] = []
        for _ in 0..<6 { open.append(try await development.connect()) }
        try await open[5].send(["op": "ping", "t": 6])
        _ = try await open[5].expect("pong")

        let production = try await TestServer.start {
            tight(&$0)
            $0.mode = .production
        }
        let held = [try await production.connect(), try await production.connect()]
        let refused = String(decoding: try await RawSocket(port: production.port).read() ?? [], as: UTF8.self)
        #expect(refused.hasPrefix("HTTP/1.1 429"), "the third of \(held.count + 1) from this machine in production")

        let never = try await TestServer.start {
            tight(&$0)
            $0.mode = .production
            $0.connectionLimits.loopback = .never
        }
        var unlimited: [TestClient] = []
        for _ in 0..<4 { unlimited.append(try await never.connect()) }
        #expect(unlimited.count == 4)
    }

    @Test("a connection that never finishes its request is closed after handshake_timeout; one that did is not")
    func slowloris() async throws {
        let server = try await TestServer.start { $0.handshakeTimeout = .seconds(1) }
        let slow = try RawSocket(port: server.port)
        slow.send("GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
        let identified = try await server.identified("u_patient")
        var closed = false
        for _ in 0..<4 where !closed {
            closed = await slow.read() == nil
        }
        #expect(closed, "the half-sent handshake was cut")
        try await identified.send(["op": "ping", "t": 2])
        #expect(try await identified.expect("pong").int("t") == 2, "an upgraded connection outlives the deadline")
    }

    @Test("tokens never appear in the logs, at trace level, whether they are good, expired, forged or sent over HTTP")
    func tokensNeverLogged() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        let server = try await TestServer.start(logger: RecordingLogHandler.logger(lines))
        let good = try await server.token("u_alice")
        let expired = try await server.token("u_bob", lifetime: .seconds(-10))
        let forged = String(good.dropLast(4)) + "AAAA"
        let alice = try await server.connect()
        try await alice.send(["op": "identify", "token": good])
        _ = try await alice.expect("ready")
        try await alice.send(["op": "post", "id": 1, "body": "hello", "client_id": "t1"])
        _ = try await alice.expect("ack")
        for bad in [expired, forged] {
            let client = try await server.connect()
            try await client.send(["op": "identify", "token": bad])
            #expect(try await client.expectClose() == 4003)
        }
        _ = try await server.http("POST", "/v1/posts", token: good, body: ["body": "via http", "client_id": "t2"])
        _ = try await server.http("GET", "/v1/admin/sessions", token: forged)
        try await Task.sleep(for: .milliseconds(200))
        let logged = lines.withLockedValue { $0 }
        #expect(logged.count > 5, "the server logged at trace level")
        for token in [good, expired, forged] {
            let signature = String(token.split(separator: ".").last ?? "")
            #expect(!logged.contains { $0.contains(token) || $0.contains(signature) }, "a token or its signature was logged")
        }
    }

    @Test("browsers from other origins are refused unless allowed; the page's own origin and clients without Origin connect")
    func originAllowlist() async throws {
        let server = try await TestServer.start { $0.allowedOrigins = ["https://app.example.com"] }
        let foreign = await #expect(throws: TestClientError.self) {
            _ = try await TestClient.connect(port: server.port, extraHeaders: [("Origin", "https://evil.example.net")])
        }
        #expect(foreign?.description.contains("403") == true)
        _ = try await TestClient.connect(port: server.port, extraHeaders: [("Origin", "https://app.example.com")])
        _ = try await TestClient.connect(port: server.port, extraHeaders: [("Origin", "http://127.0.0.1:\(server.port)")])
        _ = try await TestClient.connect(port: server.port)
        #expect(GatewayWebSocketUpgrader.originAllowed("https://x.test", host: "y.test", allowed: ["*"]))
        #expect(!GatewayWebSocketUpgrader.originAllowed("null", host: "y.test", allowed: []))
    }
}
