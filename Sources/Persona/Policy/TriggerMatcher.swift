import Foundation

/// Which of a persona's triggers an item (a new post or comment) sets off. One item gets at most
/// one reply, however many triggers match; a mention or a reply to the persona wins over
/// `new_post` and uses `reply_delay` (PERSONA.md).
public enum TriggerMatcher {
    public enum Trigger: String, Sendable, Equatable {
        case mention
        case replyToMe = "reply_to_me"
        case keyword
        case newPost = "new_post"
    }

    public struct Match: Sendable, Equatable {
        public var trigger: Trigger
        public var delay: Duration
        /// For keywords: the keyword; for new posts: the chance roll.
        public var detail: String

        /// Someone spoke to the persona: a mention, or a reply to its comment.
        public var isAddressed: Bool { trigger == .mention || trigger == .replyToMe }
    }

    /// What is being considered.
    public struct Item: Sendable {
        public var text: String
        /// A post (true) or a comment (false).
        public var isPost: Bool
        /// The comment answers one of this persona's comments.
        public var repliesToPersona: Bool
        /// It asks whether bots are answering: a persona that comments on new posts at all answers
        /// that one without rolling its chance, since it must say it is an AI.
        public var asksIfBot: Bool
        /// It opens by speaking to another persona ("@kiki 你是真人还是机器人？"): it is theirs to
        /// answer, whatever keyword it holds.
        public var speaksToAnotherPersona: Bool

        public init(text: String, isPost: Bool, repliesToPersona: Bool = false, asksIfBot: Bool = false, speaksToAnotherPersona: Bool = false) {
            self.text = text
            self.isPost = isPost
            self.repliesToPersona = repliesToPersona
            self.asksIfBot = asksIfBot
            self.speaksToAnotherPersona = speaksToAnotherPersona
        }
    }

    /// - Parameter random: a generator for the chance roll and the delay.
    public static func match(_ persona: Persona, item: Item, random: inout SeededRandom) -> Match? {
        let triggers = persona.triggers
        let delay = triggers.replyDelay.pick(random.unit())
        if triggers.mention, mentions(persona, in: item.text) {
            return Match(trigger: .mention, delay: delay, detail: "@\(persona.id)")
        }
        // A reply to its comment that opens by speaking to someone else ("@factcheck is that
        // true?") is for them, as a post that does is.
        if triggers.replyToMe, item.repliesToPersona, leadingMention(in: item.text) == nil {
            return Match(trigger: .replyToMe, delay: delay, detail: "a reply to its comment")
        }
        let lowered = item.text.lowercased()
        if !item.speaksToAnotherPersona, let keyword = keyword(of: persona, inLowercased: lowered) {
            return Match(trigger: .keyword, delay: delay, detail: keyword)
        }
        if item.isPost, let newPost = triggers.newPost, leadingMention(in: item.text) == nil, !item.speaksToAnotherPersona {
            let roll = random.unit()
            if item.asksIfBot && newPost.chance > 0 {
                return Match(trigger: .newPost, delay: newPost.delay.pick(random.unit()), detail: "asked whether bots answer, so no chance roll")
            }
            if roll < newPost.chance {
                return Match(trigger: .newPost, delay: newPost.delay.pick(random.unit()),
                             detail: "chance \(newPost.chance), rolled \((roll * 100).rounded() / 100)")
            }
        }
        return nil
    }

    /// The name a post opens by speaking to ("@factcheck is the earth flat?"): such a post is
    /// for them, and a persona that comments on every new post stays out of it. The persona's
    /// own name is matched as a mention before this is asked.
    public static func leadingMention(in text: String) -> String? {
        let trimmed = text.drop { $0.isWhitespace }
        guard trimmed.first == "@" else { return nil }
        let name = nameAtStart(of: trimmed.dropFirst())
        return name.isEmpty ? nil : String(name)
    }

    /// The letters, digits, `-` and `_` a text opens with: a persona's id or name as written.
    private static func nameAtStart(of text: Substring) -> Substring {
        text.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
    }

    /// The first of the persona's keywords that `lowercased` holds.
    public static func keyword(of persona: Persona, inLowercased lowercased: String) -> String? {
        persona.triggers.keywords.first { TermMatcher.matches($0.lowercased(), in: lowercased) }
    }

    /// The word a text opens with when a comma, a colon or a space follows it ("robo are you…",
    /// "Robo, bist du echt?"): a name spoken to, if it is a persona's.
    public static func leadingWord(in text: String) -> String? {
        let trimmed = text.drop { $0.isWhitespace }
        let word = nameAtStart(of: trimmed)
        guard !word.isEmpty, let next = trimmed.dropFirst(word.count).first, next.isWhitespace || ",，、:：".contains(next) else { return nil }
        return String(word)
    }

    /// `@<persona id>` or `@<persona name>`, as a whole name.
    public static func mentions(_ persona: Persona, in text: String) -> Bool {
        let lowered = text.lowercased()
        return [persona.id, persona.name, persona.botUserID].contains { mentions(name: $0, inLowercased: lowered) }
    }

    /// Whether `@name` stands in `lowercased` as a whole name (spaces and all): not followed by a
    /// letter, a digit, `-` or `_`.
    public static func mentions(name: String, inLowercased lowercased: String) -> Bool {
        let mention = "@" + name.lowercased()
        var searchRange = lowercased.startIndex..<lowercased.endIndex
        while let found = lowercased.range(of: mention, range: searchRange) {
            let next = found.upperBound == lowercased.endIndex ? nil : lowercased[found.upperBound]
            if next.map({ !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) ?? true { return true }
            searchRange = found.upperBound..<lowercased.endIndex
        }
        return false
    }
}
