/// What the decision log says a persona did about an item.
public enum DecisionOutcome: String, Sendable, Equatable {
    case replied
    /// A rule kept it out (a trigger, a limit, a mute …).
    case skipped
    /// It chose silence (the situation, or no reply that passed the checks).
    case silent
    case failed
    /// It opened a topic of its own in a quiet feed.
    case posted
}

/// The rule that decided a persona's turn, one type for every rule, so the decision log, the admin
/// page and `persona preview` name them the same way; `name` is what they show.
public enum DecisionRule: Sendable, Equatable, CustomStringConvertible {
    /// The reply passed every check on its first engine.
    case replied
    case chanceSaidNo
    /// A new post that opens by speaking to someone else ("@factcheck is …").
    case addressedToOther
    case botsOff
    case paused
    case disabled
    /// The persona file was removed while the turn waited.
    case removed
    case muted
    case conversation(ConversationRules.Refusal)
    case situation(TurnPlanner.SilenceRule)
    case limit(LimitRule)
    /// The persona has as many turns in flight as it may.
    case busy
    /// Another node runs the persona now.
    case clusterOwner
    case alreadyAnswered
    case engine(EngineFailure.Kind)
    /// The model failed and `fallback_engine` answered.
    case engineFallback
    /// No attempt passed the tone checks; the persona's fallback reply did.
    case toneFallback
    /// A reply that did not fit the situation was replaced by the careful offline one.
    case carefulFallback
    /// No reply passed: the first rule the last attempt broke, nil when there was no attempt.
    case tone(Violation.Rule?)
    case quietFeed(QuietFeedPlanner.Rule)
    /// Something unexpected; the detail says what.
    case error

    public var name: String {
        switch self {
        case .replied: "ok"
        case .chanceSaidNo: "triggers.new_post.chance"
        case .addressedToOther: "triggers.new_post.addressed_to_other"
        case .botsOff: "bots: off"
        case .paused: "paused"
        case .disabled: "enabled: false"
        case .removed: "removed"
        case .muted: "mute"
        case .conversation(let refusal): refusal.rawValue
        case .situation(let rule): rule.rawValue
        case .limit(let rule): rule.rawValue
        case .busy: "busy"
        case .clusterOwner: "cluster.owner"
        case .alreadyAnswered: "already_answered"
        case .engine(let kind): "engine.\(kind.rawValue)"
        case .engineFallback: "engine.fallback"
        case .toneFallback: "tone.fallback"
        case .carefulFallback: "situation.careful_fallback"
        case .tone(let rule): rule?.rawValue ?? "tone"
        case .quietFeed(let rule): rule.rawValue
        case .error: "error"
        }
    }

    public var description: String { name }
}
