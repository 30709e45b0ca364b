import Foundation
import Testing
@testable import Gateway

/// Personas on a model, in a running gateway (issue 5): drafts streamed from the model's tokens,
/// retraction and fallback when it fails, and a hanging model that holds up nobody else.
@Suite("Personas on a language model", .serialized, .stopsServers)
struct EngineServerTests {
    let bots = BotTests()

    static func persona(_ id: String, model: String, baseURL: String, extra: String = "") -> String {
        """
        id: \(id)
        name: \(id.capitalized)
        voice:
          system_prompt: You are \(id.capitalized). Answer in one short sentence.
        triggers:
          new_post: { chance: 1.0, delay: 1s }
        responder:
          engine: openai
          base_url: \(baseURL)
          model: \(model)
          api_key_env: TEST_LLM_API_KEY
        \(extra)
        """
    }

    func start(_ personas: [String: String]) async throws -> TestServer {
        var files = personas
        files["lexicons/politics.txt"] = BotTests.politics
        return try await TestServer.start(personas: files) {
            $0.writeLimits = .init(postsPerMinute: 1000, commentsPerMinute: 1000)
            $0.engineEnvironment = { $0 == "TEST_LLM_API_KEY" ? "sk-test-server-key-0123456789" : nil }
        }
    }

    @Test("a model's tokens stream into the thread as drafts and settle into a comment labelled with engine and model")
    func streamsIntoThread() async throws {
        let fake = try await FakeChatCompletionsServer.start()
        defer { Task { await fake.stop() } }
        fake.script("kimi-k2", .events(ProviderRecordings.openAI(["Congratulations", " on the loaf", "!"], model: "kimi-k2"), pause: .milliseconds(50)))
        let server = try await start(["oracle.yaml": Self.persona("oracle", model: "kimi-k2", baseURL: fake.baseURL)])
        let (_, frames) = try await bots.postAndWatch(server, "Baked my first sourdough loaf today", as: "u_alice") { !bots.botComments($0).isEmpty }
        let deltas = frames.filter { $0.string("op") == "draft" }.compactMap { $0["delta"] as? String }
        #expect(deltas.joined() == "Congratulations on the loaf!")
        let comment = try #require(bots.botComments(frames).first)
        #expect(comment.string("body") == "Congratulations on the loaf!")
        #expect(comment.object("generated").string("engine") == "openai")
        #expect(comment.object("generated").string("model") == "kimi-k2")
        // The thread went to the model as context, with the author's name.
        let request = try #require(fake.received.first)
        #expect(request.messages.last?.content.contains("Baked my first sourdough loaf today") == true)
        #expect(request.messages.last?.content.contains("Alice") == true)
        let samples = try await server.scrape()
        #expect(samples[#"gatewayd_engine_replies_total{persona="oracle",outcome="ok"}"#] == 1)
        #expect(samples[#"gatewayd_engine_requests_total{persona="oracle"}"#] == 1)
        #expect(samples[#"gatewayd_engine_first_token_seconds_count{persona="oracle"}"#] == 1)
    }

    @Test("a stream cut half-way is retracted and never posted; the offline fallback answers, labelled offline")
    func cutThenFallback() async throws {
        let fake = try await FakeChatCompletionsServer.start()
        defer { Task { await fake.stop() } }
        let chunks = ProviderRecordings.openAI(["Lovely loaf.", " The crumb looks"])
        fake.script("cut", .init(steps: [.send("data: \(chunks[1])\n\ndata: \(chunks[2])\n\n"), .pause(.milliseconds(100)), .cut]))
        let server = try await start(["oracle.yaml": Self.persona("oracle", model: "cut", baseURL: fake.baseURL)])
        let (postID, frames) = try await bots.postAndWatch(server, "Baked my first sourdough loaf today, so proud!") { !bots.botComments($0).isEmpty }
        let drafts = frames.filter { $0.string("op") == "draft" }
        let retracted = try #require(drafts.first { $0["retracted"] as? Bool == true })
        let cutDraft = retracted.string("draft_id")
        #expect(drafts.contains { $0.string("draft_id") == cutDraft && $0["delta"] as? String == "Lovely loaf." })
        let comments = bots.botComments(frames)
        #expect(comments.count == 1)
        #expect(comments.first?.string("body")?.contains("crumb") == false)
        #expect(comments.first?.object("generated").string("engine") == "offline")
        let thread = try await server.http("GET", "/v1/posts/\(postID)")
        #expect((thread.json["comments"] as? [[String: Any]])?.count == 1)
        #expect(try await bots.decisionLog(server, "oracle") { decisions in
            decisions.contains { $0.string("outcome") == "failed" && $0.string("rule") == "engine.cut" }
                && decisions.contains { $0.string("outcome") == "replied" && $0.string("rule") == "engine.fallback" }
        })
    }

    @Test("one persona's model hangs: the other persona and every human write and read go on unaffected")
    func hangingModelIsolated() async throws {
        let fake = try await FakeChatCompletionsServer.start()
        defer { Task { await fake.stop() } }
        fake.script("stuck", .init(steps: [.hang]))
        let server = try await start([
            "stuck.yaml": Self.persona("stuck", model: "stuck", baseURL: fake.baseURL, extra: "  timeout: 15s\n  deadline: 15s\n  fallback_engine: none"),
            "kiki.yaml": BotTests.greeter,
        ])
        let (postID, frames) = try await bots.postAndWatch(server, "Baked my first sourdough loaf today") { !bots.botComments($0).isEmpty }
        // Kiki answered. Stuck's request reaches the model and hangs there; Kiki's reply does not
        // wait for it to be sent, so on a loaded machine it may come a little after.
        #expect(bots.botComments(frames).map { $0.object("author").string("id") } == ["b_kiki"])
        #expect(try await eventually { fake.received.count == 1 })
        let bob = try await server.identified("u_bob")
        for number in 1...5 {
            try await bob.send(["op": "comment", "id": number, "post_id": postID, "body": "Human comment \(number)", "client_id": UUID().uuidString])
            #expect(try await bob.expect("ack").int("id") == number)
        }
        let feed = try await server.http("GET", "/v1/feed?limit=5")
        #expect(feed.status == 200)
        #expect(fake.inFlight == 1, "the stuck request is still open after the human traffic")
        // Then the stuck model times out: silence (fallback_engine: none), logged. (15 s: on a
        // loaded PostgreSQL run, 8 s ran out before the human traffic above was done.)
        #expect(try await eventually(.seconds(30)) {
            try await bots.decisions(server, "stuck").contains { $0.string("outcome") == "failed" && $0.string("rule") == "engine.timeout" }
        })
        let thread = try await server.http("GET", "/v1/posts/\(postID)")
        let authors = (thread.json["comments"] as? [[String: Any]] ?? []).map { $0.object("author").string("id") }
        #expect(!authors.contains("b_stuck"))
        #expect(authors.filter { $0 == "b_kiki" }.count == 1)
    }
}
