import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import CompressNIO
import NIOCore
import NIOWebSocket
import GatewayProtocol
import Testing
@testable import Gateway

/// The HTTP API of PROTOCOL.md section 7.
@Suite("HTTP API", .serialized, .stopsServers)
struct HTTPTests {
    @Test("feed pages newest first with before and limit; limits are checked")
    func feedPaging() async throws {
        let server = try await TestServer.start()
        let token = try await server.token("u_writer")
        var ids: [String] = []
        for index in 0..<7 {
            let created = try await server.http("POST", "/v1/posts", token: token, body: ["body": "post \(index)", "client_id": "p\(index)"])
            #expect(created.status == 201)
            #expect(created.json.int("offset") == index + 1)
            ids.append(created.json.object("post").string("id")!)
        }
        let first = try await server.http("GET", "/v1/feed?limit=3")
        #expect(first.status == 200)
        #expect(first.headers["content-type"]?.hasPrefix("application/json") == true)
        let firstIDs = (first.json["posts"] as? [[String: Any]] ?? []).compactMap { $0.string("id") }
        #expect(firstIDs == Array(ids.reversed().prefix(3)))
        #expect(first.json.int("offset") == 7)
        #expect(first.json.string("epoch")?.hasPrefix("e_") == true)
        let second = try await server.http("GET", "/v1/feed?limit=3&before=\(firstIDs.last!)")
        #expect((second.json["posts"] as? [[String: Any]] ?? []).compactMap { $0.string("id") } == Array(ids.reversed()[3..<6]))
        let all = try await server.http("GET", "/v1/feed")
        #expect((all.json["posts"] as? [Any])?.count == 7)
        for bad in ["0", "101", "x", "-1"] {
            let refused = try await server.http("GET", "/v1/feed?limit=\(bad)")
            #expect(refused.status == 400)
            #expect(refused.json.object("error").string("code") == "bad_request")
        }
    }

    @Test("a thread with its comments, and comment pages after a comment id")
    func threads() async throws {
        let server = try await TestServer.start()
        let token = try await server.token("u_writer")
        let postID = try await server.http("POST", "/v1/posts", token: token, body: ["body": "thread", "client_id": "t", "bots": "off"])
            .json.object("post").string("id")!
        var commentIDs: [String] = []
        for index in 0..<5 {
            let created = try await server.http("POST", "/v1/posts/\(postID)/comments", token: token, body: ["body": "c\(index)", "client_id": "c\(index)"])
            #expect(created.status == 201)
            #expect(created.json.int("offset") == index + 1)
            commentIDs.append(created.json.object("comment").string("id")!)
        }
        let thread = try await server.http("GET", "/v1/posts/\(postID)")
        #expect(thread.json.object("post").string("bots") == "off")
        #expect(thread.json.object("post").int("comment_count") == 5)
        #expect((thread.json["comments"] as? [[String: Any]] ?? []).compactMap { $0.string("id") } == commentIDs)
        #expect(thread.json.int("offset") == 5)
        let page = try await server.http("GET", "/v1/posts/\(postID)/comments?after=\(commentIDs[1])&limit=2")
        #expect((page.json["comments"] as? [[String: Any]] ?? []).compactMap { $0.string("id") } == Array(commentIDs[2..<4]))
        #expect(try await server.http("GET", "/v1/posts/p_none").status == 404)
        #expect(try await server.http("GET", "/v1/posts/p_none/comments").status == 404)
        let deleted = try await server.http("DELETE", "/v1/comments/\(commentIDs[0])", token: token)
        #expect(deleted.status == 200)
        #expect(deleted.json.isEmpty)
        #expect(try await server.http("DELETE", "/v1/posts/\(postID)", token: try await server.token("u_stranger")).status == 403)
        #expect(try await server.http("DELETE", "/v1/posts/\(postID)", token: try await server.token("u_admin", role: .admin)).status == 200)
        #expect(try await server.http("GET", "/v1/posts/\(postID)").status == 404)
    }

    @Test("snapshots carry reactions on comments too, and, read with a token, the reader's own (mine)")
    func snapshotReactions() async throws {
        let server = try await TestServer.start()
        let alice = try await server.identified("u_alice")
        let bob = try await server.identified("u_bob")
        let postID = try #require(try await alice.request(["op": "post", "id": 1, "body": "react to me", "client_id": "p", "bots": "off"])
            .object("result").object("post").string("id"))
        let commentID = try #require(try await alice.request(["op": "comment", "id": 2, "post_id": postID, "body": "and me", "client_id": "c"])
            .object("result").object("comment").string("id"))
        for (client, target, emoji) in [(alice, postID, "👍"), (bob, postID, "👍"), (bob, postID, "🎉"), (bob, commentID, "❤️"), (alice, commentID, "❤️")] {
            #expect(try await client.request(["op": "react", "id": 3, "target": target, "emoji": emoji, "on": true]).string("op") == "ack")
        }
        let bobToken = try await server.token("u_bob")
        let thread = try await server.http("GET", "/v1/posts/\(postID)", token: bobToken).json
        #expect(thread.object("post").object("reactions") as? [String: Int] == ["👍": 2, "🎉": 1])
        #expect(thread.object("post")["mine"] as? [String] == ["👍", "🎉"])
        let comment = try #require((thread["comments"] as? [[String: Any]])?.first)
        #expect(comment.object("reactions") as? [String: Int] == ["❤️": 2])
        #expect(comment["mine"] as? [String] == ["❤️"])
        let anonymous = try await server.http("GET", "/v1/posts/\(postID)").json
        #expect(anonymous.object("post")["mine"] == nil, "mine only for a reader with a token")
        #expect((anonymous["comments"] as? [[String: Any]])?.first?.object("reactions") as? [String: Int] == ["❤️": 2])
        let feed = try await server.http("GET", "/v1/feed", token: try await server.token("u_carol")).json
        #expect((feed["posts"] as? [[String: Any]])?.first?["mine"] as? [String] == [])
        let page = try await server.http("GET", "/v1/posts/\(postID)/comments", token: bobToken).json
        #expect((page["comments"] as? [[String: Any]])?.first?["mine"] as? [String] == ["❤️"])
    }

    @Test("tokens: missing for writes is 401; present but bad or expired is always 401")
    func authentication() async throws {
        let server = try await TestServer.start()
        let anonymousWrite = try await server.http("POST", "/v1/posts", body: ["body": "x", "client_id": "x"])
        #expect(anonymousWrite.status == 401)
        #expect(anonymousWrite.json.object("error").string("code") == "unauthorized")
        #expect(try await server.http("GET", "/v1/feed", token: "not.a.token").status == 401)
        #expect(try await server.http("GET", "/v1/feed", token: try await server.token("u_old", lifetime: .seconds(-5))).status == 401)
        #expect(try await server.http("GET", "/v1/feed").status == 200)
        // An id that is canonically the same as another's but spelled otherwise would be that user
        // to Swift's String comparison and another user to the store: refused at the door.
        let decomposed = try await server.http("GET", "/v1/feed", token: try await server.token("u_jose\u{301}"))
        #expect(decomposed.status == 401)
        #expect(decomposed.json.object("error").string("message")?.contains("normalization form C") == true)
        #expect(try await server.http("GET", "/v1/feed", token: try await server.token("u_jos\u{E9}")).status == 200)
        // The scheme is case-insensitive and may be followed by more than one space (RFC 9110).
        let token = try await server.token("u_spaced")
        for (index, header) in ["Bearer  \(token)", "bearer \(token)"].enumerated() {
            let written = try await server.http("POST", "/v1/posts", body: ["body": "spaced", "client_id": "spaced-\(index)"],
                                                headers: ["Authorization": header])
            #expect(written.status == 201, "\(header.prefix(8))…")
        }
    }

    @Test("bad bodies: not JSON, not an object, too large, wrong fields")
    func badBodies() async throws {
        let server = try await TestServer.start()
        let token = try await server.token("u_writer")
        for body in ["{", "[1]", "\"x\""] {
            let answer = try await server.http("POST", "/v1/posts", token: token, rawBody: Data(body.utf8))
            #expect(answer.status == 400, "\(body)")
        }
        let invalidUTF8 = try await server.http("POST", "/v1/posts", token: token, rawBody: Data([0x7B, 0xFF, 0x7D]))
        #expect(invalidUTF8.status == 400)
        let huge = try await server.http("POST", "/v1/posts", token: token, rawBody: Data(repeating: 0x20, count: 70_000))
        #expect(huge.status == 413)
        let tooLong = try await server.http("POST", "/v1/posts", token: token, body: ["body": String(repeating: "a", count: 4001), "client_id": "x"])
        #expect(tooLong.status == 413)
        #expect(tooLong.json.object("error").string("code") == "too_large")
        let noClientID = try await server.http("POST", "/v1/posts", token: token, body: ["body": "x"])
        #expect(noClientID.status == 400)
        #expect(noClientID.json.object("error").string("message")?.contains("client_id") == true)
    }

    @Test("ids, names and bodies are checked as the OpenAPI document states them, and the document states the configured limit")
    func documentedConstraints() async throws {
        let server = try await TestServer.start { $0.maxBodyScalars = 500 }
        let token = try await server.token("u_writer")
        let post = try await server.http("POST", "/v1/posts", token: token, body: ["body": "hello", "client_id": "p"]).json.object("post").string("id")!
        let comment = try await server.http("POST", "/v1/posts/\(post)/comments", token: token, body: ["body": "hi", "client_id": "c"])
            .json.object("comment").string("id")!
        // A malformed cursor is a mistake to report, not an empty or a full page.
        for path in ["/v1/feed?before=zzz", "/v1/feed?before=\(comment)", "/v1/posts/\(post)/comments?after=\(post)"] {
            let refused = try await server.http("GET", path)
            #expect(refused.status == 400, "\(path)")
        }
        // Each delete path deletes its own kind only.
        #expect(try await server.http("DELETE", "/v1/posts/\(comment)", token: token).status == 400)
        #expect(try await server.http("DELETE", "/v1/comments/\(post)", token: token).status == 400)
        // Any other id names nothing there: not found, as the WebSocket delete of an unknown post or comment answers.
        for path in ["/v1/posts/p_NOPE", "/v1/comments/c_NOPE", "/v1/posts/zzz", "/v1/comments/p"] {
            let missing = try await server.http("DELETE", path, token: token)
            #expect(missing.status == 404, "\(path)")
            #expect(missing.json.object("error").string("code") == "not_found", "\(path)")
        }
        #expect(try await server.http("GET", "/v1/posts/\(post)").json.object("post").int("comment_count") == 1)
        // Bodies count scalars after trimming; names too, so that the schema's patterns are exact.
        let padded = "  " + String(repeating: "a", count: 500) + " \r\n"
        #expect(try await server.http("POST", "/v1/posts", token: token, body: ["body": padded, "client_id": "long"]).status == 201)
        #expect(try await server.http("POST", "/v1/posts", token: token, body: ["body": String(repeating: "a", count: 501), "client_id": "over"]).status == 413)
        let emojiName = String(repeating: "🙂", count: 32)
        #expect(try await server.http("POST", "/v1/dev/login", body: ["name": " \(emojiName) "]).json.object("user").string("name") == emojiName)
        #expect(try await server.http("POST", "/v1/dev/login", body: ["name": "a\tb"]).status == 400)

        let document = try await Self.text(server, "/v1/openapi.yaml")
        #expect(document.contains("{0,498}") && !document.contains("{0,3998}"))
        let page = try await Self.text(server, "/")
        #expect(page.contains(#"<meta name="gatewayd:max-body-chars" content="500">"#))
    }

    static func text(_ server: TestServer, _ path: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(server.port)\(path)")!)
        return String(decoding: data, as: UTF8.self)
    }

    @Test("health, readiness, metrics, personas and unknown paths")
    func operational() async throws {
        let server = try await TestServer.start(personas: ["kiki.yaml": "id: kiki\nname: Kiki\n"])
        #expect(try await server.http("GET", "/healthz").status == 200)
        // HEAD wherever GET: the headers without the body, over a raw socket to see that no body follows.
        let socket = try RawSocket(port: server.port)
        socket.send("HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let (head, _) = await socket.readUntilClosed()
        #expect(head.hasPrefix("HTTP/1.1 200"), "\(head.prefix(60))")
        #expect(head.hasSuffix("\r\n\r\n") && !head.contains("status"), "\(head)")
        // Ready once the store answers; on PostgreSQL under a loaded suite that can take a moment.
        var ready = false
        for _ in 0..<50 where !ready {
            ready = try await server.http("GET", "/readyz").status == 200
            if !ready { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(ready)
        let client = try await server.identified("u_metric")
        try await client.send(["op": "ping", "t": 1])
        _ = try await client.expect("pong")
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/metrics")!)
        request.httpMethod = "GET"
        let (data, _) = try await URLSession.shared.data(for: request)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#"gatewayd_sessions{state="identified"} 1"#))
        #expect(text.contains("gatewayd_messages_received_total 2"))
        let personas = try await server.http("GET", "/v1/personas")
        let first = (personas.json["personas"] as? [[String: Any]])?.first ?? [:]
        #expect(first.string("id") == "kiki")
        #expect(first.object("user").string("id") == "b_kiki")
        // Readable without a token, but a bad token is refused, here as on every route.
        let forged = try await server.http("GET", "/v1/personas", token: "not.a.token")
        #expect(forged.status == 401)
        #expect(forged.json.object("error").string("code") == "unauthorized")
        let missing = try await server.http("GET", "/v2/nothing")
        #expect(missing.status == 404)
        #expect(missing.json.object("error").string("code") == "not_found")
        await #expect(throws: TestClientError.self) { _ = try await TestClient.connect(port: server.port, path: "/elsewhere") }
    }

    @Test("the data directory is the gateway user's alone (0700), and so are the database and its WAL (0600)",
          .enabled(if: !TestServer.onPostgres, "the SQLite file's modes"))
    func fileModes() async throws {
        let data = TestServer.temporaryDirectory() + "/fresh/data"
        let server = try await TestServer.start(dataDirectory: data)
        let client = try await server.identified("u_modes")
        try await client.send(["op": "post", "id": 1, "body": "a write makes the WAL", "client_id": "m1"])
        _ = try await client.expect("ack")
        func mode(_ path: String) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        }
        #expect(mode(data) == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.contains(".sqlite") || $0.hasSuffix(".db") || $0.contains("-wal") }
        #expect(!files.isEmpty)
        for file in files { #expect(mode(data + "/" + file) == 0o600, "\(file)") }
    }

    @Test("permessage-deflate is negotiated and compressed client messages are understood")
    func deflate() async throws {
        let server = try await TestServer.start()
        let (client, headers) = try await TestClient.connectReturningHeaders(
            port: server.port, extraHeaders: [("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")])
        #expect(headers["sec-websocket-extensions"] == "permessage-deflate; client_no_context_takeover")
        _ = try await client.expect("hello")
        var message = ByteBuffer(string: #"{"op":"ping","t":"compressed"}"#)
        let compressor = try ZlibCompressor(algorithm: .deflate)
        var compressed = try message.compressStream(with: compressor, flush: .sync)
        compressed.moveWriterIndex(to: compressed.writerIndex - 4)
        try await client.sendFrame(.text, Array(compressed.readableBytesView), rsv1: true)
        #expect(try await client.expect("pong").string("t") == "compressed")
        let plain = try await TestClient.connectReturningHeaders(port: server.port)
        #expect(plain.1["sec-websocket-extensions"] == nil)
    }

    @Test("a path asked with a method it does not answer is 405 with Allow; a plain GET of the WebSocket endpoint is 426")
    func methodsAndUpgrade() async throws {
        let server = try await TestServer.start()
        let wrongMethod = try await server.http("DELETE", "/v1/feed")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "GET, HEAD")
        #expect(wrongMethod.json.object("error").string("code") == "bad_request")
        let post = try await server.http("PUT", "/v1/posts/p_any")
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "DELETE, GET, HEAD")
        #expect(try await server.http("GET", "/v1/nothing-here").status == 404, "a path that does not exist stays 404")
        let plain = try await server.http("GET", "/v1/ws")
        #expect(plain.status == 426)
        #expect(plain.headers["upgrade"] == "websocket")
        _ = try await server.connect()
    }

    @Test("what held in the review stays held: a deflate bomb closes with 1009, a path out of the web root is 404")
    func reviewHeld() async throws {
        // 64 MiB of spaces compresses to about 64 KiB; inflated it is a thousand times the limit.
        // Made before connecting: on a loaded machine it can take longer than the identify timeout.
        var bomb = ByteBuffer(string: #"{"op":"ping","t":""# + String(repeating: " ", count: 64 << 20) + #""}"#)
        var compressed = try bomb.compressStream(with: try ZlibCompressor(algorithm: .deflate), flush: .sync)
        compressed.moveWriterIndex(to: compressed.writerIndex - 4)
        let server = try await TestServer.start()
        let (client, _) = try await TestClient.connectReturningHeaders(
            port: server.port, extraHeaders: [("Sec-WebSocket-Extensions", "permessage-deflate")])
        _ = try await client.expect("hello")
        try await client.sendFrame(.text, Array(compressed.readableBytesView), rsv1: true)
        #expect(try await client.expectClose() == 1009)
        for path in ["/../Package.swift", "/%2e%2e/Package.swift", "/..%2fPackage.swift", "/web/../../Package.swift"] {
            let socket = try RawSocket(port: server.port)
            socket.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let (answer, closed) = await socket.readUntilClosed()
            #expect(closed, "\(path): the connection was not closed")
            #expect(answer.hasPrefix("HTTP/1.1 404") || answer.hasPrefix("HTTP/1.1 400"), "\(path): \(answer.prefix(40))")
            #expect(!answer.contains("swift-tools-version"), "\(path) reached a file outside the web root")
        }
    }
}
