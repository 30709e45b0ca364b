import Testing
@testable import Persona

@Suite("Rate limits and conversation rules")
struct LimitTests {
    let second: Int64 = 1_000_000_000

    @Test("GCRA: a burst goes through at once, then the steady rate, exactly at the boundary")
    func burstAndRate() {
        var limiter = GCRA(rate: Rate.parse("6/min burst 3")!)
        let start: Int64 = 1_000 * second
        for _ in 0..<3 { #expect(limiter.take(now: start) == .allow) }
        #expect(limiter.take(now: start) == .deny(retryAfterNanoseconds: 10 * second))
        #expect(limiter.take(now: start + 10 * second - 1) == .deny(retryAfterNanoseconds: 1))
        #expect(limiter.take(now: start + 10 * second) == .allow)
        #expect(limiter.take(now: start + 10 * second) == .deny(retryAfterNanoseconds: 10 * second))
    }

    @Test("GCRA: a long idle refills only up to the burst")
    func longIdle() {
        var limiter = GCRA(rate: Rate.parse("1/s burst 2")!)
        #expect(limiter.take(now: 0) == .allow)
        let later: Int64 = 3600 * second
        #expect(limiter.isIdle(now: later))
        #expect(limiter.take(now: later) == .allow)
        #expect(limiter.take(now: later) == .allow)
        #expect(limiter.take(now: later) == .deny(retryAfterNanoseconds: second))
    }

    @Test("GCRA: a denied request does not use up the budget")
    func deniedIsFree() {
        var limiter = GCRA(rate: Rate.parse("1/s burst 1")!)
        #expect(limiter.take(now: 0) == .allow)
        for step in 1..<10 { #expect(limiter.take(now: Int64(step) * 100_000_000) != .allow) }
        #expect(limiter.take(now: second) == .allow)
    }

    func persona() -> Persona {
        var persona = Persona(id: "kiki", name: "Kiki")
        persona.limits.replies = Rate.parse("10/min burst 10")!
        persona.limits.perThread = .init(replies: 2, cooldown: .seconds(30))
        persona.limits.perUser = Rate.parse("3/min burst 2")!
        return persona
    }

    @Test("replies recorded out of time order: no cooldown refuses nothing, and a cooldown runs from the latest reply")
    func outOfOrderTimes() {
        var open = persona()
        open.limits.perThread = .init(replies: 5, cooldown: .seconds(0))
        var limiter = ReplyLimiter()
        #expect(limiter.take(persona: open, thread: "t1", user: "u1", now: 20 * second) == .allow)
        #expect(limiter.take(persona: open, thread: "t1", user: "u2", now: 10 * second) == .allow, "a 0 s cooldown, though this reply reads earlier")
        var kiki = persona()
        kiki.limits.perThread = .init(replies: 5, cooldown: .seconds(30))
        var later = ReplyLimiter()
        later.record(persona: kiki, thread: "t1", user: "u1", now: 40 * second)
        later.record(persona: kiki, thread: "t1", user: "u2", now: 10 * second)
        #expect(later.check(persona: kiki, thread: "t1", user: "u3", now: 60 * second) == .deny(.cooldown, retryAfterNanoseconds: 10 * second),
                "30 s from the latest reply, not the last recorded")
    }

    @Test("per thread: a count and a cooldown; per user: a rate; all replies: a rate")
    func replyLimits() {
        let kiki = persona()
        var limiter = ReplyLimiter()
        #expect(limiter.take(persona: kiki, thread: "t1", user: "u1", now: 0) == .allow)
        #expect(limiter.take(persona: kiki, thread: "t1", user: "u2", now: 10 * second) == .deny(.cooldown, retryAfterNanoseconds: 20 * second))
        #expect(limiter.take(persona: kiki, thread: "t1", user: "u2", now: 30 * second) == .allow)
        #expect(limiter.take(persona: kiki, thread: "t1", user: "u3", now: 100 * second) == .deny(.perThread, retryAfterNanoseconds: nil))
        #expect(limiter.take(persona: kiki, thread: "t2", user: "u1", now: 100 * second) == .allow)
        #expect(limiter.take(persona: kiki, thread: "t3", user: "u1", now: 100 * second) == .allow)
        guard case .deny(.perUser, _) = limiter.take(persona: kiki, thread: "t4", user: "u1", now: 100 * second) else {
            Issue.record("the per-user rate should refuse")
            return
        }
        var busy = persona()
        busy.limits.replies = Rate.parse("2/min")!
        var overall = ReplyLimiter()
        #expect(overall.take(persona: busy, thread: "a", user: "x", now: 0) == .allow)
        #expect(overall.take(persona: busy, thread: "b", user: "y", now: 0) == .allow)
        guard case .deny(.replies, _) = overall.take(persona: busy, thread: "c", user: "z", now: 0) else {
            Issue.record("the overall rate should refuse")
            return
        }
    }

    @Test("an owed reply (help for someone in crisis, 'I am an AI' to whoever asks) passes the thread's count and cooldown, not the rates")
    func owedReplies() {
        let kiki = persona()
        var limiter = ReplyLimiter()
        limiter.record(persona: kiki, thread: "t1", user: "u1", now: 0)
        limiter.record(persona: kiki, thread: "t1", user: "u2", now: 40 * second)
        #expect(limiter.check(persona: kiki, thread: "t1", user: "u3", now: 41 * second) == .deny(.perThread, retryAfterNanoseconds: nil))
        #expect(limiter.check(persona: kiki, thread: "t1", user: "u3", now: 41 * second, owed: true) == .allow)
        limiter.record(persona: kiki, thread: "t1", user: "u3", now: 41 * second)
        limiter.record(persona: kiki, thread: "t2", user: "u3", now: 42 * second)
        guard case .deny(.perUser, _) = limiter.check(persona: kiki, thread: "t1", user: "u3", now: 43 * second, owed: true) else {
            Issue.record("the per-user rate should still refuse an owed reply")
            return
        }
    }

    @Test("limits rebuilt from the store's records decide exactly as the live limiter did")
    func rebuild() {
        let kiki = persona()
        var live = ReplyLimiter()
        var records: [ReplyRecord] = []
        let plan: [(String, String, Int64)] = [("t1", "u1", 0), ("t1", "u1", 40), ("t2", "u2", 41), ("t3", "u1", 42), ("t4", "u3", 90)]
        for (thread, user, at) in plan where live.take(persona: kiki, thread: thread, user: user, now: at * second) == .allow {
            records.append(ReplyRecord(persona: "kiki", thread: thread, user: user, time: at * second))
        }
        let rebuilt = ReplyLimiter(replaying: records.shuffled(), personas: ["kiki": kiki])
        for (thread, user) in [("t1", "u9"), ("t2", "u2"), ("t5", "u1"), ("t6", "u4")] {
            for at: Int64 in [91, 100, 200] {
                #expect(rebuilt.check(persona: kiki, thread: thread, user: user, now: at * second)
                    == live.check(persona: kiki, thread: thread, user: user, now: at * second))
            }
        }
    }

    @Test("bot chains end: ignore_bots, bot_chain and max_depth")
    func conversationRules() {
        var persona = Persona(id: "bot", name: "Bot")
        persona.triggers.ignoreBots = true
        #expect(ConversationRules.check(persona: persona, chain: [true], replyDepth: 1) == .ignoreBots)
        persona.triggers.ignoreBots = false
        persona.limits.botChain = 2
        #expect(ConversationRules.check(persona: persona, chain: [true, false], replyDepth: 1) == nil)
        #expect(ConversationRules.check(persona: persona, chain: [true, true, false], replyDepth: 2) == .botChain)
        persona.triggers.maxDepth = 1
        #expect(ConversationRules.check(persona: persona, chain: [false], replyDepth: 2) == .maxDepth)
        // Two bots that answer bots: the chain grows by one per reply and stops at the limit.
        var chain: [Bool] = [false]
        var replies = 0
        persona.triggers.maxDepth = 20
        while ConversationRules.check(persona: persona, chain: chain, replyDepth: chain.count - 1) == nil, replies < 50 {
            chain.insert(true, at: 0)
            replies += 1
        }
        #expect(replies == 2)
    }
}
