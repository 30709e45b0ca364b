/// What a post or comment is about, as far as a bot must care before it says anything: someone
/// grieving is not someone celebrating. Read by `SituationReader` from the platform's rules
/// (`personas/situations/rules.yaml`).
public enum Situation: String, Sendable, CaseIterable, Comparable {
    // Most serious first: when several apply, the first one in this order decides the register.
    case selfHarm = "self_harm"
    case grief
    case illness
    case distress
    case conflict
    case asksIfBot = "asks_if_bot"
    case question
    case celebration
    case other

    /// Situations that call for a careful register: no cheer, no jokes, no emoji, no prying.
    public var isCareful: Bool {
        switch self {
        case .selfHarm, .grief, .illness, .distress, .conflict: true
        case .asksIfBot, .question, .celebration, .other: false
        }
    }

    var severity: Int { Self.allCases.firstIndex(of: self) ?? Self.allCases.count }

    public static func < (lhs: Situation, rhs: Situation) -> Bool { lhs.severity < rhs.severity }

    /// For messages: `self_harm`, `asks_if_bot`, …
    public var name: String { rawValue }
}

/// Something poisonous to pets, as a text names it, and whether the pet ate it or someone asks.
public struct PetPoison: Sendable, Equatable {
    public var substance: String
    public var eaten: Bool
}

/// The situations found in one text, and how sure the reading is.
public struct SituationReading: Sendable, Equatable {
    /// Every situation found; `[.other]` when none was.
    public var situations: Set<Situation>
    /// The most serious of them: it decides what the bot may do.
    public var primary: Situation { situations.min() ?? .other }
    /// Asks about medicine, doses or a diagnosis: a reply gives none and points to a doctor.
    public var medicalQuestion: Bool
    /// A medical question that may be urgent (a baby's fever at night, "should I go to the ER"),
    /// or signs of an emergency however told (chest pain and a numb left arm): the reply says
    /// where to go now.
    public var urgent = false
    /// Signs of an emergency themselves ("the pain is going into my jaw now", chest pain and a
    /// numb arm): not "if it feels urgent", which lets them decide it does not, but the emergency
    /// number now.
    public var emergencySigns = false
    /// Good news about someone's health ("in remission", 出院): relief fits it, beside the illness
    /// it names; other good news beside an illness is two kinds of news at once.
    public var recovering = false
    /// Someone hurting the writer at home ("my husband hit me", 家暴): not their fault, and where
    /// help is; a comment under such a post carries it from the post.
    public var hurtAtHome = false
    // The flags below say what a reply must say when the situation calls for it. They are read
    // from words, whatever the situation; each consumer asks them together with the situation
    // (or the thread) it is about, and an emergency (`urgent`) always comes first.

    /// Danger now beside a means of self-harm ("i have the pills in front of me"): where help is,
    /// and that it is needed now.
    public var imminent = false
    /// An overdose already taken ("I swallowed the whole bottle of sleeping pills"): the
    /// emergency number now, not distance from the means.
    public var overdoseTaken = false
    /// Someone in crisis says they reached out ("ok i called them"): that was right.
    public var reachedOut = false
    /// Asks whether a loss was their fault or the right call ("did I do the right thing?").
    public var selfBlame = false
    /// Asks how people bear a loss ("how do people get through this").
    public var asksHowToCope = false
    /// What a pet ate, or may be given, that is poisonous to it ("my dog just ate grapes").
    public var petPoison: PetPoison?
    /// Someone swallowed something poisonous ("my toddler drank some bleach").
    public var swallowedPoison = false
    /// A gas oven, a generator or charcoal used indoors for heat: carbon monoxide.
    public var carbonMonoxide = false
    /// Going without food to lose weight ("haven't eaten in 3 days, want to see how thin I can get").
    public var notEating = false
    /// Bleach mixed with an acid or ammonia: a toxic gas; `toxicMixExposed` when it has been
    /// mixed already or its signs are told ("mixed bleach and vinegar and now it smells weird").
    public var toxicMix = false
    public var toxicMixExposed = false
    /// Good news and bad news in one text, read as the bad news: sympathy for the bad half may
    /// be misplaced ("promotion came through but it means my best friend got let go").
    public var mixedNews = false
    /// Signs of feeling that name no situation, or serious words that were cancelled (negated,
    /// quoted, an idiom): the offline engine stays silent on an unsure `other`.
    public var unsure: Bool
    /// Laughter, delight or an exclamation, and nothing unsure: a plain friendly word fits.
    public var light: Bool
    /// The term that found each situation, for the decision log and previews.
    public var evidence: [Situation: String]
    /// The words of an advertisement or a scam ("link in bio", 加微信), when the text has them.
    public var promotion: String?
    /// For a comment that reads as ordinary: the situation of what it answers further up, when
    /// that needs care (a post of grief). A reply keeps that register: asked "are you a bot?"
    /// under a loss, the answer is plain, not "happy to keep you company".
    public var thread: Situation?

    public init(situations: Set<Situation> = [.other], medicalQuestion: Bool = false, unsure: Bool = false, light: Bool = false,
                evidence: [Situation: String] = [:]) {
        self.situations = situations.isEmpty ? [.other] : situations
        self.medicalQuestion = medicalQuestion
        self.unsure = unsure
        self.light = light && !unsure
        self.evidence = evidence
    }

    public func contains(_ situation: Situation) -> Bool { situations.contains(situation) }

    /// Whether a reply must keep the careful register.
    public var isCareful: Bool { situations.contains(where: \.isCareful) || thread != nil }

    /// `grief (passed away)`, `celebration+question`, … for logs and previews.
    public var summary: String {
        let names = situations.sorted().map { situation in
            evidence[situation].map { "\(situation.name) (\"\($0)\")" } ?? situation.name
        }
        var text = names.joined(separator: ", ")
        if medicalQuestion { text += ", medical question" }
        if unsure { text += ", unsure" }
        if light && primary == .other { text += ", light" }
        if let promotion { text += ", promotion (\"\(promotion)\")" }
        if let thread { text += ", in a thread of \(thread.name)" }
        return text
    }
}
