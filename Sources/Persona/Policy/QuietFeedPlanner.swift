/// Decides when a quiet feed gets a post of a persona's own (`triggers.quiet_feed`): only after
/// the feed has been quiet for the persona's `after`, at most `max_per_day` in any 24 hours,
/// never in the policy's quiet hours, and one persona at a time — the one that opened least
/// recently. Pure: the caller gives the time, so a simulated week runs in a test.
public enum QuietFeedPlanner {
    public struct Candidate: Sendable {
        public var persona: Persona
        /// When it opened a topic in the last 24 hours.
        public var recentOpeners: [Int64]

        public init(persona: Persona, recentOpeners: [Int64]) {
            self.persona = persona
            self.recentOpeners = recentOpeners
        }
    }

    public enum Rule: String, Sendable, Equatable {
        case opens = "triggers.quiet_feed"
        case notQuietYet = "triggers.quiet_feed.after"
        case quietHours = "policy.quiet_hours"
        case maxPerDay = "triggers.quiet_feed.max_per_day"
        case oneAtATime = "one at a time"
    }

    public struct Verdict: Sendable, Equatable {
        public var persona: String
        /// Whether this persona opens a topic now.
        public var opens: Bool
        /// The rule that decided, for the decision log.
        public var rule: Rule
        public var detail: String
    }

    /// - Parameters:
    ///   - now: milliseconds since the epoch.
    ///   - lastPostAt: the newest post in the feed (any author), nil for an empty feed.
    ///   - hour: the hour of the day (0–23) for the quiet hours.
    /// - Returns: a verdict for each persona with the trigger; at most one opens.
    public static func decide(now: Int64, lastPostAt: Int64?, hour: Int, policy: PolicyFloor, candidates: [Candidate]) -> [Verdict] {
        var verdicts: [Verdict] = []
        var eligible: [(Candidate, Int64)] = []
        for candidate in candidates.sorted(by: { $0.persona.id < $1.persona.id }) {
            guard let quiet = candidate.persona.triggers.quietFeed else { continue }
            let id = candidate.persona.id
            let after = quiet.after.components.seconds * 1000
            if let lastPostAt, now - lastPostAt < after {
                verdicts.append(Verdict(persona: id, opens: false, rule: .notQuietYet,
                                        detail: "the feed had a post \((now - lastPostAt) / 60_000) min ago"))
                continue
            }
            if policy.isQuiet(hour: hour) {
                verdicts.append(Verdict(persona: id, opens: false, rule: .quietHours, detail: "no openers at \(hour):00"))
                continue
            }
            let today = candidate.recentOpeners.filter { now - $0 < 86_400_000 }
            if today.count >= quiet.maxPerDay {
                verdicts.append(Verdict(persona: id, opens: false, rule: .maxPerDay,
                                        detail: "\(today.count) openers in the last 24 h"))
                continue
            }
            eligible.append((candidate, today.max() ?? .min))
        }
        // One at a time: the persona that opened least recently goes; the others wait their turn.
        let chosen = eligible.min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0.persona.id < $1.0.persona.id }?.0.persona.id
        for (candidate, _) in eligible {
            let id = candidate.persona.id
            verdicts.append(id == chosen
                ? Verdict(persona: id, opens: true, rule: .opens, detail: "the feed is quiet")
                : Verdict(persona: id, opens: false, rule: .oneAtATime, detail: "\(chosen ?? "another persona") opens this time"))
        }
        return verdicts.sorted { $0.persona < $1.persona }
    }
}
