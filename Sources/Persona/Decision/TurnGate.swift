/// Whether a persona takes a turn on an item, decided without side effects in two steps, so the
/// bot runner and `persona preview` decide the same way: `trigger` (does anything set it off?),
/// then, with what only the caller can know (the post's `bots` switch, pause, mute, what other
/// personas already said), `admit`: the conversation rules, the situation and its policy
/// (`TurnPlanner`), and the once-per-thread rules. Rate limits and turns in flight are the
/// runner's own state and come after.
public struct TurnGate: Sendable {
    public let persona: Persona
    public let catalog: PersonaCatalog

    public init(persona: Persona, catalog: PersonaCatalog) {
        self.persona = persona
        self.catalog = catalog
    }

    /// The item as the gate sees it.
    public struct Item: Sendable {
        /// The text answered (the post, or the comment).
        public var text: String
        /// For a comment, the texts it answers, from its parent back to the thread's post; empty
        /// for a post.
        public var above: [String]
        public var isPost: Bool
        /// A comment under the persona's own comment, or a top-level comment on its own post.
        public var repliesToPersona: Bool
        /// Who wrote each item of the parent chain, from this item back to the post: true for a bot.
        public var chainIsBot: [Bool]
        /// The depth this persona's reply would have (a comment on the post is 0).
        public var replyDepth: Int
        public var reading: SituationReading

        public init(text: String, above: [String], isPost: Bool, repliesToPersona: Bool, chainIsBot: [Bool], replyDepth: Int,
                    reading: SituationReading) {
            self.text = text
            self.above = above
            self.isPost = isPost
            self.repliesToPersona = repliesToPersona
            self.chainIsBot = chainIsBot
            self.replyDepth = replyDepth
            self.reading = reading
        }
    }

    /// What only the caller knows about the item and the other personas.
    public struct Circumstances: Sendable {
        public var botsEnabled = true
        public var paused = false
        /// The user who muted this persona here (the item's author), nil when not muted.
        public var mutedBy: String?
        /// Another persona already answers this thread's self-harm post with support.
        public var supportGiven = false
        /// Another persona already says it is an AI under this item.
        public var disclosureGiven = false

        public init(botsEnabled: Bool = true, paused: Bool = false, mutedBy: String? = nil, supportGiven: Bool = false, disclosureGiven: Bool = false) {
            self.botsEnabled = botsEnabled
            self.paused = paused
            self.mutedBy = mutedBy
            self.supportGiven = supportGiven
            self.disclosureGiven = disclosureGiven
        }
    }

    /// A turn the gate kept the persona from, for the decision log.
    public struct Refusal: Error, Sendable, Equatable {
        public var outcome: DecisionOutcome
        public var rule: DecisionRule
        public var detail: String
    }

    public enum Triggered: Sendable {
        case match(TriggerMatcher.Match)
        /// Nothing set it off; `refusal` is worth a log line only when a chance roll said no.
        case none(refusal: Refusal?)
    }

    public func trigger(_ item: Item, random: inout SeededRandom) -> Triggered {
        // "@robo are you a bot?", and asked whether it is a bot, "robo are you a bot?" or "Robo, bist
        // du echt?" too: another persona's name that opens the text is who it speaks to. A crisis
        // or an emergency told to a bare name ("Factcheck: I want to die") is everyone's to answer.
        let owed = item.reading.primary == .selfHarm || item.reading.hurtAtHome || item.reading.urgent
        let bareName = item.reading.contains(.asksIfBot) && !owed ? TriggerMatcher.leadingWord(in: item.text) : nil
        let opening = TriggerMatcher.leadingMention(in: item.text) ?? bareName
        let speaksToAnother = opening.map { name in
            catalog.personas.values.contains { $0.id != persona.id && [$0.id, $0.name.lowercased()].contains(name.lowercased()) }
        } ?? false
        let triggerItem = TriggerMatcher.Item(text: item.text, isPost: item.isPost, repliesToPersona: item.repliesToPersona,
                                              asksIfBot: item.reading.contains(.asksIfBot), speaksToAnotherPersona: speaksToAnother)
        if let match = TriggerMatcher.match(persona, item: triggerItem, random: &random) { return .match(match) }
        guard item.isPost, persona.triggers.newPost != nil else { return .none(refusal: nil) }
        if let name = TriggerMatcher.leadingMention(in: item.text) {
            return .none(refusal: Refusal(outcome: .skipped, rule: .addressedToOther, detail: "the post speaks to @\(name), not to this persona"))
        }
        if speaksToAnother, let name = opening {
            return .none(refusal: Refusal(outcome: .skipped, rule: .addressedToOther, detail: "the post speaks to \(name), not to this persona"))
        }
        return .none(refusal: Refusal(outcome: .skipped, rule: .chanceSaidNo, detail: "the chance roll said no"))
    }

    /// The rules that keep the persona out of an item whatever it would say: the post's `bots`
    /// switch, a pause, a mute, the conversation rules. A write made with the persona's bot token
    /// is held to them too.
    public func access(chainIsBot: [Bool], replyDepth: Int, _ circumstances: Circumstances) -> Refusal? {
        func skip(_ rule: DecisionRule, _ detail: String) -> Refusal { Refusal(outcome: .skipped, rule: rule, detail: detail) }
        guard circumstances.botsEnabled else { return skip(.botsOff, "the post asked for no bot replies") }
        guard !circumstances.paused else { return skip(.paused, "an admin paused this persona") }
        if let user = circumstances.mutedBy { return skip(.muted, "\(user) muted this bot") }
        if let refusal = ConversationRules.check(persona: persona, chain: chainIsBot, replyDepth: replyDepth) {
            return skip(.conversation(refusal), "the conversation rules end the chain here")
        }
        return nil
    }

    /// Whether the persona, set off by a trigger (`addressed`: spoken to), answers the item, and
    /// how (the plan), or the rule that keeps it silent.
    public func admit(_ item: Item, addressed: Bool, _ circumstances: Circumstances) -> Result<TurnPlanner.Plan, Refusal> {
        if let refusal = access(chainIsBot: item.chainIsBot, replyDepth: item.replyDepth, circumstances) { return .failure(refusal) }
        switch TurnPlanner(persona: persona, catalog: catalog).decide(target: item.text, above: item.above, reading: item.reading, addressed: addressed) {
        case .silent(let rule, let detail):
            // An avoided topic is stayed out of; the situation's silence is a choice.
            return .failure(Refusal(outcome: rule == .avoidedTopic ? .skipped : .silent, rule: .situation(rule), detail: detail))
        case .reply(let plan):
            if plan.reading.primary == .selfHarm, circumstances.supportGiven {
                return .failure(Refusal(outcome: .silent, rule: .situation(.supportGiven), detail: "another persona answers this thread with support"))
            }
            if plan.reading.contains(.asksIfBot), !addressed, plan.reading.primary != .selfHarm, circumstances.disclosureGiven {
                return .failure(Refusal(outcome: .silent, rule: .situation(.disclosureGiven), detail: "another persona answers that it is an AI"))
            }
            return .success(plan)
        }
    }
}
