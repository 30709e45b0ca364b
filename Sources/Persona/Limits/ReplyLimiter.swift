/// One reply a persona made, as the store remembers it: enough to rebuild every limit.
public struct ReplyRecord: Sendable, Equatable {
    public var persona: String
    public var thread: String
    /// The user the reply answered.
    public var user: String
    /// Monotonic-scale nanoseconds, on the limiter's clock.
    public var time: Int64

    public init(persona: String, thread: String, user: String, time: Int64) {
        self.persona = persona
        self.thread = thread
        self.user = user
        self.time = time
    }
}

/// Which limit refused a reply, in words for the decision log.
public enum LimitRule: String, Sendable, Equatable {
    case replies = "limits.replies"
    case perThread = "limits.per_thread.replies"
    case cooldown = "limits.per_thread.cooldown"
    case perUser = "limits.per_user"
}

/// The rate limits of PERSONA.md `limits` for every persona: all replies together, per thread
/// (a count and a cooldown), per user. Keys are persona, persona+thread and persona+user.
public struct ReplyLimiter: Sendable {
    public enum Decision: Sendable, Equatable {
        case allow
        case deny(LimitRule, retryAfterNanoseconds: Int64?)
    }

    private struct ThreadState: Sendable {
        var count = 0
        var last: Int64 = .min
    }

    private var overall: [String: GCRA] = [:]
    private var perUser: [String: GCRA] = [:]
    private var perThread: [String: ThreadState] = [:]

    public init() {}

    /// Rebuilds the state from the replies the store remembers, oldest first.
    public init(replaying records: [ReplyRecord], personas: [String: Persona]) {
        for record in records.sorted(by: { $0.time < $1.time }) {
            guard let persona = personas[record.persona] else { continue }
            self.record(persona: persona, thread: record.thread, user: record.user, now: record.time)
        }
    }

    /// - Parameter owed: a reply the thread's count and cooldown do not hold back (where help is,
    ///   an honest "I am an AI" to whoever asks); the overall and per-user rates still do.
    public func check(persona: Persona, thread: String, user: String, now: Int64, owed: Bool = false) -> Decision {
        let threadState = perThread[persona.id + "\u{0}" + thread] ?? ThreadState()
        if !owed, threadState.count >= persona.limits.perThread.replies {
            return .deny(.perThread, retryAfterNanoseconds: nil)
        }
        let cooldown = persona.limits.perThread.cooldown.nanoseconds
        // No cooldown means none at all, even against a reply recorded a moment "later" (a clock
        // stepped back, or another node's record when a persona is taken over).
        if !owed, cooldown > 0, threadState.last != .min, now - threadState.last < cooldown {
            return .deny(.cooldown, retryAfterNanoseconds: cooldown - (now - threadState.last))
        }
        if case .deny(let wait) = (overall[persona.id] ?? GCRA(rate: persona.limits.replies)).check(now: now) {
            return .deny(.replies, retryAfterNanoseconds: wait)
        }
        if case .deny(let wait) = (perUser[persona.id + "\u{0}" + user] ?? GCRA(rate: persona.limits.perUser)).check(now: now) {
            return .deny(.perUser, retryAfterNanoseconds: wait)
        }
        return .allow
    }

    public mutating func record(persona: Persona, thread: String, user: String, now: Int64) {
        overall[persona.id, default: GCRA(rate: persona.limits.replies)].record(now: now)
        perUser[persona.id + "\u{0}" + user, default: GCRA(rate: persona.limits.perUser)].record(now: now)
        let threadKey = persona.id + "\u{0}" + thread
        var threadState = perThread[threadKey] ?? ThreadState()
        threadState.count += 1
        // The latest reply, whatever order replies are recorded in.
        threadState.last = max(threadState.last, now)
        perThread[threadKey] = threadState
    }

    /// Forgets one persona's state and rebuilds it from `records`, as a node that takes the
    /// persona over from another must: the other node's replies count too.
    public mutating func replace(persona: Persona, with records: [ReplyRecord]) {
        let prefix = persona.id + "\u{0}"
        overall[persona.id] = nil
        perUser = perUser.filter { !$0.key.hasPrefix(prefix) }
        perThread = perThread.filter { !$0.key.hasPrefix(prefix) }
        for record in records.sorted(by: { $0.time < $1.time }) where record.persona == persona.id {
            self.record(persona: persona, thread: record.thread, user: record.user, now: record.time)
        }
    }

    /// Checks and records in one step.
    public mutating func take(persona: Persona, thread: String, user: String, now: Int64) -> Decision {
        let decision = check(persona: persona, thread: thread, user: user, now: now)
        if decision == .allow { record(persona: persona, thread: thread, user: user, now: now) }
        return decision
    }
}

/// The rules that stop bots from answering each other without end (PERSONA.md `bot_chain`,
/// `max_depth`, `ignore_bots`).
public enum ConversationRules {
    public enum Refusal: String, Sendable, Equatable {
        case ignoreBots = "triggers.ignore_bots"
        case botChain = "limits.bot_chain"
        case maxDepth = "triggers.max_depth"
    }

    /// - Parameters:
    ///   - chain: who wrote each item of the parent chain, from the item being answered back to
    ///     the post: true for a bot.
    ///   - replyDepth: the depth the reply would have (a comment on the post is 0).
    public static func check(persona: Persona, chain: [Bool], replyDepth: Int) -> Refusal? {
        if persona.triggers.ignoreBots, chain.first == true { return .ignoreBots }
        let consecutiveBots = chain.prefix { $0 }.count
        if consecutiveBots >= persona.limits.botChain { return .botChain }
        if replyDepth > persona.triggers.maxDepth { return .maxDepth }
        return nil
    }
}

extension Duration {
    public var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }

    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    public var seconds: Double { Double(nanoseconds) / 1e9 }
}
