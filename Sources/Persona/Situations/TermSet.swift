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

        /// What tells two terms apart: the text and its marks.
        var key: String { text + (isPrefix ? "*" : "") + (needsQuestion ? "?" : "") }

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
    /// Its place among the lists of one rules file, so that one scan of a text serves them all
    /// (`CombinedTerms`); -1 for a list outside such a file.
    var tag = -1
    /// Terms by their first two scalars, and the one-scalar terms by theirs: most positions of a
    /// text start no term, and a pair rules out far more candidates than one letter does.
    private let byFirstPair: [UInt64: [Int]]
    private let bySingleScalar: [Unicode.Scalar: [Int]]

    public init(_ written: [String]) {
        self.init(terms: written.map(Term.init))
    }

    init(terms candidates: [Term]) {
        var seen = Set<String>()
        var terms: [Term] = []
        for term in candidates where !term.scalars.isEmpty && seen.insert(term.key).inserted {
            terms.append(term)
        }
        self.terms = terms
        var pairs: [UInt64: [Int]] = [:]
        var singles: [Unicode.Scalar: [Int]] = [:]
        for (position, term) in terms.enumerated() {
            if term.scalars.count == 1 {
                singles[term.scalars[0], default: []].append(position)
            } else {
                pairs[Self.pair(term.scalars[0], term.scalars[1]), default: []].append(position)
            }
        }
        byFirstPair = pairs
        bySingleScalar = singles
    }

    private static func pair(_ first: Unicode.Scalar, _ second: Unicode.Scalar) -> UInt64 {
        UInt64(first.value) << 32 | UInt64(second.value)
    }

    public var isEmpty: Bool { terms.isEmpty }

    public static func == (lhs: TermSet, rhs: TermSet) -> Bool { lhs.terms == rhs.terms }

    /// One place a term was found: the term and the range of scalars it covers.
    public struct Hit: Sendable, Equatable {
        public let term: Term
        public let range: Range<Int>
        /// The term's place in its list.
        let termIndex: Int
    }

    /// Every occurrence in `text[range]` (lower-cased scalars), in order of position.
    public func hits(in text: [Unicode.Scalar], range: Range<Int>) -> [Hit] {
        var found: [Hit] = []
        var position = range.lowerBound
        while position < range.upperBound {
            if let singles = bySingleScalar[text[position]] { collect(singles, at: position, in: text, range: range, into: &found) }
            if position + 1 < range.upperBound, let pairs = byFirstPair[Self.pair(text[position], text[position + 1])] {
                collect(pairs, at: position, in: text, range: range, into: &found)
            }
            position += 1
        }
        return found
    }

    private func collect(_ candidates: [Int], at position: Int, in text: [Unicode.Scalar], range: Range<Int>, into found: inout [Hit]) {
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
            found.append(Hit(term: term, range: position..<end, termIndex: index))
        }
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

/// Several tagged lists of terms in one index: a text is scanned once, and each list gets its
/// hits. The situation rules have a few dozen lists, and a scan per list cost more than the rest
/// of reading a post together.
struct CombinedTerms: Sendable, Equatable {
    private let all: TermSet
    /// For each term of `all`, the tags of the lists it belongs to.
    private let owners: [[Int]]
    let count: Int

    /// `lists[i]` must carry tag `i`.
    init(_ lists: [TermSet]) {
        all = TermSet(terms: lists.flatMap(\.terms))
        var position: [String: Int] = [:]
        for (index, term) in all.terms.enumerated() { position[term.key] = index }
        var owners = [[Int]](repeating: [], count: all.terms.count)
        for list in lists {
            for term in list.terms {
                if let index = position[term.key], owners[index].last != list.tag { owners[index].append(list.tag) }
            }
        }
        self.owners = owners
        count = lists.count
    }

    init() {
        self.init([])
    }

    static func == (lhs: CombinedTerms, rhs: CombinedTerms) -> Bool { lhs.all == rhs.all && lhs.count == rhs.count }

    /// Hits per tag, each in order of position.
    func scan(_ text: [Unicode.Scalar]) -> [[TermSet.Hit]] {
        var byTag = [[TermSet.Hit]](repeating: [], count: count)
        for hit in all.hits(in: text, range: 0..<text.count) {
            for tag in owners[hit.termIndex] { byTag[tag].append(hit) }
        }
        return byTag
    }
}
