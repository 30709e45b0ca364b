import Testing
@testable import Persona

/// The turn decision the bot runner and `persona preview` share, with the shipped rules.
@Suite("Turn gate")
struct TurnGateTests {
    let catalog = SituationTests.catalog

    func item(_ text: String, chainIsBot: [Bool] = [false], replyDepth: Int = 0, isPost: Bool = true) -> TurnGate.Item {
        TurnGate.Item(text: text, above: isPost ? [] : ["what a week"], isPost: isPost, repliesToPersona: false, chainIsBot: chainIsBot, replyDepth: replyDepth,
                      reading: TurnPlanner(persona: Persona(id: "kiki", name: "Kiki"), catalog: catalog).read(text))
    }

    func refusal(_ gate: TurnGate, _ item: TurnGate.Item, _ circumstances: TurnGate.Circumstances = .init(),
                 addressed: Bool = false) -> TurnGate.Refusal? {
        if case .failure(let refusal) = gate.admit(item, addressed: addressed, circumstances) { return refusal }
        return nil
    }

    @Test("the rules that keep a triggered persona out, in order, each named as the decision log names it")
    func refusals() {
        let gate = TurnGate(persona: Persona(id: "kiki", name: "Kiki"), catalog: catalog)
        let question = item("How do I keep basil alive on a windowsill?")
        #expect(refusal(gate, question) == nil, "an ordinary question is answered")
        #expect(refusal(gate, question, .init(botsEnabled: false))?.rule == .botsOff)
        #expect(refusal(gate, question, .init(botsEnabled: false, paused: true))?.rule == .botsOff, "the post's switch comes first")
        #expect(refusal(gate, question, .init(paused: true))?.rule == .paused)
        let muted = refusal(gate, question, .init(mutedBy: "u_ann"))
        #expect(muted?.rule == .muted && muted?.rule.name == "mute" && muted?.detail == "u_ann muted this bot")
        var chatty = Persona(id: "kiki", name: "Kiki")
        chatty.triggers.ignoreBots = false
        chatty.limits.botChain = 2
        let chain = refusal(TurnGate(persona: chatty, catalog: catalog), item("and you?", chainIsBot: [true, true, false], replyDepth: 2, isPost: false))
        #expect(chain?.rule == .conversation(.botChain) && chain?.outcome == .skipped && chain?.rule.name == "limits.bot_chain")
    }

    @Test("grief is answered once with care; a second persona stays silent on self-harm once support is given")
    func situations() {
        let gate = TurnGate(persona: Persona(id: "kiki", name: "Kiki"), catalog: catalog)
        let crisis = item("I just want it all to stop, I can't do this anymore")
        #expect(refusal(gate, crisis) == nil)
        let second = refusal(gate, crisis, .init(supportGiven: true))
        #expect(second?.rule == .situation(.supportGiven) && second?.outcome == .silent && second?.rule.name == "situation.self_harm.once")
    }

    @Test("an ordinary comment under a post of loss gets no light reply; asked if it is a bot, it still answers")
    func carefulThread() {
        let planner = TurnPlanner(persona: Persona(id: "kiki", name: "Kiki"), catalog: catalog)
        let loss = "we had to put our dog down today"
        for comment in ["he was 14. best boy ever", "thank you kiki, that means a lot", "How do I keep basil alive on a windowsill?"] {
            guard case .silent(let rule, _) = planner.decide(target: comment, above: [loss]) else {
                Issue.record("\(comment) was answered under \(loss)")
                continue
            }
            #expect(rule == .carefulThread && rule.rawValue == "situation.careful_thread")
        }
        if case .silent = planner.decide(target: "are you a bot?", above: [loss]) { Issue.record("no disclosure under a loss") }
        if case .silent(.carefulThread, _) = planner.decide(target: "where can I find a grief counsellor?", above: [loss], addressed: true) {
            Issue.record("a question put to the persona under a loss was not answered")
        }
        if case .silent(.carefulThread, _) = planner.decide(target: "I can't stop crying, I miss him so much", above: [loss]) {
            Issue.record("a comment that needs care itself is read as such, not silenced for its thread")
        }
        if case .silent = planner.decide(target: "How do I keep basil alive on a windowsill?", above: ["my basil finally sprouted!"]) {
            Issue.record("an ordinary thread's question went unanswered")
        }
    }

    @Test("a comment further down a reply chain that passes through a loss gets no light reply; a sibling thread does")
    func carefulChain() {
        let planner = TurnPlanner(persona: Persona(id: "kiki", name: "Kiki"), catalog: catalog)
        let weekend = "How was everyone's weekend?"
        let loss = "not great honestly, my dad passed away on saturday"
        guard case .silent(.carefulThread, let detail) = planner.decide(target: "haha mine was great, went hiking!", above: ["thank you all", loss, weekend]) else {
            Issue.record("a light reply went under a comment about a death")
            return
        }
        #expect(detail.contains("under a comment of grief"), "\(detail)")
        if case .silent = planner.decide(target: "haha mine was great, went hiking!", above: [weekend]) {
            Issue.record("a light comment on a light post went unanswered")
        }
    }

    @Test("an advertisement or a scam gets no reply; asked whether it is a bot, or bad news with a link, it still answers")
    func promotion() {
        let planner = TurnPlanner(persona: Persona(id: "kiki", name: "Kiki"), catalog: catalog)
        for pitch in ["Made $5000 this week from home 🎉🎉 link in bio, DM me", "🎉 FREE iPhone giveaway 🎉 click the link to claim",
                      "🔥🔥 EARN $5000/WEEK from home!!! DM me or bit.ly/xx7", "加我微信，免费领取资料🎉🎉"] {
            guard case .silent(let rule, _) = planner.decide(target: pitch) else {
                Issue.record("\(pitch) was answered")
                continue
            }
            #expect(rule == .promotion && rule.rawValue == "situation.promotion", "\(pitch)")
        }
        if case .silent = planner.decide(target: "are you a bot? check the link in bio") { Issue.record("no disclosure beside a link") }
        if case .silent = planner.decide(target: "GoFundMe for my dad's funeral, link in bio. Anything helps") {
            Issue.record("a loss with a fundraiser link got no condolence")
        }
    }

    @Test("a chance roll that says no is worth a log line; an item nothing would trigger is not")
    func triggers() {
        var persona = Persona(id: "kiki", name: "Kiki")
        persona.triggers.newPost = .init(chance: 0, delay: DelayRange(.seconds(1), .seconds(2)))
        var random = SeededRandom(seed: 7)
        guard case .none(let refusal) = TurnGate(persona: persona, catalog: catalog).trigger(item("hello"), random: &random) else {
            Issue.record("a chance of 0 never triggers")
            return
        }
        #expect(refusal?.rule == .chanceSaidNo && refusal?.rule.name == "triggers.new_post.chance")
        guard case .none(let none) = TurnGate(persona: persona, catalog: catalog).trigger(item("hello", isPost: false), random: &random) else {
            Issue.record("a comment that names nobody does not trigger")
            return
        }
        #expect(none == nil)
    }
}
