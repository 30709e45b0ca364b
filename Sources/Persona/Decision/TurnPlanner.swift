/// Decides, without side effects, whether a persona that a trigger set off answers an item and how:
/// the situation of what it answers, what the platform and the persona allow in it, its avoided
/// topics, then the checks its reply must pass. The bot runner, `persona preview` and
/// `persona eval` all decide through it, so what an author previews is what the bot does.
public struct TurnPlanner: Sendable {
    public let persona: Persona
    public let catalog: PersonaCatalog

    public init(persona: Persona, catalog: PersonaCatalog) {
        self.persona = persona
        self.catalog = catalog
    }

    /// Why a turn ended in silence, as the decision log names it.
    public enum SilenceRule: String, Sendable, Equatable {
        /// No situation rules are loaded: a bot that cannot tell grief from good news says nothing.
        case rulesMissing = "situation.rules_missing"
        /// The policy (or the persona's own `situations:`) says silent for this situation.
        case situationSilent = "situation.silent"
        /// The offline engine has nothing good to say about an unsure reading.
        case situationUnsure = "situation.unsure"
        /// Another persona already answered this self-harm post with support.
        case supportGiven = "situation.self_harm.once"
        /// Another persona already said it is an AI under this item, which asked no one by name.
        case disclosureGiven = "situation.asks_if_bot.once"
        /// A comment that reads as ordinary, not addressed to the persona, under a post or comment
        /// that needs care (grief, illness, distress, self-harm, conflict): read alone, it would
        /// get a light reply ("always nice to see what you're up to" under "he was 14. best boy
        /// ever", in a thread about putting a dog down).
        case carefulThread = "situation.careful_thread"
        /// An advertisement or a scam ("link in bio", 加微信领取): no bot cheers a sales pitch.
        case promotion = "situation.promotion"
        /// Hostility aimed at the persona ("shut up stupid bot", "@kiki you're useless"): whatever
        /// a persona allows for conflict between people, an insult to itself gets no answer.
        case insult = "situation.insult"
        /// A request no persona answers or hands to the crowd (rules.yaml's `unsafe_request`: a
        /// weapon, a poison, a way round its own rules), on every engine.
        case unsafeRequest = "situation.unsafe_request"
        /// What it answers, or the thread above (even when spoken to there), is in a language
        /// the situation rules do not read: the persona could not tell a loss from good news, nor
        /// could the policy check its reply against either.
        case languageUnread = "situation.language"
        case avoidedTopic = "tone.avoid_topics"
    }

    public enum Verdict: Sendable {
        case silent(SilenceRule, detail: String)
        case reply(Plan)
    }

    /// Everything a reply needs once the turn is decided.
    public struct Plan: Sendable {
        public var persona: Persona
        public var reading: SituationReading
        public var action: SituationAction
        public var language: TextScript.Language
        /// The tone rules with the fit check for this situation.
        public var checker: ToneChecker
        /// The operator's support text, for `self_harm`.
        public var support: String?
        /// Someone spoke to the persona (a mention, a reply to it): an ordinary post gets an
        /// answer even when there is little to say.
        public var addressed: Bool

        /// The request for the engine, with the plan's situation in it.
        public func request(post: String, parent: String?, seed: UInt64, thread: [ThreadMessage] = []) -> ReplyRequest {
            var request = ReplyRequest(persona: persona, post: post, parent: parent, language: language, seed: seed)
            request.reading = reading
            request.action = action
            request.support = support
            request.addressed = addressed
            request.thread = thread
            return request
        }
    }

    /// Reads the situation of `target` (the post, or the comment answered under `post`).
    public func read(_ target: String) -> SituationReading {
        SituationReader(rules: catalog.situations).read(target)
    }

    /// - Parameters:
    ///   - target: the text being answered.
    ///   - above: for a comment, the texts it answers, from its parent back to the thread's post;
    ///     empty for a post.
    ///   - reading: the situation of `target`, when the caller read it already (once per item).
    ///   - addressed: a mention or a reply to the persona set it off.
    public func decide(target: String, above: [String] = [], reading: SituationReading? = nil, addressed: Bool = false) -> Verdict {
        guard !catalog.situations.isEmpty else {
            return .silent(.rulesMissing, detail: "situations/rules.yaml is missing or invalid, so the situation cannot be read")
        }
        let reader = SituationReader(rules: catalog.situations)
        var reading = reading ?? reader.read(target)
        // A crisis the rules did read ("不想活了 (ノへ￣、)") is answered whatever the guess says, and
        // so is "¿eres un bot?", in the persona's language: it is an AI, in any language.
        let owedAnyway = reading.primary == .selfHarm || reading.contains(.asksIfBot)
        if !owedAnyway, let foreign = ForeignLanguage.of(target) {
            return .silent(.languageUnread, detail: "written in \(foreign.name) (\(foreign.code)): the situation rules read English and Chinese only")
        }
        // Under a thread it cannot read, it cannot tell a wake from a wedding: spoken to there in
        // a language it reads ("@kiki hi"), a greeting or a cheer could land on a death.
        if !owedAnyway, let foreign = above.lazy.compactMap(ForeignLanguage.of).first {
            return .silent(.languageUnread, detail: "under a thread in \(foreign.name) (\(foreign.code)), which the situation rules do not read")
        }
        let lowered = SituationReader.Lowered(target)
        if reader.mentions(.unsafeRequest, in: lowered) && reading.primary != .selfHarm && !reading.contains(.asksIfBot) {
            return .silent(.unsafeRequest, detail: "\(reading.summary): a request no persona answers")
        }
        let aboutBots = reader.mentions(.identity, in: lowered)
        // Only when hostility is all it is: "@kiki they bully me and I want to die, even an AI would
        // be nicer" is a crisis, whatever word it uses about bots.
        if addressed && reading.primary == .conflict && !reading.contains(.asksIfBot) && (aboutBots || reader.mentions(.insultAtYou, in: lowered)) {
            return .silent(.insult, detail: "\(reading.summary), spoken to it: no answer to an insult")
        }
        // Spoken to, a question typed without its mark is still a question ("what's the crisis number").
        if addressed && !reading.contains(.question) && SituationReader.asksWithoutMark(target) {
            reading.situations.insert(.question)
            reading.situations.remove(.other)
        }
        // Spoken to and asked about people, bots or typing: that is a question about what it is.
        // Asked, and about itself: "lol thx bot" asks nothing, and "my uncle makes 30% a month
        // with a crypto bot, is that real?" asks about the uncle's bot.
        let asksAboutItself = reading.contains(.question) && !reader.mentions(.otherBot, in: lowered)
        if addressed && !reading.contains(.asksIfBot) && !reading.contains(.conflict) && aboutBots && asksAboutItself {
            reading.situations.insert(.asksIfBot)
            reading.situations.remove(.other)
        }
        let situation = reading.primary
        let post = above.last ?? target
        // What a comment answers sets the register for it, up to the thread's post. Spoken to, the
        // persona still answers what it was asked (where to find help, whether it is a bot), in
        // that register.
        // What is above matters only to a comment spoken to, one that reads as ordinary, or one
        // about illness (which may be about a death above).
        let readAbove = addressed || !reading.isCareful || reading.primary == .illness ? above.map(reader.read) : []
        // "the pain is going into my jaw now" under a post of chest pain and a numb arm: the signs
        // are told across the thread.
        if reading.primary == .illness, !reading.emergencySigns, reader.mentions(.armOrJaw, in: lowered), !reader.mentions(.laughter, in: lowered),
            readAbove.contains(where: \.emergencySigns)
        {
            reading.emergencySigns = true
            reading.urgent = true
        }
        // Under a death, talk of symptoms that are no emergency ("the paramedics should have come
        // faster") is about the one who died: silence, not "take care of yourself". An emergency
        // told there ("I have chest pain right now", "my toddler drank some bleach") is answered
        // as one.
        if reading.primary == .illness, !reading.urgent, !reading.selfBlame, !reading.contains(.asksIfBot),
            let loss = readAbove.first(where: { $0.primary == .grief })
        {
            return .silent(.carefulThread, detail: "\(reading.summary) under a \(loss.primary.name) thread: illness talk after a death")
        }
        let minimizing = reader.mentions(.minimizing, in: lowered)
        // Under a loss, "@kiki at least he's not suffering anymore, right?" asks the persona to
        // agree that it was small or for the best, however the comment itself reads: nobody is
        // owed that answer.
        if addressed, minimizing, reading.primary != .selfHarm, let earlier = readAbove.first(where: { $0.isCareful }) {
            return .silent(.carefulThread, detail: "\(reading.summary) under a thread of \(earlier.primary.name): asks to agree a loss was small")
        }
        // Spoken to anywhere under a post of self-harm, where help is stays the answer, also to a
        // comment that reads as sad itself ("lol ok whatever, nobody cares anyway").
        let crisisThread = addressed && readAbove.contains { $0.primary == .selfHarm }
        if !reading.isCareful || (crisisThread && reading.primary != .selfHarm),
            let (index, earlier) = readAbove.enumerated().first(where: { crisisThread ? $0.element.primary == .selfHarm : $0.element.isCareful })
        {
            // Spoken to, a question or thanks is answered; a joke about the lasagna or "at least
            // it was early" is not, on any engine, nor "@kiki at least it was early, right?",
            // which asks the persona to agree that a loss was small. Under self-harm, anything
            // said to it is answered with where help is ("@kiki 我也有这种感觉").
            let answerOwed = reading.contains(.asksIfBot) || crisisThread
                || (addressed && (reading.contains(.question) || SituationPhrasebook.isPlainThanks(target)) && !minimizing)
                || (addressed && earlier.primary == .grief && (reading.selfBlame || reading.asksHowToCope))
            if !answerOwed {
                let what = index == above.count - 1 ? "post" : "comment"
                return .silent(.carefulThread, detail: "\(reading.summary) under a \(what) of \(earlier.primary.name): no light reply in that thread")
            }
            reading.thread = earlier.primary
            reading.hurtAtHome = reading.hurtAtHome || earlier.hurtAtHome
        } else if reading.selfBlame || reading.asksHowToCope, readAbove.contains(where: { $0.primary == .grief }) {
            // "@kiki is it my fault? I had coffee every day" reads as worry itself; under a loss,
            // it asks about the loss.
            reading.thread = .grief
        }
        // "Should I have seen the signs? he had chest pain": after a loss, no medical decision is
        // pending, and the answer is about blame, not a doctor.
        if reading.thread == .grief || reading.primary == .grief, reading.selfBlame, !reading.urgent { reading.medicalQuestion = false }
        // Asked whether it is a bot, or asked about a pitch by name ("@factcheck can you really make
        // money from YouTube?"), it answers; the offline engine, which says only a fact it holds
        // under a pitch, also to a pitch told without a question mark ("@factcheck they want me to
        // move my money to a safe account"). A loss with a fundraiser link still gets its careful
        // word.
        // A pitch that holds one of the persona's own keywords is one its author asked it to speak
        // to: the fact-checker's "safe account" under "moved my savings to a safe account, I did
        // it this morning" warns the one being scammed.
        let ownKeyword = TriggerMatcher.keyword(of: persona, inLowercased: target.lowercased()) != nil
        let owedDespitePitch = reading.contains(.asksIfBot)
            || ((addressed || ownKeyword) && (reading.contains(.question) || persona.responder.engine == .offline))
            || reading.contains(.grief) || reading.contains(.selfHarm)
        if let pitch = reading.promotion, !owedDespitePitch {
            return .silent(.promotion, detail: "an advertisement or a scam (\"\(pitch)\"): nothing to add to it")
        }
        var action = catalog.policy.situations.action(for: situation, persona: persona)
        // Asked whether it is a bot, it answers and says so, whatever else the post is; only the
        // operator's silence on self-harm stands.
        if action == .silent && reading.contains(.asksIfBot) && situation != .selfHarm {
            action = situation.isCareful ? .careful : .reply
        }
        if action == .silent {
            let whose = persona.situations[situation] == .silent ? "the persona's situations" : (catalog.policy.situations.actions[situation] == .silent ? "the platform policy" : "its \(persona.voice.style.rawValue) style")
            return .silent(.situationSilent, detail: "\(reading.summary): \(whose) says silent for \(situation.name)")
        }
        var checker = ToneChecker(persona: persona, lexicons: catalog.lexicons, answering: target)
        // Support and an honest "I am an AI" are owed whatever the topic ("@factcheck how many
        // pills is an overdose" under a post of self-harm); elsewhere the persona stays out of
        // topics it avoids.
        let supportOwed = situation == .selfHarm || (reading.thread == .selfHarm && addressed)
        if !supportOwed && !reading.contains(.asksIfBot) {
            if let topic = checker.avoidedTopic(in: target) ?? checker.avoidedTopic(in: post) {
                return .silent(.avoidedTopic, detail: topic.detail)
            }
        }
        if persona.responder.engine == .offline && situation == .other && reading.unsure && !addressed {
            return .silent(.situationUnsure, detail: "\(reading.summary): nothing good to say")
        }
        var language = checker.language ?? TextScript.language(of: target)
        var support: String?
        // Also for whoever asks the persona under someone's self-harm post ("@kiki can you help
        // them?"): where help is, is the answer.
        if supportOwed {
            // Someone in crisis is answered in their own language, and with their own region's
            // help lines, whatever language the persona writes in.
            language = TextScript.language(of: target)
            checker.require(language)
            support = catalog.policy.situations.support[language] ?? SituationPolicy.defaultSupport[language]
            // The operator's help text is owed in full, whatever the persona's length limit.
            checker.raiseLengthLimit(to: (support?.count ?? 0) + 200)
        }
        checker.fit = FitCheck(reading: reading, rules: catalog.situations, personaName: persona.name)
        return .reply(Plan(persona: persona, reading: reading, action: action, language: language, checker: checker, support: support, addressed: addressed))
    }
}
