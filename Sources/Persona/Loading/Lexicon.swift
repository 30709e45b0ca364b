import Foundation

/// A list of terms and phrases (`personas/lexicons/<name>.txt`): one a line, `#` starts a comment.
/// Matching ignores case; a term in Latin script matches whole words, a CJK term matches as a
/// substring (PERSONA.md).
public struct Lexicon: Sendable, Equatable {
    public let name: String
    public let terms: [String]
    let prepared: [MatchTerm]

    public init(name: String, terms: [String]) {
        self.name = name
        self.terms = terms.map { $0.lowercased() }
        self.prepared = terms.map(MatchTerm.init)
    }

    public static func parse(name: String, text: String) -> Lexicon {
        let terms = text.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let term = content.trimmingWhitespace()
            return term.isEmpty ? nil : term
        }
        return Lexicon(name: name, terms: terms)
    }

    /// The first term found in `text`, if any.
    public func firstMatch(in text: String) -> String? {
        firstMatch(in: LoweredText(text))
    }

    public func firstMatch(in text: LoweredText) -> String? {
        prepared.first { text.contains(term: $0) }?.text
    }
}

/// The matching rule shared by lexicons, keywords and banned phrases.
public enum TermMatcher {
    /// Whether `term` occurs in `text`: as a substring for CJK terms, as whole words otherwise;
    /// case is ignored.
    public static func matches(_ term: String, in text: String) -> Bool {
        LoweredText(text).contains(term: MatchTerm(term))
    }
}
