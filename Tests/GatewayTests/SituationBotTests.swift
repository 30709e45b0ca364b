import Foundation
import Testing
@testable import Gateway
@testable import GatewayProtocol

/// Bots that read the room (issue 16), end to end over real sockets: a persona written carelessly
/// (playful, on every post, no lexicons, an example full of 🎉) answers grief, self-harm, illness,
/// distress, "are you a bot?" and good news in both languages, on the offline engine and on a
/// model that congratulates everything, and publishes nothing unfit.
@Suite("Bots that read the room", .serialized, .stopsServers)
struct SituationBotTests {
    let bots = BotTests()

    static func careless(_ id: String = "party", responder: String = "", style: String = "playful") -> String {
        """
        id: \(id)
        name: \(id.capitalized)
        voice:
          style: \(style)
          examples:
            - post: I got a new bike
              reply: WOW congrats!!! 🎉🎉🎉 Tell us more!
        triggers:
          new_post: { chance: 1.0, delay: 1s }
          reply_delay: 0s
        limits:
          replies: 200/min
          per_user: 200/min
          per_thread: { replies: 3, cooldown: 0s }
        tone:
          max_emoji: 5
        \(responder)
        """
    }

    enum Kind: String, CaseIterable {
        case grief, selfHarm, illness, distress, asksIfBot, celebration
    }

    static let posts: [(kind: Kind, text: String)] = [
        (.grief, "My grandpa passed away this morning"),
        (.grief, "今天外婆走了，走得很安详"),
        (.selfHarm, "I keep thinking about ending it all"),
        (.selfHarm, "真的不想活了，好累"),
        (.illness, "chest pain since last night, what should I take?"),
        (.illness, "发烧三天了，吃什么药好得快？"),
        (.distress, "Got laid off today after six years"),
        (.distress, "考研又没考上，感觉自己好失败"),
        (.asksIfBot, "wait, are you a bot?"),
        (.asksIfBot, "你是机器人吗？"),
        (.celebration, "Passed my driving test on the first try!"),
        (.celebration, "终于拿到offer了！！"),
    ]

    struct Thread {
        var kind: Kind
        var text: String
        var postID: String
        var comments: [[String: Any]] = []
        var drafts: [String] = []
    }

    /// Posts every test post and watches every thread (from offset 0, so no comment is missed
    /// however late the subscription), collecting bot comments and drafts until each thread has
    /// `perThread` comments or 20 s pass.
    func run(_ server: TestServer, perThread: (Kind) -> Int = { _ in 1 }) async throws -> [Thread] {
        let poster = try await server.identified("u_alice")
        let watcher = try await server.identified("u_watcher")
        let epoch = try await bots.epoch(server)
        var threads: [Thread] = []
        for (index, post) in Self.posts.enumerated() {
            try await poster.send(["op": "post", "id": index + 1, "body": post.text, "client_id": "room-\(index)"])
            let postID = try await poster.expect("ack").object("result").object("post").string("id")!
            try await watcher.send(["op": "sub", "id": index + 1, "stream": "thread:\(postID)", "since": ["offset": 0, "epoch": epoch]])
            threads.append(Thread(kind: post.kind, text: post.text, postID: postID))
        }
        var subscribed = 0
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, subscribed < threads.count || threads.contains(where: { $0.comments.count < perThread($0.kind) }) {
            guard case .message(let frame, _) = try? await watcher.receive(timeout: .milliseconds(200)) else { continue }
            if frame.string("op") == "subscribed" { subscribed += 1 }
            let stream = frame.string("stream") ?? ""
            guard let index = threads.firstIndex(where: { "thread:\($0.postID)" == stream }) else { continue }
            if frame.string("op") == "draft", let delta = frame["delta"] as? String { threads[index].drafts.append(delta) }
            if frame.string("op") == "event", frame.string("type") == "comment.created", frame.object("data").object("author").string("kind") == "bot" {
                threads[index].comments.append(frame.object("data"))
            }
        }
        #expect(subscribed == threads.count)
        return threads
    }

    static let cheer = ["congrat", "yay", "🎉", "tell us more", "what's next", "恭喜", "太棒", "哇"]

    /// What every published reply must keep, judged here by plain text, not by the server's checker.
    func expectFit(_ thread: Thread, name: String, allowSilence: Bool = false) {
        let body = thread.comments.first?.string("body") ?? ""
        let lowered = body.lowercased()
        if allowSilence && body.isEmpty { return }
        #expect(!body.isEmpty, "\(thread.text): no reply")
        switch thread.kind {
        case .grief, .selfHarm, .illness, .distress:
            #expect(!body.contains("!") && !body.contains("！"), "\(thread.text) → \(body)")
            #expect(!Self.cheer.contains { lowered.contains($0) }, "\(thread.text) → \(body)")
            #expect(!body.unicodeScalars.contains { $0.properties.isEmojiPresentation }, "\(thread.text) → \(body)")
            #expect(!thread.drafts.joined().lowercased().contains("congrat"), "no unfit draft was shown for \(thread.text)")
            #expect(!thread.drafts.joined().contains("🎉"))
        case .asksIfBot:
            #expect(body.contains(name) && body.contains("AI"), "\(thread.text) → \(body)")
        case .celebration:
            #expect(!lowered.contains("sorry") && !body.contains("节哀") && !body.contains("遗憾"), "\(thread.text) → \(body)")
        }
        if thread.kind == .selfHarm {
            #expect(body.contains("988") || body.contains("12356"), "the support text: \(body)")
        }
        if thread.kind == .illness {
            // A doctor, or for an urgent one (chest pain at night) the emergency department.
            #expect(["doctor", "医生", "emergency", "急诊"].contains { body.contains($0) }, "\(thread.text) → \(body)")
            #expect(!body.contains("mg") && !body.contains("毫克"))
        }
    }

    func flags(_ server: TestServer, role: User.Role? = .moderator) async throws -> TestServer.HTTPAnswer {
        var token: String?
        if let role { token = try await server.token("u_\(role.rawValue)", role: role) }
        return try await server.http("GET", "/v1/admin/flags", token: token)
    }

    @Test("offline: the careless persona and a second one publish only fitting replies; a self-harm post gets support once and a flag")
    func offline() async throws {
        var files = ["party.yaml": Self.careless(), "buddy.yaml": Self.careless("buddy", style: "neutral")]
        files["lexicons/politics.txt"] = BotTests.politics
        let server = try await TestServer.start(personas: files) { $0.writeLimits = .init(postsPerMinute: 1000, commentsPerMinute: 1000) }
        let threads = try await run(server) { $0 == .selfHarm || $0 == .asksIfBot ? 1 : 2 }
        for thread in threads {
            if thread.kind == .selfHarm || thread.kind == .asksIfBot {
                #expect(thread.comments.count == 1, "one support reply, one disclosure, not one per bot: \(thread.comments.map { $0.string("body") ?? "" })")
            } else {
                #expect(thread.comments.count == 2, "\(thread.text)")
            }
            let name = thread.comments.first?.object("author").string("name") ?? ""
            expectFit(thread, name: name)
        }
        // The flag is raised when the post is read and says what the bot did once its reply is
        // committed, a moment after the reply reaches the thread.
        func selfHarmFlags() async throws -> [[String: Any]] {
            ((try await flags(server)).json["flags"] as? [[String: Any]] ?? []).filter { $0.string("reason") == "self_harm" }
        }
        #expect(try await eventually {
            try await selfHarmFlags().allSatisfy { ($0.string("bot_action") ?? "").contains("answered once with the support text") }
        })
        let answer = try await flags(server)
        #expect(answer.status == 200)
        let listed = answer.json["flags"] as? [[String: Any]] ?? []
        let selfHarm = listed.filter { $0.string("reason") == "self_harm" }
        #expect(Set(selfHarm.compactMap { $0.string("post_id") }) == Set(threads.filter { $0.kind == .selfHarm }.map(\.postID)))
        #expect(selfHarm.allSatisfy { ($0.string("bot_action") ?? "").contains("answered once with the support text") })
        #expect(selfHarm.allSatisfy { ($0.string("situation") ?? "").hasPrefix("self_harm") })
        #expect(selfHarm.first.map { Self.posts.map(\.text).contains($0.string("text") ?? "") } == true)
        let times = listed.compactMap { $0.string("at") }
        #expect(times == times.sorted(by: >), "newest first")
        #expect(try await flags(server, role: .user).status == 403)
        #expect(try await flags(server, role: nil).status == 401)
        #expect(try await flags(server, role: .admin).status == 200)
        let samples = try await server.scrape()
        #expect(samples[#"gatewayd_moderation_flags_total{situation="self_harm",reason="self_harm"}"#] ?? 0 >= 2)
        // The decision log says what each item was read as and which rule decided.
        #expect(try await bots.decisionLog(server, "party") { decisions in
            decisions.contains { ($0.string("situation") ?? "").hasPrefix("grief") && $0.string("outcome") == "replied" }
                && decisions.contains { ($0.string("situation") ?? "").hasPrefix("self_harm") }
        })
    }

    @Test("a comment in a reply chain that passes through a loss gets no light reply, though its thread began lightly")
    func carefulChain() async throws {
        let hiker = """
            id: hiker
            name: Hiker
            voice:
              style: playful
              examples:
                - post: went hiking all weekend
                  reply: Hiking weekends are the best! 🎉
            triggers:
              keywords: [hiking]
              reply_delay: 0s
            limits:
              per_thread: { replies: 5, cooldown: 0s }
            """
        let server = try await TestServer.start(personas: ["hiker.yaml": hiker]) { $0.writeLimits = .init(postsPerMinute: 1000, commentsPerMinute: 1000) }
        let alice = try await server.identified("u_alice")
        let bob = try await server.identified("u_bob")
        let postID = try await alice.request(["op": "post", "id": 1, "body": "How was everyone's weekend?", "client_id": "w1"])
            .object("result").object("post").string("id")!
        let loss = try await bob.request(["op": "comment", "id": 1, "post_id": postID, "body": "not great honestly, my dad passed away on saturday",
                                          "client_id": "w2"]).object("result").object("comment").string("id")!
        _ = try await alice.request(["op": "comment", "id": 2, "post_id": postID, "parent_id": loss, "body": "haha mine was great, went hiking all weekend",
                                     "client_id": "w3"])
        #expect(try await bots.latestRule(server, "hiker", becomes: "situation.careful_thread"))
        // The same words beside the loss, not under it, are answered.
        let beside = try await alice.request(["op": "comment", "id": 3, "post_id": postID, "body": "haha mine was great, went hiking all weekend",
                                              "client_id": "w4"]).object("result").object("comment").string("id")
        #expect(try await eventually { try await bots.decisions(server, "hiker").first?.string("outcome") == "replied" })
        let comments = (try await server.http("GET", "/v1/posts/\(postID)")).json["comments"] as? [[String: Any]] ?? []
        let botReplies = comments.filter { $0.object("author").string("kind") == "bot" }
        #expect(botReplies.count == 1 && botReplies.first?["parent_id"] as? String == beside, "one reply, to the comment beside the loss")
    }

    @Test("a deadpan persona stays silent on bad news by default and says why")
    func deadpanSilence() async throws {
        var files = ["robo.yaml": Self.careless("dry", style: "deadpan")]
        files["lexicons/politics.txt"] = BotTests.politics
        let server = try await TestServer.start(personas: files) { $0.writeLimits = .init(postsPerMinute: 1000, commentsPerMinute: 1000) }
        let (_, frames) = try await bots.postAndWatch(server, "My grandpa passed away this morning")
        #expect(bots.botComments(frames).isEmpty)
        #expect(try await bots.latestRule(server, "dry", becomes: "situation.silent"))
    }

    @Test("on a model that congratulates everything: unfit replies are regenerated with the reason, then replaced by the careful offline reply, never shown, and flagged")
    func cheerfulModel() async throws {
        let fake = try await FakeChatCompletionsServer.start()
        defer { Task { await fake.stop() } }
        fake.script("cheer", .events(ProviderRecordings.openAI(["Congratulations", "!!! 🎉 ", "So happy for you!"], model: "cheer")))
        let responder = """
            responder:
              engine: openai
              base_url: \(fake.baseURL)
              model: cheer
              api_key_env: TEST_LLM_API_KEY
            """
        var files = ["party.yaml": Self.careless(responder: responder)]
        files["lexicons/politics.txt"] = BotTests.politics
        let server = try await TestServer.start(personas: files) {
            $0.writeLimits = .init(postsPerMinute: 1000, commentsPerMinute: 1000)
            $0.engineEnvironment = { $0 == "TEST_LLM_API_KEY" ? "sk-test-server-key-0123456789" : nil }
        }
        let threads = try await run(server)
        for thread in threads {
            // An English congratulation on a Chinese post breaks the language rule, which no
            // careful reply repairs: silence.
            let chinese = thread.text.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF }
            expectFit(thread, name: "Party", allowSilence: thread.kind == .celebration && chinese)
            let engine = thread.comments.first?.object("generated").string("engine")
            switch thread.kind {
            case .celebration:
                #expect(engine == (chinese ? nil : "openai"), "good news keeps the model's congratulation, in its language")
            case .grief, .selfHarm, .illness, .distress, .asksIfBot:
                #expect(engine == "offline", "\(thread.text): the careful offline reply replaced the model's")
            }
        }
        // The model heard why its draft was refused, and was told the situation up front.
        let retried = fake.received.filter { $0.messages.last?.content.contains("Your previous draft was refused: fit.careful_register") == true }
        #expect(!retried.isEmpty)
        #expect(fake.received.contains { $0.messages.first?.content.contains("Someone has died or a pet was lost") == true })
        // Unfit flags are raised a moment after the reply they replaced is committed.
        func unfitFlags() async throws -> [[String: Any]] {
            ((try await flags(server)).json["flags"] as? [[String: Any]] ?? []).filter { $0.string("reason") == "unfit_reply" }
        }
        #expect(try await eventually {
            let unfit = try await unfitFlags()
            return unfit.contains { ($0.string("rule") ?? "").hasPrefix("fit.careful_register") && ($0.string("situation") ?? "").hasPrefix("grief") }
                && unfit.contains { ($0.string("rule") ?? "").hasPrefix("fit.disclosure") }
        })
        #expect(try await unfitFlags().allSatisfy { $0.string("persona") == "party" && ($0.string("bot_action") ?? "").contains("careful offline reply") })
    }
}
