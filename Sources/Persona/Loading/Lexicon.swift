import Foundation

/// A list of terms and phrases (`personas/lexicons/<name>.txt`): one a line, `#` starts a comment.
/// Matching ignores case; a term in Latin script matches whole words, a CJK term matches as a
/// substring (PERSONA.md).
public struct Lexicon: Sendable, Equatable {
    public let name: String
    public let terms: [String]

    public init(name: String, terms: [String]) {
        self.name = name
        self.terms = terms.map { $0.lowercased() }
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
        let lowered = text.lowercased()
        return terms.first { TermMatcher.matches($0, in: lowered) }
    }
}

/// The matching rule shared by lexicons, keywords and banned phrases.
public enum TermMatcher {
    /// Whether `term` (lower-cased) occurs in `text` (lower-cased): as a substring for CJK
    /// terms, as whole words otherwise.
    public static func matches(_ term: String, in text: String) -> Bool {
        guard !term.isEmpty else { return false }
        if term.unicodeScalars.contains(where: TextScript.isCJK) {
            return text.contains(term)
        }
        var searchRange = text.startIndex..<text.endIndex
        while let found = text.range(of: term, range: searchRange) {
            let before = found.lowerBound == text.startIndex ? nil : text[text.index(before: found.lowerBound)]
            let after = found.upperBound == text.endIndex ? nil : text[found.upperBound]
            if !isWordCharacter(before) && !isWordCharacter(after) { return true }
            searchRange = text.index(after: found.lowerBound)..<text.endIndex
        }
        return false
    }

    private static func isWordCharacter(_ character: Character?) -> Bool {
        guard let character else { return false }
        return (character.isLetter || character.isNumber || character == "_") && !character.unicodeScalars.contains(where: TextScript.isCJK)
    }
}
