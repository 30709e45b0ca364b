public import Foundation
import Yams

/// `personas/policy.yaml`: the platform's floor. Every persona inherits its limits and tone rules
/// and may tighten them, never loosen them (PERSONA.md).
public struct PolicyFloor: Sendable, Equatable {
    public var limits: Limits?
    public var tone: Tone?
    /// Hours (0–23, in `quietHoursZone`) in which bots start no conversations: `23:00..07:00`.
    public var quietHours: (start: Int, end: Int)?
    /// The time zone the quiet hours are in (`quiet_hours_zone`, an IANA name); UTC by default.
    public var quietHoursZone = TimeZone(identifier: "UTC")!
    /// What bots may do in each situation, and the support text for `self_harm`.
    public var situations = SituationPolicy()

    public init(limits: Limits? = nil, tone: Tone? = nil, quietHours: (start: Int, end: Int)? = nil, situations: SituationPolicy = .init()) {
        self.limits = limits
        self.tone = tone
        self.quietHours = quietHours
        self.situations = situations
    }

    public static func == (lhs: PolicyFloor, rhs: PolicyFloor) -> Bool {
        lhs.limits == rhs.limits && lhs.tone == rhs.tone && lhs.quietHours?.start == rhs.quietHours?.start
            && lhs.quietHours?.end == rhs.quietHours?.end && lhs.quietHoursZone == rhs.quietHoursZone && lhs.situations == rhs.situations
    }

    public static func parse(_ text: String, file: String, lexicons: Set<String>) -> Result<PolicyFloor, PersonaFileErrors> {
        var reader = NodeReader(file: file)
        let root: Node
        do {
            guard let node = try YAMLSyntax.compose(text, file: file) else { return .success(PolicyFloor()) }
            root = node
        } catch {
            return .failure(PersonaFileErrors([error]))
        }
        var floor = PolicyFloor()
        if let fields = reader.fields(root, "", allowed: ["limits", "tone", "quiet_hours", "quiet_hours_zone", "situations", "support"]) {
            if let node = fields["quiet_hours_zone"], let name = reader.string(node, "quiet_hours_zone", allowEmpty: false, maxLength: 64) {
                if let zone = TimeZone(identifier: name) {
                    floor.quietHoursZone = zone
                } else {
                    reader.error(node, "quiet_hours_zone", "\"\(name)\" is not an IANA time zone name like Asia/Shanghai or Europe/Berlin")
                }
            }
            if let node = fields["situations"] {
                for (situation, action) in SituationPolicy.parseActions(node, "situations", &reader) { floor.situations.actions[situation] = action }
            }
            if let node = fields["support"] { floor.situations.support = SituationPolicy.parseSupport(node, &reader) }
            if let node = fields["limits"] { floor.limits = PersonaParser.parseLimits(node, "limits", &reader, defaults: Limits()) }
            if let node = fields["tone"] { floor.tone = PersonaParser.parseTone(node, "tone", &reader, lexicons: lexicons, defaults: Tone()) }
            if let node = fields["quiet_hours"], let text = reader.string(node, "quiet_hours") {
                if let hours = parseHours(text) {
                    floor.quietHours = hours
                } else {
                    reader.error(node, "quiet_hours", "expected hours like \"23:00..07:00\", got \"\(text)\"")
                }
            }
        }
        return reader.diagnostics.contains { $0.severity == .error } ? .failure(PersonaFileErrors(reader.diagnostics)) : .success(floor)
    }

    static func parseHours(_ text: String) -> (start: Int, end: Int)? {
        let parts = text.components(separatedBy: "..")
        guard parts.count == 2 else { return nil }
        func hour(_ part: String) -> Int? {
            let pieces = part.trimmingWhitespace().split(separator: ":")
            guard pieces.count == 2, pieces[1] == "00", let value = Int(pieces[0]), (0...23).contains(value) else { return nil }
            return value
        }
        guard let start = hour(parts[0]), let end = hour(parts[1]) else { return nil }
        return (start, end)
    }

    /// The hour (0–23) of the quiet hours' time zone at `milliseconds` since 1970.
    public func hour(atMilliseconds milliseconds: Int64) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = quietHoursZone
        return calendar.component(.hour, from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// Whether `hour` (0–23) falls in the quiet hours.
    public func isQuiet(hour: Int) -> Bool {
        guard let quietHours else { return false }
        if quietHours.start <= quietHours.end { return hour >= quietHours.start && hour < quietHours.end }
        return hour >= quietHours.start || hour < quietHours.end
    }

    /// The persona with the floor applied: each limit and tone rule at least as strict as the
    /// policy's. What had to be tightened is reported as warnings, so authors see it.
    public func apply(to persona: Persona) -> (persona: Persona, notes: [String]) {
        var result = persona
        var notes: [String] = []
        if let limits {
            if !persona.limits.replies.isAtMost(limits.replies) {
                result.limits.replies = persona.limits.replies.tightened(by: limits.replies)
                notes.append("limits.replies tightened to \(result.limits.replies) by the platform policy")
            }
            if !persona.limits.perUser.isAtMost(limits.perUser) {
                result.limits.perUser = persona.limits.perUser.tightened(by: limits.perUser)
                notes.append("limits.per_user tightened to \(result.limits.perUser) by the platform policy")
            }
            if persona.limits.perThread.replies > limits.perThread.replies {
                result.limits.perThread.replies = limits.perThread.replies
                notes.append("limits.per_thread.replies lowered to \(limits.perThread.replies) by the platform policy")
            }
            if persona.limits.perThread.cooldown < limits.perThread.cooldown {
                result.limits.perThread.cooldown = limits.perThread.cooldown
                notes.append("limits.per_thread.cooldown raised to \(DurationSyntax.format(limits.perThread.cooldown)) by the platform policy")
            }
            if persona.limits.botChain > limits.botChain {
                result.limits.botChain = limits.botChain
                notes.append("limits.bot_chain lowered to \(limits.botChain) by the platform policy")
            }
        }
        if let tone {
            if persona.tone.maxChars > tone.maxChars {
                result.tone.maxChars = tone.maxChars
                notes.append("tone.max_chars lowered to \(tone.maxChars) by the platform policy")
            }
            if persona.tone.maxEmoji > tone.maxEmoji {
                result.tone.maxEmoji = tone.maxEmoji
                notes.append("tone.max_emoji lowered to \(tone.maxEmoji) by the platform policy")
            }
            if persona.tone.links && !tone.links {
                result.tone.links = false
                notes.append("tone.links turned off by the platform policy")
            }
            if persona.tone.maxAttempts > tone.maxAttempts {
                result.tone.maxAttempts = tone.maxAttempts
                notes.append("tone.max_attempts lowered to \(tone.maxAttempts) by the platform policy")
            }
            result.tone.bannedPhrases = unique(persona.tone.bannedPhrases + tone.bannedPhrases)
            result.tone.avoidTopics = unique(persona.tone.avoidTopics + tone.avoidTopics)
        }
        notes += situations.loosened(by: persona)
        return (result, notes)
    }

    private func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0.lowercased()).inserted }
    }
}
