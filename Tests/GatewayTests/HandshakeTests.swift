import Foundation
import Testing
@testable import Gateway

/// The WebSocket handshake as clients send it, byte for byte over a real socket: the plain ones
/// `HandshakeFastPath` answers itself, and the ones it hands to NIO's HTTP parser, get the same
/// answer (RFC 6455 section 4.2.2).
// Serialized: each case starts a server of its own, and on PostgreSQL a server holds a pool of
// connections; two dozen at once took the test cluster past its max_connections.
@Suite("WebSocket handshake", .serialized)
struct HandshakeTests {
    static let accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    static func request(_ lines: [String], path: String = "/v1/ws", version: String = "HTTP/1.1") -> String {
        "GET \(path) \(version)\r\n" + lines.map { $0 + "\r\n" }.joined() + "\r\n"
    }

    static func plain(replacing name: String, with lines: [String]) -> [String] {
        plain.filter { !$0.hasPrefix(name + ":") } + lines
    }

    static let plain = ["Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                        "Sec-WebSocket-Version: 13"]

    /// `{"op":"ping","t":7}` as a client's masked text frame.
    static var pingFrame: [UInt8] {
        let payload = Array(#"{"op":"ping","t":7}"#.utf8)
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        return [0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    /// Everything the server answered within a second or two, as text.
    static func answer(_ socket: RawSocket) async -> String {
        var bytes: [UInt8] = []
        for _ in 0..<3 {
            guard let more = await socket.read() else { break }
            bytes += more
            if String(decoding: bytes, as: UTF8.self).contains("\"pong\"") { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("a handshake is upgraded however a client spells it, and a frame sent right behind it reaches the session", arguments: [
        ("as usual", request(plain)),
        ("lowercase names, spaces, a query and several Connection tokens", request([
            "host: 127.0.0.1", "upgrade:   WebSocket  ", "connection: keep-alive, Upgrade", "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==",
            "sec-websocket-version:13",
        ], path: "/v1/ws?client=test")),
        ("a header longer than the fast path reads (NIO's parser takes it)", request(plain + ["X-Padding: " + String(repeating: "a", count: 9000)])),
        ("a byte outside ASCII in a header (NIO's parser takes it)", request(plain + ["User-Agent: caf\u{E9}"])),
        // The spaces around a value are no part of it (RFC 9110 section 5.5): hashed with the key, they gave a wrong accept value.
        ("a key and a version with spaces and tabs around them", request(
            plain(replacing: "Sec-WebSocket-Key", with: ["Sec-WebSocket-Key: \t dGhlIHNhbXBsZSBub25jZQ== \t"]).filter { !$0.hasPrefix("Sec-WebSocket-Version") }
                + ["Sec-WebSocket-Version: 13 "])),
        ("the same through NIO's parser", request(
            plain(replacing: "Sec-WebSocket-Key", with: ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==  ", "User-Agent: caf\u{E9}"]))),
        ("an absolute-form target (RFC 6455 section 4.2.1)", request(plain, path: "http://127.0.0.1/v1/ws?client=test")),
    ])
    func upgraded(_ variant: String, _ request: String) async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        socket.send(Array(request.utf8) + Self.pingFrame)
        let answer = await Self.answer(socket)
        #expect(answer.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), "\(variant): \(answer.prefix(60))")
        #expect(answer.contains(Self.accept), "\(variant)")
        #expect(answer.contains(#""op":"hello""#), "\(variant)")
        #expect(answer.contains(#""op":"pong","t":7"#), "\(variant): the frame behind the handshake was lost")
    }

    @Test("the 101 is the same byte for byte whether the fast path or NIO's parser answered")
    func sameAnswer() async throws {
        let server = try await TestServer.start()
        var heads: [String] = []
        // The first is answered by HandshakeFastPath, the second (a byte outside ASCII) by NIO's pipeline.
        for extra in ["User-Agent: plain", "User-Agent: caf\u{E9}"] {
            let socket = try RawSocket(port: server.port)
            socket.send(Self.request(Self.plain + ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits", extra]))
            let answer = await Self.answer(socket)
            heads.append(answer.components(separatedBy: "\r\n\r\n")[0])
        }
        #expect(heads[0].hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(heads[0].contains("Sec-WebSocket-Extensions: permessage-deflate"))
        #expect(heads[0] == heads[1])
    }

    @Test("a client that half-closes before its head ends is closed at once, as NIO's parser did")
    func halfClosed() async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        socket.send("GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        socket.shutdownWrite()
        let (_, closed) = await socket.readUntilClosed(within: .seconds(3))
        #expect(closed, "the connection was held until the handshake deadline")
    }

    @Test("a handshake that arrives a few bytes at a time is upgraded")
    func trickled() async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        let bytes = Array(Self.request(Self.plain).utf8) + Self.pingFrame
        for start in stride(from: 0, to: bytes.count, by: 7) {
            socket.send(Array(bytes[start..<min(start + 7, bytes.count)]))
            try await Task.sleep(for: .milliseconds(2))
        }
        let answer = await Self.answer(socket)
        #expect(answer.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), "\(answer.prefix(60))")
        #expect(answer.contains(#""op":"pong","t":7"#))
    }

    @Test("refused handshakes get the HTTP answer that says why, and are closed", arguments: [
        ("another path", request(plain, path: "/v1/socket"), "HTTP/1.1 404", "not_found"),
        ("a page from elsewhere", request(plain + ["Origin: https://elsewhere.test"]), "HTTP/1.1 403", "forbidden"),
        // RFC 6455 section 4.2.1: each of these is not a handshake, and the answer is a 400.
        ("HTTP/1.0", request(plain, version: "HTTP/1.0"), "HTTP/1.1 400", "bad_request"),
        ("no Connection: Upgrade", request(plain(replacing: "Connection", with: [])), "HTTP/1.1 400", "bad_request"),
        ("Connection: keep-alive only", request(plain(replacing: "Connection", with: ["Connection: keep-alive"])), "HTTP/1.1 400", "bad_request"),
        ("no Host", request(plain(replacing: "Host", with: [])), "HTTP/1.1 400", "bad_request"),
        ("two Hosts", request(plain + ["Host: elsewhere.test"]), "HTTP/1.1 400", "bad_request"),
        ("a key of 10 bytes", request(plain(replacing: "Sec-WebSocket-Key", with: ["Sec-WebSocket-Key: dGhlIHNhbXBsZQ=="])), "HTTP/1.1 400", "bad_request"),
        ("a key that is not base64", request(plain(replacing: "Sec-WebSocket-Key", with: ["Sec-WebSocket-Key: abc"])), "HTTP/1.1 400", "bad_request"),
        ("two keys", request(plain + ["Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA=="]), "HTTP/1.1 400", "bad_request"),
        ("no version", request(plain(replacing: "Sec-WebSocket-Version", with: [])), "HTTP/1.1 400", "bad_request"),
    ])
    func refused(_ variant: String, _ request: String, _ status: String, _ code: String) async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        socket.send(request)
        let (answer, closed) = await socket.readUntilClosed()
        #expect(answer.hasPrefix(status), "\(variant): \(answer.prefix(60))")
        #expect(answer.contains(#""code":"\#(code)""#), "\(variant): \(answer)")
        #expect(closed, "\(variant)")
    }

    @Test("a version other than 13 is answered 426 with the version the server speaks (RFC 6455 section 4.4)")
    func otherVersion() async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        socket.send(Self.request(Self.plain(replacing: "Sec-WebSocket-Version", with: ["Sec-WebSocket-Version: 8"])))
        let (answer, closed) = await socket.readUntilClosed()
        #expect(answer.hasPrefix("HTTP/1.1 426"), "\(answer.prefix(60))")
        #expect(answer.contains("Sec-WebSocket-Version: 13\r\n") && answer.contains("Upgrade: websocket\r\n"), "\(answer)")
        #expect(answer.contains(#""code":"bad_request""#) && answer.contains("not 8"), "\(answer)")
        #expect(closed)
    }

    @Test("an Upgrade the server does not speak is ignored and the request answered as plain HTTP", arguments: [
        ("curl --http2", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n",
         "HTTP/1.1 200"),
        ("websocket with a version in the token", request(plain(replacing: "Upgrade", with: ["Upgrade: websocket/13"])), "HTTP/1.1 426"),
    ])
    func unspokenUpgrade(_ variant: String, _ request: String, _ status: String) async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        socket.send(request)
        let (answer, closed) = await socket.readUntilClosed(within: .seconds(5))
        #expect(answer.hasPrefix(status), "\(variant): \(answer.prefix(60))")
        // NIO's decoder reads nothing more after a request it took for an upgrade: the
        // connection ends with the answer rather than waiting for the idle timeout.
        #expect(closed, "\(variant): \(answer)")
    }

    @Test("a bad request after a good one on a kept-alive connection gets one 400, not two")
    func oneAnswerPerBadRequest() async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        socket.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGARBAGE\r\n\r\n")
        let (answer, closed) = await socket.readUntilClosed(within: .seconds(5))
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(60))")
        #expect(answer.components(separatedBy: "HTTP/1.1 400").count == 2, "\(answer)")
        #expect(closed)
    }

    @Test("a head NIO cannot parse is answered 400 at once, not left to the handshake deadline", arguments: [
        "GARBAGE\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Folded: a\r\n b\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n",
    ])
    func unparsable(_ request: String) async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        socket.send(request)
        let (answer, closed) = await socket.readUntilClosed(within: .seconds(3))
        #expect(answer.hasPrefix("HTTP/1.1 400"), "\(request.debugDescription): \(answer.prefix(60))")
        #expect(closed)
    }

    @Test("a plain HTTP request on a new connection is answered by the API as before")
    func plainHTTP() async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        socket.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let (answer, _) = await socket.readUntilClosed()
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(60))")
    }
}
