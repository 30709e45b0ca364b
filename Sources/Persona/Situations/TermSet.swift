/// A list of terms found in lower-cased text by a scan that looks only at terms starting with the
/// scalar at hand: the situation rules expand to a few thousand terms, and every item a bot might
/// answer is read through all of them.
///
/// Matching follows the lexicon rule (PERSONA.md): a term with CJK characters matches anywhere; a
/// Latin term matches whole words, where an apostrophe between letters is part of the word
/// (`won` is not found in `won't`). A term written with a trailing `*` matches any ending
/// (`grie*`); one written with a trailing `?` only counts in a sentence that asks something.
public struct TermSet: Sendable, Equatable {
    public struct Term: Sendable, Equatable {
        /// As written, lower-cased, without its `*` or `?` mark.
        public let text: String
        let scalars: [Unicode.Scalar]
        let isCJK: Bool
        let isPrefix: Bool
        let needsQuestion: Bool

        public init(_ written: String) {
            var text = written.lowercased().trimmingWhitespace()
            needsQuestion = text.count > 1 && text.hasSuffix("?")
            if needsQuestion { text.removeLast() }
            isPrefix = text.count > 1 && text.hasSuffix("*")
            if isPrefix { text.removeLast() }
            self.text = text
            scalars = Array(text.unicodeScalars)
            isCJK = scalars.contains(where: TextScript.isCJK)
        }
    }

    public let terms: [Term]
    private let byFirstScalar: [Unicode.Scalar: [Int]]

    public init(_ written: [String]) {
        var seen = Set<String>()
        var terms: [Term] = []
        for text in written {
            let term = Term(text)
            guard !term.scalars.isEmpty, seen.insert(term.text + (term.isPrefix ? "*" : "") + (term.needsQuestion ? "?" : "")).inserted else { continue }
            terms.append(term)
        }
        self.terms = terms
        var index: [Unicode.Scalar: [Int]] = [:]
        for (position, term) in terms.enumerated() { index[term.scalars[0], default: []].append(position) }
        byFirstScalar = index
    }

    public var isEmpty: Bool { terms.isEmpty }

    public static func == (lhs: TermSet, rhs: TermSet) -> Bool { lhs.terms == rhs.terms }

    /// One place a term was found: the term and the range of scalars it covers.
    public struct Hit: Sendable, Equatable {
        public let term: Term
        public let range: Range<Int>
    }

    /// Every occurrence in `text[range]` (lower-cased scalars), in order of position.
    public func hits(in text: [Unicode.Scalar], range: Range<Int>) -> [Hit] {
        var found: [Hit] = []
        var position = range.lowerBound
        while position < range.upperBound {
            if let candidates = byFirstScalar[text[position]] {
                for index in candidates {
                    let term = terms[index]
                    let end = position + term.scalars.count
                    guard end <= range.upperBound, text[end - 1] == term.scalars[term.scalars.count - 1] else { continue }
                    var offset = 1
                    while offset < term.scalars.count && text[position + offset] == term.scalars[offset] { offset += 1 }
                    guard offset == term.scalars.count else { continue }
                    if !term.isCJK {
                        if TextWords.isWordScalar(term.scalars[0]) && position > 0 && TextWords.isWord(at: position - 1, in: text) { continue }
                        if !term.isPrefix, let last = term.scalars.last, TextWords.isWordScalar(last), end < text.count, TextWords.isWord(at: end, in: text) {
                            continue
                        }
                    }
                    found.append(Hit(term: term, range: position..<end))
                }
            }
            position += 1
        }
        return found
    }

    /// The first term found in `text`, if any.
    public func firstMatch(in text: String) -> String? {
        let scalars = Array(text.lowercased().unicodeScalars)
        return hits(in: scalars, range: 0..<scalars.count).first?.term.text
    }
}

/// Where words begin and end in lower-cased scalars.
enum TextWords {
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if TextScript.isCJK(scalar) { return false }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar == "_"
    }

    /// A word scalar, or an apostrophe between two letters (`don't`).
    static func isWord(at index: Int, in text: [Unicode.Scalar]) -> Bool {
        let scalar = text[index]
        if scalar == "'" || scalar == "\u{2019}" {
            return index > 0 && index + 1 < text.count && isWordScalar(text[index - 1]) && isWordScalar(text[index + 1])
        }
        return isWordScalar(scalar)
    }
}
