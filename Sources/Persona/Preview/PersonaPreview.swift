/// What `gatewayd persona preview` shows: what the bot would do with a post (or a comment under
/// it) and why — trigger, limits, each attempt, each policy check, the final reply or silence.
public struct PersonaPreview: Sendable {
    public let persona: Persona
    public let lexicons: [String: Lexicon]
    public let responder: any Responder
    /// What answers when the responder's model fails (`fallback_engine`), nil for silence.
    public let fallback: (any Responder)?

    public init(persona: Persona, lexicons: [String: Lexicon], responder: any Responder = OfflineResponder(), fallback: (any Responder)? = nil) {
        self.persona = persona
        self.lexicons = lexicons
        self.responder = responder
        self.fallback = fallback
    }

    public struct Report: Sendable {
        public var lines: [String]
        public var reply: String?
    }

    public func run(post: String, parent: String? = nil, seed: UInt64 = 1) async throws -> Report {
        var lines: [String] = []
        let target = parent ?? post
        // The post is mixed in, so one seed still rolls differently for different posts.
        var random = SeededRandom(seed: seed ^ SeededRandom.hash(target))
        let engine = responder.engine == "openai" ? "openai, model \(responder.model) at \(persona.responder.baseURL ?? "")" : responder.engine
        lines.append("persona: \(persona.id) (\(persona.name)), engine \(engine), style \(persona.voice.style.rawValue)")
        guard persona.enabled else {
            lines.append("silence: the persona is disabled (enabled: false)")
            return Report(lines: lines, reply: nil)
        }
        let item = TriggerMatcher.Item(text: target, isPost: parent == nil, repliesToPersona: parent != nil)
        guard let match = TriggerMatcher.match(persona, item: item, random: &random) else {
            lines.append("trigger: none matched (new_post \(persona.triggers.newPost.map { "chance \($0.chance)" } ?? "off"), mention, keywords \(persona.triggers.keywords))")
            lines.append("silence: nothing to answer")
            return Report(lines: lines, reply: nil)
        }
        lines.append("trigger: \(match.trigger.rawValue) (\(match.detail)), after a delay of \(DurationSyntax.format(match.delay))")
        let depth = parent == nil ? 0 : 1
        if let refusal = ConversationRules.check(persona: persona, chain: [false], replyDepth: depth) {
            lines.append("silence: refused by \(refusal.rawValue)")
            return Report(lines: lines, reply: nil)
        }
        let limits = persona.limits
        lines.append(
            "limits: allowed (replies \(limits.replies), per thread \(limits.perThread.replies) with \(DurationSyntax.format(limits.perThread.cooldown)) cooldown, per user \(limits.perUser), bot chain < \(limits.botChain))")
        let checker = ToneChecker(persona: persona, lexicons: lexicons, answering: target)
        for text in [post] + (parent.map { [$0] } ?? []) {
            if let topic = checker.avoidedTopic(in: text) {
                lines.append("check on the \(text == post ? "post" : "comment"): \(topic)")
                lines.append("silence: it does not engage with avoided topics")
                return Report(lines: lines, reply: nil)
            }
        }
        lines.append("checks on what it answers: no avoided topic; reply language \(checker.language?.rawValue ?? "any")")
        let request = ReplyRequest(
            persona: persona, post: post, parent: parent, language: checker.language ?? TextScript.language(of: target), seed: seed)
        let policy = ReplyPolicy(persona: persona, checker: checker)
        let outcome: ReplyPolicy.Outcome
        do {
            outcome = try await policy.run(request, responder: responder)
        } catch let failure as EngineFailure {
            lines.append("\(failure)")
            guard let fallback else {
                lines.append("silence: the model failed and fallback_engine is none")
                return Report(lines: lines, reply: nil)
            }
            lines.append("fallback: the \(fallback.engine) engine answers instead (fallback_engine)")
            outcome = try await policy.run(request, responder: fallback)
        }
        for attempt in outcome.attempts {
            lines.append("attempt \(attempt.number): \(attempt.text)")
            if attempt.violations.isEmpty {
                lines.append("  checks: length \(attempt.text.count)/\(persona.tone.maxChars), emoji \(TextScript.emojiCount(attempt.text))/\(persona.tone.maxEmoji), no banned phrase, no link, no avoided topic, language ok")
            } else {
                for violation in attempt.violations { lines.append("  failed \(violation)") }
                lines.append("  action: \(attempt.action?.rawValue ?? "-")")
            }
        }
        if let reply = outcome.reply {
            lines.append("reply: \(reply)")
        } else {
            lines.append("silence: \(outcome.reason)")
        }
        return Report(lines: lines, reply: outcome.reply)
    }
}
