/// Checks a reply while it streams: text pieces go in, and only whole sentences that pass the
/// tone rules so far come out, so that nobody sees text the policy would refuse. A violation on
/// the way means the reply must be retracted (PERSONA.md: "released only in pieces that have
/// passed the checks so far; one that fails later is retracted").
public struct IncrementalChecker: Sendable {
    public enum Step: Sendable, Equatable {
        /// Text cleared for release (possibly empty while a sentence is incomplete).
        case release(String)
        /// The reply broke a rule; what was released must be withdrawn.
        case retract(Violation)
    }

    private let checker: ToneChecker
    private var released = ""
    private var pending = ""
    private(set) public var retracted: Violation?

    public init(checker: ToneChecker) {
        self.checker = checker
    }

    /// All text released so far.
    public var releasedText: String { released }

    /// Feeds a piece of the reply; releases the complete sentences that pass.
    public mutating func feed(_ piece: String) -> Step {
        if let retracted { return .retract(retracted) }
        pending += piece
        var sentences = TextScript.sentences(pending)
        // The last piece of text is released only once its sentence ends.
        let unfinished = sentences.last.map { sentence in
            sentence.last.map { !TextScript.sentenceEnds.contains($0) } ?? true
        } ?? false
        let tail = unfinished ? sentences.removeLast() : ""
        let complete = sentences.joined()
        // A reply whose fit can only be judged whole (a disclosure, a pointer to a doctor) is
        // shown only when it ends.
        guard !complete.isEmpty, checker.fit?.needsWholeReply != true else {
            // Even before a sentence ends, a hard rule may already be broken; a word still being
            // written is left out ("I'm real" is not yet "I'm really sorry").
            if let violation = checker.violations(in: Self.withoutUnfinishedWord(released + pending), complete: false).first {
                retracted = violation
                return .retract(violation)
            }
            return .release("")
        }
        if let violation = checker.violations(in: released + complete, complete: false).first {
            retracted = violation
            return .retract(violation)
        }
        released += complete
        pending = tail
        return .release(complete)
    }

    /// The text up to its last Latin word, which may still grow.
    static func withoutUnfinishedWord(_ text: String) -> String {
        var scalars = text.unicodeScalars
        while let last = scalars.last, last.isASCII, last.properties.isAlphabetic || ("0"..."9").contains(last) || last == "'" {
            scalars.removeLast()
        }
        return String(scalars)
    }

    /// The stream ended: the rest is checked with the whole reply.
    public mutating func finish() -> Step {
        if let retracted { return .retract(retracted) }
        let whole = released + pending
        if let violation = checker.violations(in: whole, complete: true).first {
            retracted = violation
            return .retract(violation)
        }
        let rest = pending
        released = whole
        pending = ""
        return .release(rest)
    }
}

