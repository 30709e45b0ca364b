import Foundation

/// What `gatewayd persona preview` shows: what the bot would do with a post (or a comment under
/// it) and why — trigger, limits, each attempt, each policy check, the final reply or silence.
public struct PersonaPreview: Sendable {
    public let persona: Persona
    public let catalog: PersonaCatalog
    public let responder: any Responder
    /// What answers when the responder's model fails (`fallback_engine`), nil for silence.
    public let fallback: (any Responder)?

    public init(persona: Persona, catalog: PersonaCatalog, responder: any Responder = OfflineResponder(), fallback: (any Responder)? = nil) {
        self.persona = persona
        self.catalog = catalog
        self.responder = responder
        self.fallback = fallback
    }

    public struct Report: Sendable {
        public var lines: [String]
        public var reply: String?
        /// The situation read, when the turn got that far.
        public var reading: SituationReading?
        /// Fit violations caught on the way (unfit replies that were not published).
        public var unfit: [Violation] = []
        /// The example whose post is most like the one answered, and how alike (0 to 1).
        public var closestExample: (example: Voice.Example, similarity: Double)?
    }

    /// - Parameter forceTrigger: answer even when no trigger (or the chance roll) would, to see
    ///   what the persona would say; the eval over a corpus uses it.
    public func run(post: String, parent: String? = nil, seed: UInt64 = 1, forceTrigger: Bool = false) async throws -> Report {
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
        let gate = TurnGate(persona: persona, catalog: catalog)
        let reading = TurnPlanner(persona: persona, catalog: catalog).read(target)
        lines.append("situation: \(reading.summary)")
        let closest = OfflineResponder.closestExample(to: target, among: persona.voice.examples)
        if let (example, score) = closest {
            lines.append("closest example: \"\(example.post)\" (similarity \(String(format: "%.2f", score)); the offline engine uses it from \(OfflineResponder.exampleThreshold))")
        }
        // A preview of a comment answers a person's comment under the post, as a reply to the persona.
        let item = TurnGate.Item(text: target, above: parent == nil ? [] : [post], isPost: parent == nil, repliesToPersona: parent != nil, chainIsBot: [false],
                                 replyDepth: parent == nil ? 0 : 1, reading: reading)
        var addressed = parent != nil
        switch gate.trigger(item, random: &random) {
        case .match(let match):
            addressed = match.isAddressed
            lines.append("trigger: \(match.trigger.rawValue) (\(match.detail)), after a delay of \(DurationSyntax.format(match.delay))")
        case .none where forceTrigger:
            // A persona that never comments on new posts would only have been mentioned.
            addressed = persona.triggers.newPost == nil
            lines.append("trigger: none matched; forced" + (addressed ? " as a mention" : ""))
        case .none:
            lines.append("trigger: none matched (new_post \(persona.triggers.newPost.map { "chance \($0.chance)" } ?? "off"), mention, keywords \(persona.triggers.keywords))")
            lines.append("silence: nothing to answer")
            return Report(lines: lines, reply: nil, reading: reading, closestExample: closest)
        }
        let limits = persona.limits
        let plan: TurnPlanner.Plan
        switch gate.admit(item, addressed: addressed, TurnGate.Circumstances()) {
        case .failure(let refusal):
            lines.append("silence: \(refusal.rule): \(refusal.detail)")
            return Report(lines: lines, reply: nil, reading: reading, closestExample: closest)
        case .success(let admitted):
            plan = admitted
        }
        lines.append(
            "limits: allowed (replies \(limits.replies), per thread \(limits.perThread.replies) with \(DurationSyntax.format(limits.perThread.cooldown)) cooldown, per user \(limits.perUser), bot chain < \(limits.botChain))")
        lines.append("policy: \(plan.action.rawValue) for \(reading.primary.name); no avoided topic; reply language \(plan.checker.language?.rawValue ?? "any")")
        let request = plan.request(post: post, parent: parent, seed: seed)
        let policy = ReplyPolicy(persona: persona, checker: plan.checker)
        let outcome: ReplyPolicy.Outcome
        do {
            outcome = try await policy.run(request, responder: responder)
        } catch let failure as EngineFailure {
            lines.append("\(failure)")
            guard let fallback else {
                lines.append("silence: the model failed and fallback_engine is none")
                return Report(lines: lines, reply: nil, reading: reading, closestExample: closest)
            }
            lines.append("fallback: the \(fallback.engine) engine answers instead (fallback_engine)")
            outcome = try await policy.run(request, responder: fallback)
        }
        for attempt in outcome.attempts {
            // Past max_attempts is the built-in careful reply the policy tries after an unfit one.
            let label = attempt.number > persona.tone.maxAttempts ? "careful offline reply (after an unfit attempt)" : "attempt \(attempt.number)"
            lines.append("\(label): \(attempt.text)")
            if attempt.violations.isEmpty {
                lines.append("  checks: length \(attempt.text.count)/\(plan.checker.tone.maxChars), emoji \(TextScript.emojiCount(attempt.text))/\(persona.tone.maxEmoji), no banned phrase, no link, no avoided topic, language ok, fits \(reading.primary.name)")
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
        return Report(lines: lines, reply: outcome.reply, reading: reading, unfit: ReplyPolicy.unfit(outcome), closestExample: closest)
    }
}
