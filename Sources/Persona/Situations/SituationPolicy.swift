import Yams

/// What a bot may do in each situation. `policy.yaml` sets the platform's floor; a persona's
/// `situations:` may only tighten it (PERSONA.md's floor rule). `asks_if_bot` is not a choice:
/// a bot asked whether it is one answers, and says it is an AI.
public enum SituationAction: String, Sendable, CaseIterable {
    /// Reply in the persona's own voice.
    case reply
    /// Reply in the careful register: support or condolence, no cheer, no jokes, no emoji.
    case careful
    /// Reply once with the operator's support text (`self_harm`).
    case support
    /// Say nothing.
    case silent

    var strictness: Int {
        switch self {
        case .reply: 0
        case .careful, .support: 1
        case .silent: 2
        }
    }

    /// The actions a situation allows, least strict first.
    static func allowed(in situation: Situation) -> [SituationAction] {
        switch situation {
        case .selfHarm: [.support, .silent]
        case .grief, .illness, .distress, .conflict: [.careful, .silent]
        case .celebration, .question, .other: [.reply, .silent]
        case .asksIfBot: [.reply]
        }
    }
}

/// The platform's situation floor, from `policy.yaml`.
public struct SituationPolicy: Sendable, Equatable {
    public var actions: [Situation: SituationAction]
    /// The text a `self_harm` reply points to help with, per language: the operator's to set (a
    /// hotline that serves their community).
    public var support: [TextScript.Language: String]

    public init(actions: [Situation: SituationAction] = SituationPolicy.defaultActions, support: [TextScript.Language: String] = SituationPolicy.defaultSupport) {
        self.actions = actions
        self.support = support
    }

    public static let defaultActions: [Situation: SituationAction] = [
        .selfHarm: .support, .grief: .careful, .illness: .careful, .distress: .careful, .conflict: .silent,
        .celebration: .reply, .question: .reply, .other: .reply, .asksIfBot: .reply,
    ]

    public static let defaultSupport: [TextScript.Language: String] = [
        .english: "If you are thinking about ending your life or hurting yourself, please reach out now to someone you trust or to a crisis line: in the US call or text 988, in the UK and Ireland call Samaritans on 116 123, and in an emergency call your local emergency number.",
        .chinese: "如果你有伤害自己或结束生命的念头，请现在就联系你信任的人，或拨打心理援助热线 12356；情况紧急请拨打 120 或 110。",
    ]

    /// What `persona` may do in `situation`: its own choice, held to the floor. A deadpan persona
    /// stays out of careful situations unless its file says otherwise: dry wit is the wrong voice
    /// for bad news.
    public func action(for situation: Situation, persona: Persona) -> SituationAction {
        let floor = actions[situation] ?? .reply
        let chosen = persona.situations[situation] ?? (persona.voice.style == .deadpan && situation.isCareful && situation != .selfHarm ? .silent : floor)
        return chosen.strictness >= floor.strictness ? chosen : floor
    }

    static let supportKeys = ["en", "zh"]

    /// Reads the `situations:` and `support:` sections of policy.yaml (or a persona's
    /// `situations:`): a mapping of situation names to actions.
    static func parseActions(_ node: Node, _ path: String, _ reader: inout NodeReader) -> [Situation: SituationAction] {
        var actions: [Situation: SituationAction] = [:]
        let names = Situation.allCases.filter { $0 != .asksIfBot }.map(\.rawValue)
        guard let fields = reader.fields(node, path, allowed: names) else { return actions }
        for (name, value) in fields {
            guard let situation = Situation(rawValue: name), let action = reader.choice(value, "\(path).\(name)", as: SituationAction.self) else { continue }
            let allowed = SituationAction.allowed(in: situation)
            guard allowed.contains(action) else {
                reader.error(value, "\(path).\(name)", "\(name) allows \(allowed.map(\.rawValue).joined(separator: " or ")), got \"\(action.rawValue)\"")
                continue
            }
            actions[situation] = action
        }
        return actions
    }

    static func parseSupport(_ node: Node, _ reader: inout NodeReader) -> [TextScript.Language: String] {
        var support = defaultSupport
        guard let fields = reader.fields(node, "support", allowed: supportKeys) else { return support }
        for (code, value) in fields {
            guard let language = TextScript.Language(rawValue: code), let text = reader.string(value, "support.\(code)", allowEmpty: false, maxLength: 600) else { continue }
            support[language] = text
        }
        return support
    }

    /// The persona's own choices that would loosen the floor, as notes for its author.
    func loosened(by persona: Persona) -> [String] {
        persona.situations.sorted { $0.key < $1.key }.compactMap { situation, chosen in
            let floor = actions[situation] ?? .reply
            guard chosen.strictness < floor.strictness else { return nil }
            return "situations.\(situation.name) held to \(floor.rawValue) by the platform policy"
        }
    }
}
