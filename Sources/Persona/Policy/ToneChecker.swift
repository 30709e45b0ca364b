import Foundation

/// One rule of the tone policy that a text broke, and why, for logs and previews.
public struct Violation: Sendable, Equatable, CustomStringConvertible {
    public enum Rule: String, Sendable, Equatable {
        case length = "tone.max_chars"
        case emoji = "tone.max_emoji"
        case bannedPhrase = "tone.banned_phrases"
        case link = "tone.links"
        case avoidedTopic = "tone.avoid_topics"
        case language = "voice.language"
        case empty = "empty"
        /// Cheer, jokes, emoji or prying on grief, self-harm, illness or distress.
        case fitRegister = "fit.careful_register"
        /// Condolences on good news.
        case fitCondolence = "fit.condolence"
        /// Asked whether it is a bot, the reply does not say it is an AI, or claims to be human.
        case fitDisclosure = "fit.disclosure"
        /// A dose or a diagnosis, or no pointer to a doctor, on a medical question.
        case fitMedical = "fit.medical"

        /// A rule about what the reply answers (the situation), not about its form.
        public var isFit: Bool { rawValue.hasPrefix("fit.") }
    }

    public var rule: Rule
    public var detail: String

    public init(_ rule: Rule, _ detail: String) {
        self.rule = rule
        self.detail = detail
    }

    public var description: String { "\(rule.rawValue): \(detail)" }

    /// Whether trimming can repair it (length, emoji, links, banned phrases can be cut out;
    /// a topic or a language cannot).
    public var isTrimmable: Bool {
        switch rule {
        case .length, .emoji, .link, .bannedPhrase: true
        case .avoidedTopic, .language, .empty, .fitRegister, .fitCondolence, .fitDisclosure, .fitMedical: false
        }
    }
}

/// The tone rules of one persona, applied to posts (before answering) and to replies.
public struct ToneChecker: Sendable {
    public private(set) var tone: Tone
    public let lexicons: [Lexicon]
    private let bannedPhrases: [MatchTerm]
    /// The language a reply must be in, or nil when any will do.
    public private(set) var language: TextScript.Language?
    /// The situation of what it answers, when known: the reply must fit it too.
    public var fit: FitCheck?

    public init(persona: Persona, lexicons: [String: Lexicon], answering text: String) {
        tone = persona.tone
        self.lexicons = persona.tone.avoidTopics.compactMap { lexicons[$0] }
        bannedPhrases = persona.tone.bannedPhrases.map(MatchTerm.init)
        language = persona.voice.fixedLanguage ?? TextScript.language(of: text)
    }

    /// Requires the reply in `language`, whatever the persona's own: support for someone in
    /// crisis is owed in the language they wrote in.
    public mutating func require(_ language: TextScript.Language) {
        self.language = language
    }

    /// Lets a reply be as long as `characters` when the persona's limit is lower: the operator's
    /// support text is owed in full.
    public mutating func raiseLengthLimit(to characters: Int) {
        tone.maxChars = max(tone.maxChars, characters)
    }

    /// An avoided topic in the post or comment being answered: the persona stays out of it.
    public func avoidedTopic(in text: String) -> Violation? {
        avoidedTopic(in: LoweredText(text))
    }

    func avoidedTopic(in text: LoweredText) -> Violation? {
        for lexicon in lexicons {
            if let term = lexicon.firstMatch(in: text) {
                return Violation(.avoidedTopic, "mentions \"\(term)\" from the \(lexicon.name) lexicon")
            }
        }
        return nil
    }

    /// Every rule the reply breaks. `complete` is false for a reply still streaming, where the
    /// language is judged only once there is enough text to tell.
    public func violations(in reply: String, complete: Bool = true) -> [Violation] {
        var found: [Violation] = []
        let trimmed = reply.trimmingWhitespace()
        if complete && trimmed.isEmpty { return [Violation(.empty, "the reply is empty")] }
        // Characters never outnumber scalars: count graphemes only when the cheap count is over.
        if trimmed.unicodeScalars.count > tone.maxChars, trimmed.count > tone.maxChars {
            found.append(Violation(.length, "\(trimmed.count) characters, the limit is \(tone.maxChars)"))
        }
        let emoji = TextScript.emojiCount(trimmed)
        if emoji > tone.maxEmoji {
            found.append(Violation(.emoji, "\(emoji) emoji, the limit is \(tone.maxEmoji)"))
        }
        let lowered = LoweredText(trimmed)
        // Banned phrases match anywhere, even inside words: they are phrases, not terms.
        for phrase in bannedPhrases where LoweredText.find(phrase.bytes, in: lowered.bytes, from: 0) != nil {
            found.append(Violation(.bannedPhrase, "contains \"\(phrase.text)\""))
        }
        if !tone.links, LinkFinder.containsLink(lowered.bytes) {
            found.append(Violation(.link, "contains a link, and this persona may not post links"))
        }
        if let topic = avoidedTopic(in: lowered) { found.append(topic) }
        if let language, complete || trimmed.count >= 24 {
            let actual = TextScript.language(of: trimmed)
            if actual != language, trimmed.unicodeScalars.contains(where: { $0.properties.isAlphabetic }) {
                found.append(Violation(.language, "written in \(actual.rawValue), expected \(language.rawValue)"))
            }
        }
        if let fit { found += fit.violations(in: trimmed, complete: complete) }
        return found
    }

    /// The reply with what can be cut cut out: banned phrases' sentences, links, extra emoji, and
    /// whole sentences past the length (or a hard cut with "…" when one sentence is too long).
    public func trimmed(_ reply: String) -> String {
        var sentences = TextScript.sentences(reply)
        let lowered = tone.bannedPhrases.map { $0.lowercased() }
        sentences.removeAll { sentence in lowered.contains { sentence.lowercased().contains($0) } }
        var text = sentences.joined()
        if !tone.links {
            var bytes = Array(text.utf8)
            for range in LinkFinder.ranges(in: bytes).reversed() { bytes.removeSubrange(range) }
            text = String(decoding: bytes, as: UTF8.self)
        }
        var emojiSeen = 0
        text = String(text.filter { character in
            guard TextScript.isEmoji(character) else { return true }
            emojiSeen += 1
            return emojiSeen <= tone.maxEmoji
        })
        text = text.trimmingWhitespace()
        if text.count > tone.maxChars {
            var kept = ""
            for sentence in TextScript.sentences(text) {
                if (kept + sentence).trimmingWhitespace().count > tone.maxChars { break }
                kept += sentence
            }
            text = kept.trimmingWhitespace().isEmpty ? String(text.prefix(max(tone.maxChars - 1, 1))) + "…" : kept.trimmingWhitespace()
        }
        // Collapse the doubled spaces cutting leaves behind.
        while text.contains("  ") { text = text.replacingOccurrences(of: "  ", with: " ") }
        return text.trimmingWhitespace()
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        replacing(target, with: replacement)
    }
}
