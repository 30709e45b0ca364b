import Foundation
import Testing
@testable import Gateway

/// The rows of docs/reliability.md that no other suite covers: unsigned tokens, spoofed authors,
/// writes to deleted things, ids of the wrong kind, hostile but well-formed JSON.
@Suite("Hostile input", .stopsServers)
struct HostileInputTests {
    func answer(_ client: TestClient, _ object: [String: Any]) async throws -> [String: Any] {
        try await client.send(object)
        return try await client.message()
    }

    @Test("an unsigned token (alg none) and a token whose payload was edited are refused with 4003")
    func unsignedAndEditedTokens() async throws {
        let server = try await TestServer.start()
        func base64URL(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let exp = Int(Date().timeIntervalSince1970) + 3600
        let unsigned = base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + base64URL(#"{"sub":"u_root","name":"Root","role":"admin","exp":\#(exp)}"#) + "."
        let real = try await server.token("u_mallory").split(separator: ".")
        let edited = [String(real[0]), base64URL(#"{"sub":"u_root","name":"Root","role":"admin","exp":\#(exp)}"#), String(real[2])].joined(separator: ".")
        for token in [unsigned, edited] {
            let client = try await server.connect()
            try await client.send(["op": "identify", "token": token])
            #expect(try await client.expectClose() == 4003)
            #expect(try await server.http("GET", "/v1/admin/sessions", token: token).status == 401)
        }
    }

    @Test("a client cannot write as someone else: author fields in a request are ignored")
    func spoofedAuthor() async throws {
        let server = try await TestServer.start()
        let client = try await server.identified("u_mallory")
        let ack = try await answer(client, [
            "op": "post", "id": 1, "body": "hi", "client_id": "s1", "author": ["id": "u_alice", "kind": "human"], "user_id": "u_alice",
            "generated": ["persona": "kiki", "engine": "offline", "model": "x"],
        ])
        let post = ack.object("result").object("post")
        #expect(post.object("author").string("id") == "u_mallory")
        #expect(post["generated"] == nil)
    }

    @Test("writes to a deleted post, and ids of the wrong kind, are refused with not_found or bad_request")
    func deletedAndWrongKinds() async throws {
        let server = try await TestServer.start()
        let client = try await server.identified("u_writer")
        let post = try await answer(client, ["op": "post", "id": 1, "body": "soon gone", "client_id": "g1"]).object("result").object("post").string("id")!
        let comment = try await answer(client, ["op": "comment", "id": 2, "post_id": post, "body": "under it", "client_id": "g2"])
            .object("result").object("comment").string("id")!
        #expect(try await answer(client, ["op": "delete", "id": 3, "target": post]).string("op") == "ack")
        #expect(try await answer(client, ["op": "comment", "id": 4, "post_id": post, "body": "late", "client_id": "g3"]).string("code") == "not_found")
        #expect(try await answer(client, ["op": "comment", "id": 5, "post_id": post, "parent_id": comment, "body": "late", "client_id": "g4"])
            .string("code") == "not_found")
        #expect(try await answer(client, ["op": "react", "id": 6, "target": post, "emoji": "👍", "on": true]).string("code") == "not_found")
        #expect(try await answer(client, ["op": "sub", "id": 7, "stream": "thread:\(post)"]).string("code") == "not_found")
        #expect(try await server.http("GET", "/v1/posts/\(post)").status == 404)
        // A comment id where a post id belongs, and the other way round.
        #expect(try await answer(client, ["op": "comment", "id": 8, "post_id": comment, "body": "x", "client_id": "g5"]).string("code") == "not_found")
        #expect(try await answer(client, ["op": "sub", "id": 9, "stream": "thread:\(comment)"]).string("code") == "not_found")
        #expect(try await server.http("GET", "/v1/posts/\(comment)").status == 404)
        #expect(try await answer(client, ["op": "mute", "id": 10, "bot": "u_writer", "scope": "all", "on": true]).string("code") != "ack")
    }

    @Test("hostile but well-formed JSON: huge numbers, duplicate keys, odd escapes; the session survives each")
    func hostileJSON() async throws {
        let server = try await TestServer.start()
        let client = try await server.identified("u_fuzzy")
        let frames = [
            #"{"op":"post","id":1,"body":1e999999,"client_id":"n1"}"#,
            #"{"op":"react","id":2,"target":"p_1","emoji":"👍","on":"# + String(repeating: "9", count: 5000) + "}",
            #"{"op":"ping","op":"post","id":3,"t":1}"#,
            #"{"op":"sub","id":4,"stream":"feed\u0000"}"#,
            #"{"op":"post","id":5,"body":"\ud83d\ude00 \u202e reversed","client_id":"\u0000"}"#,
        ]
        for frame in frames {
            try await client.sendText(frame)
            let reply = try await client.message()
            #expect(["pong", "error", "ack", "subscribed"].contains(reply.string("op") ?? ""), "\(frame.prefix(60)) → \(reply)")
        }
        try await client.send(["op": "ping", "t": "still here"])
        #expect(try await client.expect("pong").string("t") == "still here")
        // A lone surrogate escape names no character: the frame is valid JSON text but its string
        // is not Unicode, so the request is refused and the session goes on.
        let lone = try await server.identified("u_lone")
        try await lone.sendText(#"{"op":"post","id":6,"body":"\ud800","client_id":"lone"}"#)
        let refused = try await lone.expect("error")
        #expect(refused.string("code") == "bad_request")
        #expect(refused.int("id") == 6)
        try await lone.sendText(#"{"op":"post","id":7,"body":"\ud83d\ude00 paired is fine","client_id":"paired"}"#)
        #expect(try await lone.expect("ack").object("result").object("post").string("body") == "😀 paired is fine")
        let token = try await server.token("u_lone")
        let overHTTP = try await server.http("POST", "/v1/posts", token: token, rawBody: Data(#"{"body":"a\udc00b","client_id":"h"}"#.utf8))
        #expect(overHTTP.status == 400)
        #expect(overHTTP.json.object("error").string("code") == "bad_request")
    }
}
