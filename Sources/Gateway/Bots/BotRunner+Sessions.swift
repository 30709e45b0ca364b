import Persona
public import GatewayProtocol

extension BotRunner: BotWriteGate {
    /// The checks the runner makes before a reply of its own, made for a bot-token session's
    /// write: the persona is loaded, enabled and not paused; it comments (and posts only when its
    /// file gives it posts of its own, `triggers.quiet_feed`); the post allows bots and the person
    /// answered has not muted it; its conversation rules (bot chains, depth); its limits (the same
    /// limiter as the runner's, so the two together stay within them) and its tone policy.
    public func admit(_ command: WriteCommand, by bot: User) async throws(GatewayError) -> WriteCommand {
        await awaitRestore()
        guard let personaID = bot.persona, let persona = personas[personaID] else {
            throw .forbidden("This persona is not loaded; its bot account cannot write.")
        }
        guard persona.enabled else { throw .forbidden("Persona \(persona.id) is disabled (enabled: false); its bot account cannot write.") }
        guard !paused.contains(persona.id) else { throw .forbidden("An admin paused persona \(persona.id); its bot account cannot write until resumed.") }
        let label = Self.label(persona)
        switch command {
        case .comment(let postID, let parentID, let body, let clientID, _):
            let context = try await store.context(postID: postID, commentID: parentID)
            let addressee = context.chain.first?.author.id ?? context.post.author.id
            let replyDepth = parentID == nil ? 0 : (context.comment?.depth ?? 0) + 1
            let gate = TurnGate(persona: persona, catalog: catalog)
            var refusal = gate.access(chainIsBot: context.chainIsBot, replyDepth: replyDepth, .init(botsEnabled: context.post.botsEnabled))
            // The mute is read only when nothing else refuses the write.
            if refusal == nil, try await store.isMuted(botID: persona.botUserID, by: addressee, postID: postID) {
                refusal = gate.access(chainIsBot: context.chainIsBot, replyDepth: replyDepth, .init(mutedBy: addressee))
            }
            if let refusal { throw .forbidden("Persona \(persona.id) may not answer here: \(refusal.detail) (\(refusal.rule)).") }
            let answering = context.chain.first?.body ?? context.post.body
            try checkTone(body, answering: answering, persona: persona)
            try takeLimit(persona, thread: postID, user: addressee)
            return .comment(postID: postID, parentID: parentID, body: body, clientID: clientID, generated: label)
        case .post(let body, let clientID, let botsEnabled, _):
            guard persona.triggers.quietFeed != nil else {
                throw .forbidden("Persona \(persona.id) only comments; its file gives it no posts of its own (triggers.quiet_feed).")
            }
            try checkTone(body, answering: "", persona: persona)
            try takeLimit(persona, thread: "quiet_feed", user: "feed")
            return .post(body: body, clientID: clientID, botsEnabled: botsEnabled, generated: label)
        case .delete:
            // Its own posts and comments only, as for everyone (moderators aside).
            return command
        case .react, .mute:
            throw .forbidden("A bot account comments (and posts, when its persona may); it does not \(command.opName).")
        }
    }

    private func checkTone(_ body: String, answering: String, persona: Persona) throws(GatewayError) {
        let checker = ToneChecker(persona: persona, lexicons: catalog.lexicons, answering: answering)
        if let violation = checker.violations(in: body).first {
            throw .forbidden("This text breaks persona \(persona.id)'s tone policy (\(violation.rule.rawValue)): \(violation.detail)")
        }
    }

    /// Checks and takes the limits at the moment of the check (`limiterNow`).
    private func takeLimit(_ persona: Persona, thread: String, user: String) throws(GatewayError) {
        let time = limiterNow
        if case .deny(let rule, let wait) = limiter.check(persona: persona, thread: thread, user: user, now: time) {
            let milliseconds = wait.map { max(1, ($0 + 999_999) / 1_000_000) }
            throw GatewayError(.rateLimited, "Persona \(persona.id) is over its limit (\(rule.rawValue)).", retryAfterMilliseconds: milliseconds ?? 60_000)
        }
        limiter.record(persona: persona, thread: thread, user: user, now: time)
    }
}
