import Testing
@testable import Persona

@Suite("Quiet feed openers")
struct QuietFeedTests {
    let minute: Int64 = 60_000

    func persona(_ id: String, after: Duration = .seconds(1800), perDay: Int = 3) -> Persona {
        var persona = Persona(id: id, name: id)
        persona.triggers.quietFeed = .init(after: after, maxPerDay: perDay)
        persona.voice.knowledge = ["Sourdough needs a starter that is fed daily.", "社区花园每周六上午开放。"]
        return persona
    }

    /// Runs a simulated stretch of time, one tick a minute, and returns when each persona opened.
    func simulate(_ personas: [Persona], minutes: Int, humanPostEvery: Int? = nil, policy: PolicyFloor = .init()) -> [String: [Int64]] {
        var openers: [String: [Int64]] = [:]
        var lastPost: Int64?
        for tick in 0..<minutes {
            let now = Int64(tick) * minute
            if let every = humanPostEvery, tick % every == 0 { lastPost = now }
            let verdicts = QuietFeedPlanner.decide(
                now: now, lastPostAt: lastPost, hour: Int((now / 3_600_000) % 24), policy: policy,
                candidates: personas.map { .init(persona: $0, recentOpeners: openers[$0.id] ?? []) })
            let opening = verdicts.filter(\.opens)
            #expect(opening.count <= 1, "never two bots at once")
            for verdict in opening {
                openers[verdict.persona, default: []].append(now)
                lastPost = now
            }
        }
        return openers
    }

    @Test("a quiet feed gets exactly one opener after `after`, then waits for quiet again")
    func oneOpener() {
        let openers = simulate([persona("kiki", perDay: 10)], minutes: 65)["kiki"] ?? []
        #expect(openers == [0, 30 * minute, 60 * minute], "an empty feed is quiet at once; then one every 30 quiet minutes")
        let afterPost = QuietFeedPlanner.decide(now: 29 * minute, lastPostAt: 0, hour: 12, policy: .init(), candidates: [.init(persona: persona("kiki"), recentOpeners: [])])
        #expect(afterPost.first?.opens == false)
        #expect(afterPost.first?.rule == .notQuietYet)
    }

    @Test("the daily cap holds over a simulated week")
    func dailyCap() {
        let openers = simulate([persona("kiki", perDay: 3)], minutes: 7 * 24 * 60)["kiki"] ?? []
        #expect(openers.count == 21)
        for (index, start) in openers.enumerated() {
            let window = openers[index...].prefix { $0 - start < 86_400_000 }
            #expect(window.count <= 3)
        }
    }

    @Test("two personas with the same setting never post at the same moment, and take turns")
    func takeTurns() {
        let openers = simulate([persona("kiki"), persona("robo")], minutes: 24 * 60)
        let all = (openers["kiki"] ?? []) + (openers["robo"] ?? [])
        #expect(Set(all).count == all.count)
        #expect(openers["kiki"]?.count == 3 && openers["robo"]?.count == 3)
        #expect(Array(all.sorted().prefix(2)) == [0, 30 * minute], "the second waits for another quiet spell")
    }

    @Test("a busy feed gets no opener; quiet hours get none")
    func busyAndQuietHours() {
        #expect(simulate([persona("kiki")], minutes: 24 * 60, humanPostEvery: 10).isEmpty)
        let policy = PolicyFloor(quietHours: (start: 0, end: 8))
        let openers = simulate([persona("kiki", perDay: 48)], minutes: 24 * 60, policy: policy)["kiki"] ?? []
        #expect(!openers.isEmpty)
        #expect(openers.allSatisfy { ($0 / 3_600_000) % 24 >= 8 })
    }

    @Test("offline openers in both languages, varied from day to day, not repeating recent ones")
    func openerTexts() {
        var recent: [String] = []
        for language in [TextScript.Language.english, .chinese] {
            for day in 0..<5 {
                var request = ReplyRequest(persona: persona("kiki"), kind: .opener, post: "", language: language, seed: UInt64(day) ^ 77)
                request.avoid = recent
                let text = OfflineResponder().compose(request)
                #expect(!recent.contains(text), "\(text)")
                #expect(TextScript.language(of: text) == language, "\(text)")
                recent.append(text)
            }
        }
    }

    @Test("a fact opens the feed once, then other facts or a plain question, not the same fact with a new question")
    func openerFactsRotate() {
        var persona = persona("kiki")
        persona.voice.knowledge = ["Sourdough needs a starter that is fed daily.", "The community garden opens every Saturday morning."]
        var recent: [String] = []
        for day in 0..<4 {
            var request = ReplyRequest(persona: persona, kind: .opener, post: "", language: .english, seed: UInt64(day) ^ 5)
            request.avoid = recent
            let text = OfflineResponder().compose(request)
            for fact in persona.voice.knowledge where text.contains(fact) {
                #expect(!recent.contains { $0.contains(fact) }, "day \(day + 1) repeats a fact: \(text)")
            }
            recent.append(text)
        }
    }
}
