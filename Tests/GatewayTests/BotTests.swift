import Foundation
import GatewayProtocol
import Testing
@testable import Gateway

/// Personas as participants (issue 4), over real sockets with persona files on disk.
@Suite("Bots in threads", .serialized, .stopsServers)
struct BotTests {
    static let greeter = """
        id: kiki
        name: Kiki
        voice:
          style: playful
          knowledge: [Sourdough needs a starter that is fed daily.]
        triggers:
          new_post: { chance: 1.0, delay: 1s }
          reply_delay: 0s
        limits:
          per_thread: { replies: 1, cooldown: 0s }
        tone:
          avoid_topics: [politics]
        """

    static let politics = "election\n选举\n"

    func start(_ personas: [String: String] = ["kiki.yaml": greeter], dataDirectory: String? = nil, personasDirectory: String? = nil) async throws -> TestServer {
        var files = personas
        files["lexicons/politics.txt"] = Self.politics
        return try await TestServer.start(dataDirectory: dataDirectory, personas: files, personasDirectory: personasDirectory) {
            $0.writeLimits = .init(postsPerMinute: 1000, commentsPerMinute: 1000)
        }
    }

    /// Posts, subscribes to the thread, and collects what arrives in it for `duration`. Personas
    /// that stream drafts wait a second first, so the watcher is subscribed before they start
    /// even on a loaded machine (drafts are ephemeral and never replayed).
    /// Posts, then collects the thread's frames for `duration` (long enough to see a reply that
    /// should not come, or a second one), and on past it, up to 15 s, until what the test
    /// `expecting` has arrived: a loaded machine delays a bot's reply, it does not lose it.
    func postAndWatch(_ server: TestServer, _ body: String, bots: String = "on", as user: String = "u_alice",
                      for duration: Duration = .milliseconds(2200),
                      expecting: ([[String: Any]]) -> Bool = { _ in true }) async throws -> (postID: String, frames: [[String: Any]]) {
        let client = try await server.identified(user)
        // Everything the watcher needs is ready before the post, so that only its `sub` stands
        // between the post and the bot's first draft frame (drafts are not replayed).
        let watcher = try await server.identified("u_watcher_\(UUID().uuidString.prefix(6))")
        let epoch = try await epoch(server)
        try await client.send(["op": "post", "id": 1, "body": body, "client_id": UUID().uuidString, "bots": bots])
        let postID = try await client.expect("ack").object("result").object("post").string("id")!
        try await watcher.send(["op": "sub", "id": 1, "stream": "thread:\(postID)", "since": ["offset": 0, "epoch": epoch]])
        _ = try await watcher.expect("subscribed")
        var frames: [[String: Any]] = []
        let watched = ContinuousClock.now + duration
        let patience = ContinuousClock.now + max(duration, .seconds(15))
        while ContinuousClock.now < patience, ContinuousClock.now < watched || !expecting(frames) {
            guard case .message(let object, _) = try? await watcher.receive(timeout: .milliseconds(100)) else { continue }
            frames.append(object)
        }
        return (postID, frames)
    }

    func epoch(_ server: TestServer) async throws -> String {
        try await server.http("GET", "/v1/feed?limit=1").json.string("epoch")!
    }

    func botComments(_ frames: [[String: Any]]) -> [[String: Any]] {
        frames.filter { $0.string("op") == "event" && $0.string("type") == "comment.created" && $0.object("data").object("author").string("kind") == "bot" }
            .map { $0.object("data") }
    }

    /// Whether the persona's decision log comes to satisfy `condition` within 15 s. A decision is
    /// logged a moment after the write or retraction it decided, seconds later on a loaded machine,
    /// so a test that has seen the frames may not see the decision yet.
    func decisionLog(_ server: TestServer, _ persona: String, comesTo condition: ([[String: Any]]) -> Bool) async throws -> Bool {
        try await eventually { condition(try await decisions(server, persona)) }
    }

    func latestRule(_ server: TestServer, _ persona: String, becomes rule: String) async throws -> Bool {
        try await decisionLog(server, persona) { $0.first?.string("rule") == rule }
    }

    func latestOutcome(_ server: TestServer, _ persona: String, becomes outcome: String) async throws -> Bool {
        try await decisionLog(server, persona) { $0.first?.string("outcome") == outcome }
    }

    func decisions(_ server: TestServer, _ persona: String) async throws -> [[String: Any]] {
        let answer = try await server.http("GET", "/v1/admin/personas/\(persona)/decisions", token: try await server.token("u_admin", role: .admin))
        return answer.json["decisions"] as? [[String: Any]] ?? []
    }

    @Test("a new post gets the greeter's comment, labelled as AI, streamed as drafts that end committed")
    func greets() async throws {
        let server = try await start()
        let (postID, frames) = try await postAndWatch(server, "Baked my first sourdough loaf today") { !botComments($0).isEmpty }
        let comments = botComments(frames)
        #expect(comments.count == 1)
        let comment = try #require(comments.first)
        #expect(comment.string("post_id") == postID)
        #expect(comment["parent_id"] is NSNull)
        let author = comment.object("author")
        #expect(author.string("id") == "b_kiki")
        #expect(author.string("name") == "Kiki")
        #expect(author.string("kind") == "bot")
        #expect(author.string("role") == "bot")
        #expect(author.string("persona") == "kiki")
        #expect(author["ai"] as? Bool == true)
        #expect(comment.object("generated").string("persona") == "kiki")
        #expect(comment.object("generated").string("engine") == "offline")
        #expect(comment.object("generated").string("model") == "offline-v1")
        #expect((comment.string("body") ?? "").lowercased().contains("sourdough"), "the reply is about the post")

        #expect(frames.contains { $0.string("op") == "typing" && $0.object("user").string("id") == "b_kiki" })
        let drafts = frames.filter { $0.string("op") == "draft" }
        let deltas = drafts.filter { $0["delta"] != nil }
        #expect(!deltas.isEmpty)
        #expect(deltas.compactMap { $0.int("seq") } == Array(stride(from: 1, through: deltas.count, by: 1)), "drafts arrive in order")
        #expect(Set(drafts.compactMap { $0.string("draft_id") }).count == 1)
        #expect(deltas.first?.object("author").string("id") == "b_kiki")
        let done = try #require(drafts.last)
        #expect(done["done"] as? Bool == true)
        #expect(done.string("comment_id") == comment.string("id"))
        #expect(deltas.compactMap { $0.string("delta") }.joined() == comment.string("body"))

        // The comment is an ordinary comment: stored, in the snapshot, deletable by a moderator.
        let thread = try await server.http("GET", "/v1/posts/\(postID)")
        #expect((thread.json["comments"] as? [[String: Any]])?.first?.object("generated").string("persona") == "kiki")
        let moderator = try await server.token("u_mod", role: .moderator)
        #expect(try await server.http("DELETE", "/v1/comments/\(comment.string("id")!)", token: moderator).status == 200)
        #expect(try await latestOutcome(server, "kiki", becomes: "replied"))
    }

    @Test("bots: off, mute and pause each stop the reply, and the decision log says why")
    func stops() async throws {
        let server = try await start()
        let off = try await postAndWatch(server, "Quiet post please, lovely day!", bots: "off")
        #expect(botComments(off.frames).isEmpty)
        #expect(try await latestRule(server, "kiki", becomes: "bots: off"))

        let muter = try await server.identified("u_muter")
        try await muter.send(["op": "mute", "id": 1, "bot": "b_kiki", "scope": "all", "on": true])
        _ = try await muter.expect("ack")
        let muted = try await postAndWatch(server, "Muted post, lovely day!", as: "u_muter")
        #expect(botComments(muted.frames).isEmpty)
        #expect(try await latestRule(server, "kiki", becomes: "mute"))

        let admin = try await server.token("u_admin", role: .admin)
        #expect(try await server.http("POST", "/v1/admin/personas/kiki/pause", token: try await server.token("u_user")).status == 403)
        #expect(try await server.http("POST", "/v1/admin/personas/kiki/pause", token: try await server.token("u_mod", role: .moderator)).status == 403)
        #expect(try await server.http("POST", "/v1/admin/personas/kiki/pause").status == 401)
        #expect(try await server.http("GET", "/v1/admin/personas/kiki/decisions", token: try await server.token("u_user")).status == 403)
        #expect(try await server.http("POST", "/v1/admin/personas/nobody/pause", token: admin).status == 404)
        #expect(try await server.http("POST", "/v1/admin/personas/kiki/pause", token: admin).status == 200)
        let personas = try await server.http("GET", "/v1/personas")
        #expect((personas.json["personas"] as? [[String: Any]])?.first?.string("state") == "paused")
        let paused = try await postAndWatch(server, "Paused post, lovely day!")
        #expect(botComments(paused.frames).isEmpty)
        #expect(try await latestRule(server, "kiki", becomes: "paused"))
        #expect(try await server.http("POST", "/v1/admin/personas/kiki/resume", token: admin).status == 200)
        #expect(botComments(try await postAndWatch(server, "Resumed post, lovely day!") { !botComments($0).isEmpty }.frames).count == 1)
    }

    @Test("an avoided topic gets silence")
    func avoidedTopic() async throws {
        let server = try await start()
        let (_, frames) = try await postAndWatch(server, "Who will win the election?")
        #expect(botComments(frames).isEmpty)
        #expect(!frames.contains { $0.string("op") == "draft" })
        #expect(try await decisionLog(server, "kiki") { $0.first?.string("rule") == "tone.avoid_topics" && $0.first?.string("outcome") == "skipped" })
    }

    @Test("per-thread limit holds, also across a restart")
    func limitsAcrossRestart() async throws {
        let data = TestServer.temporaryDirectory()
        let personas = TestServer.temporaryDirectory()
        var server: TestServer = try await start(dataDirectory: data, personasDirectory: personas)
        // A full suite on PostgreSQL can hold the reply past the usual watch: wait for it.
        let (postID, frames) = try await postAndWatch(server, "Sourdough day") { botComments($0).count == 1 }
        #expect(botComments(frames).count == 1)
        let client = try await server.identified("u_bob")
        try await client.send(["op": "comment", "id": 1, "post_id": postID, "body": "@kiki what do you think?", "client_id": "q1"])
        _ = try await client.expect("ack")
        #expect(try await latestRule(server, "kiki", becomes: "limits.per_thread.replies"))
        await server.stop()

        let restarted = try await start(dataDirectory: data, personasDirectory: personas)
        server = restarted
        let again = try await server.identified("u_bob")
        try await again.send(["op": "comment", "id": 2, "post_id": postID, "body": "@kiki still there?", "client_id": "q2"])
        _ = try await again.expect("ack")
        #expect(try await latestRule(server, "kiki", becomes: "limits.per_thread.replies"))
        let thread = try await server.http("GET", "/v1/posts/\(postID)")
        let botCount = (thread.json["comments"] as? [[String: Any]] ?? []).filter { $0.object("author").string("kind") == "bot" }.count
        #expect(botCount == 1)
    }

    @Test("two bots that may answer bots stop at the chain limit")
    func botChain() async throws {
        func persona(_ id: String) -> String {
            """
            id: \(id)
            name: \(id.capitalized)
            voice:
              examples:
                - post: ping
                  reply: ping pong ping
            triggers:
              keywords: [ping]
              reply_delay: 0s
              ignore_bots: false
              max_depth: 10
            limits:
              per_thread: { replies: 10, cooldown: 0s }
              bot_chain: 2
            """
        }
        let server = try await start(["alpha.yaml": persona("alpha"), "beta.yaml": persona("beta")])
        let (postID, _) = try await postAndWatch(server, "ping") { botComments($0).count >= 4 }
        // The chain limit is logged when the fifth reply is refused; only then is the count final.
        #expect(try await eventually {
            let rules = try await decisions(server, "alpha").compactMap { $0.string("rule") } + (try await decisions(server, "beta").compactMap { $0.string("rule") })
            return rules.contains("limits.bot_chain")
        })
        let thread = try await server.http("GET", "/v1/posts/\(postID)")
        let comments = thread.json["comments"] as? [[String: Any]] ?? []
        #expect(comments.count == 4, "each bot answers the post and the other's comment, then the chain limit stops them")
        #expect(comments.allSatisfy { $0.object("author").string("kind") == "bot" })
        #expect(comments.compactMap { $0.int("depth") }.max() == 1)
    }

    @Test("tone actions: a reply over the policy falls back, is trimmed, or dropped as configured")
    func toneActions() async throws {
        func persona(_ id: String, _ tone: String) -> String {
            "id: \(id)\nname: \(id)\ntriggers:\n  new_post: { chance: 1.0, delay: 0s }\ntone:\n\(tone)\n"
        }
        let server = try await start([
            "fallback.yaml": persona("fallback", "  max_chars: 12\n  on_violation: regenerate\n  max_attempts: 2\n  fallback: Nice one!"),
            "trimmer.yaml": persona("trimmer", "  max_chars: 40\n  on_violation: trim"),
            "dropper.yaml": persona("dropper", "  max_chars: 12\n  on_violation: drop"),
        ])
        let (_, frames) = try await postAndWatch(server, "Learning Rust has been humbling and fun!") { botComments($0).count >= 2 }
        let byPersona = Dictionary(botComments(frames).map { ($0.object("author").string("persona") ?? "", $0.string("body") ?? "") }) { a, _ in a }
        #expect(byPersona["fallback"] == "Nice one!")
        #expect((byPersona["trimmer"]?.count ?? 99) <= 40)
        #expect(byPersona["dropper"] == nil)
        #expect(try await latestOutcome(server, "dropper", becomes: "silent"))
    }

    @Test("a reply that fails after some of it was shown is retracted and never stored")
    func retraction() async throws {
        let persona = """
            id: shy
            name: Shy
            voice:
              style: playful
              phrases: { other: { en: ["Thanks for posting this. Tell us more?"] } }
            triggers:
              new_post: { chance: 1.0, delay: 2s }
            tone:
              banned_phrases: ["tell us more", "keep us posted", "what's next"]
              on_violation: drop
            """
        let server = try await start(["shy.yaml": persona])
        let (postID, frames) = try await postAndWatch(server, "Learning Rust has been humbling, so much fun!") { frames in
            frames.contains { $0.string("op") == "draft" && $0["retracted"] as? Bool == true }
        }
        let drafts = frames.filter { $0.string("op") == "draft" }
        #expect(drafts.contains { $0["delta"] != nil }, "the first sentence passed and was shown")
        #expect(drafts.last?["retracted"] as? Bool == true)
        #expect(drafts.last?["done"] as? Bool == true)
        #expect(botComments(frames).isEmpty)
        let thread = try await server.http("GET", "/v1/posts/\(postID)")
        #expect((thread.json["comments"] as? [Any])?.isEmpty == true)
        #expect(try await latestOutcome(server, "shy", becomes: "silent"))
    }

    @Test("a persona file edited on disk changes the running bot without a restart")
    func liveReload() async throws {
        let server = try await start()
        let connection = try await server.identified("u_stays")
        #expect(botComments(try await postAndWatch(server, "Before the edit, lovely day!") { !botComments($0).isEmpty }.frames).count == 1)
        try Self.greeter.replacingOccurrences(of: "name: Kiki", with: "name: Kiki\nenabled: false")
            .write(toFile: server.personasDirectory + "/kiki.yaml", atomically: true, encoding: .utf8)
        var state = ""
        for _ in 0..<40 where state != "disabled" {
            try await Task.sleep(for: .milliseconds(100))
            state = (try await server.http("GET", "/v1/personas").json["personas"] as? [[String: Any]])?.first?.string("state") ?? ""
        }
        #expect(state == "disabled")
        #expect(botComments(try await postAndWatch(server, "After the edit, lovely day!").frames).isEmpty)
        try (Self.greeter + "\n  bogus: 1\n").write(toFile: server.personasDirectory + "/kiki.yaml", atomically: true, encoding: .utf8)
        var listing: [String: Any] = [:]
        for _ in 0..<40 where listing["stale"] as? Bool != true {
            try await Task.sleep(for: .milliseconds(100))
            listing = (try await server.http("GET", "/v1/personas").json["personas"] as? [[String: Any]])?.first ?? [:]
        }
        // It runs its last good version (disabled), and says the file on disk is broken.
        #expect(listing.string("state") == "disabled")
        #expect(listing["stale"] as? Bool == true)
        #expect(listing.string("error") != nil)
        #expect(listing.string("error")?.contains("bogus") == false, "the public listing says the file is broken, not why")
        let admin = try await server.token("u_root", role: .admin)
        let detail = (try await server.http("GET", "/v1/admin/personas", token: admin).json["personas"] as? [[String: Any]])?.first ?? [:]
        #expect(detail.string("error")?.contains("bogus") == true)
        try await connection.send(["op": "ping", "t": 1])
        #expect(try await connection.expect("pong").int("t") == 1, "no connection was dropped")
    }
}

@Suite("Bots under load", .serialized, .stopsServers)
struct BotLoadTests {
    @Test("turns end: many triggers in a row are each answered or refused as busy, none left in flight, and the next one is answered")
    func turnsEnd() async throws {
        let persona = """
            id: helper
            name: Helper
            triggers:
              mention: true
              reply_delay: 0s..50ms
            limits:
              replies: 1000/min
              per_user: 1000/min
              per_thread: { replies: 10, cooldown: 0s }
            """
        let server = try await TestServer.start(personas: ["helper.yaml": persona]) {
            $0.writeLimits = .init(postsPerMinute: 1000, commentsPerMinute: 1000)
        }
        let admin = try await server.token("u_admin", role: .admin)
        let client = try await server.identified("u_asker")
        func post(_ index: Int) async throws {
            try await client.send(["op": "post", "id": index, "body": "@helper question \(index)", "client_id": "q\(index)"])
            _ = try await client.expect("ack")
        }
        func decisions() async throws -> [String: Int] {
            let answer = try await server.http("GET", "/v1/admin/personas/helper/decisions?limit=1000", token: admin)
            let rows = answer.json["decisions"] as? [[String: Any]] ?? []
            return Dictionary(grouping: rows) { "\($0.string("outcome") ?? "-")/\($0.string("rule") ?? "-")" }.mapValues(\.count)
        }
        func turnsInFlight() async throws -> Int? {
            let rows = try await server.http("GET", "/v1/admin/personas", token: admin).json["personas"] as? [[String: Any]] ?? []
            return rows.first { $0.string("id") == "helper" }?.int("turns_in_flight")
        }
        // Forty as fast as acks come: alone every one is answered; on a loaded machine more than
        // sixteen turns may be in flight at once, and those beyond are refused as busy.
        for index in 0..<40 { try await post(index) }
        var outcomes: [String: Int] = [:]
        _ = try await eventually(.seconds(30)) {
            outcomes = try await decisions()
            return outcomes.values.reduce(0, +) >= 40
        }
        func replied(_ outcomes: [String: Int]) -> Int { outcomes.filter { $0.key.hasPrefix("replied/") }.values.reduce(0, +) }
        #expect(outcomes.keys.allSatisfy { $0.hasPrefix("replied/") || $0 == "skipped/busy" }, "\(outcomes)")
        #expect(outcomes.values.reduce(0, +) == 40, "one decision per post: \(outcomes)")
        #expect(replied(outcomes) >= 16, "\(outcomes)")
        #expect(try await eventually { try await turnsInFlight() == 0 }, "no turn left in flight")
        // Turns ended, so a new trigger is answered.
        try await post(40)
        #expect(try await eventually(.seconds(30)) { replied(try await decisions()) == replied(outcomes) + 1 })
    }
}

@Suite("Quiet feed", .serialized, .stopsServers)
struct QuietFeedServerTests {
    static func persona(_ id: String) -> String {
        "id: \(id)\nname: \(id.capitalized)\nvoice:\n  knowledge: [Sourdough needs a starter that is fed daily.]\ntriggers:\n  quiet_feed: { after: 30m, max_per_day: 2 }\n"
    }

    func start(_ clock: TestWallClock, data: String, personas: String) async throws -> TestServer {
        try await TestServer.start(dataDirectory: data, personas: ["kiki.yaml": Self.persona("kiki"), "robo.yaml": Self.persona("robo")],
                                   personasDirectory: personas) {
            $0.clock = GatewayClock(wall: clock.read)
            $0.quietFeedInterval = .seconds(3600)
        }
    }

    func feed(_ server: TestServer) async throws -> [[String: Any]] {
        try await server.http("GET", "/v1/feed?limit=100").json["posts"] as? [[String: Any]] ?? []
    }

    @Test("on a test clock: one opener when quiet, one bot at a time, a busy feed gets none, the daily cap survives a restart")
    func openers() async throws {
        let clock = TestWallClock(start: 1_796_000_000_000 - (1_796_000_000_000 % 86_400_000) + 12 * 3_600_000)
        let data = TestServer.temporaryDirectory()
        let personas = TestServer.temporaryDirectory()
        var server: TestServer = try await start(clock, data: data, personas: personas)
        await server.server.runner.tickQuietFeed()
        var posts = try await feed(server)
        #expect(posts.count == 1, "exactly one opener, not one per persona")
        let first = try #require(posts.first)
        #expect(first.object("author").string("kind") == "bot")
        #expect(first.object("author")["ai"] as? Bool == true)
        // A bot's post carries the AI label like its comments (issue 17, item 6).
        #expect(first.object("generated").string("engine") == "offline")
        #expect(first.object("generated").string("persona") == first.object("author").string("persona"))
        await server.server.runner.tickQuietFeed()
        #expect(try await feed(server).count == 1, "the opener itself ends the quiet")

        // A person posts: the feed is busy, no opener 10 minutes later.
        clock.advance(5 * 60_000)
        _ = try await server.http("POST", "/v1/posts", token: try await server.token("u_human"), body: ["body": "hello", "client_id": "h1"])
        clock.advance(10 * 60_000)
        await server.server.runner.tickQuietFeed()
        #expect(try await feed(server).count == 2)

        // Quiet again for 31 minutes: the other persona's turn.
        clock.advance(31 * 60_000)
        await server.server.runner.tickQuietFeed()
        posts = try await feed(server)
        #expect(posts.count == 3)
        let openerAuthors = posts.compactMap { $0.object("author").string("persona") }
        #expect(Set(openerAuthors) == ["kiki", "robo"])

        // Two more quiet spells: each persona reaches its 2 a day.
        for _ in 0..<2 {
            clock.advance(31 * 60_000)
            await server.server.runner.tickQuietFeed()
        }
        #expect(try await feed(server).filter { $0.object("author").string("kind") == "bot" }.count == 4)
        await server.stop()

        // After a restart the count of the last 24 h still holds.
        let restarted = try await start(clock, data: data, personas: personas)
        server = restarted
        clock.advance(31 * 60_000)
        await restarted.server.runner.tickQuietFeed()
        #expect(try await feed(restarted).filter { $0.object("author").string("kind") == "bot" }.count == 4)
        let listing = try await restarted.http("GET", "/v1/personas").json["personas"] as? [[String: Any]] ?? []
        #expect(listing.allSatisfy { $0.string("last_opened_at") != nil })
        let decisions = try await restarted.http("GET", "/v1/admin/personas/kiki/decisions", token: try await restarted.token("u_admin", role: .admin))
        #expect((decisions.json["decisions"] as? [[String: Any]] ?? []).contains { $0.string("rule") == "triggers.quiet_feed.max_per_day" })

        // A day later, openers again.
        clock.advance(24 * 3_600_000)
        await restarted.server.runner.tickQuietFeed()
        #expect(try await feed(restarted).filter { $0.object("author").string("kind") == "bot" }.count == 5)
    }
}
