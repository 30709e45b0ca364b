/// Byte-level matching on lower-cased UTF-8: the tone checks run on every reply and every
/// streamed piece, and Foundation's string search costs tens of microseconds a call here.
public struct LoweredText: Sendable {
    public let bytes: [UInt8]

    public init(_ text: String) {
        bytes = Array(text.lowercased().utf8)
    }

    /// Whether `term` (lower-cased UTF-8) occurs: anywhere for a CJK term, as whole words for
    /// others (PERSONA.md lexicon rule).
    public func contains(term: MatchTerm) -> Bool {
        guard !term.bytes.isEmpty, term.bytes.count <= bytes.count else { return false }
        var start = 0
        while let found = Self.find(term.bytes, in: bytes, from: start) {
            if term.isCJK { return true }
            if !isWordScalar(endingBefore: found) && !isWordScalar(startingAt: found + term.bytes.count) { return true }
            start = found + 1
        }
        return false
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        let count = needle.count
        guard count > 0, haystack.count - count >= start else { return nil }
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                let first = pin[0]
                var index = start
                let last = hay.count - count
                while index <= last {
                    if hay[index] == first {
                        var offset = 1
                        while offset < count && hay[index + offset] == pin[offset] { offset += 1 }
                        if offset == count { return index }
                    }
                    index += 1
                }
                return nil
            }
        }
    }

    private func scalar(at start: Int) -> Unicode.Scalar? {
        var iterator = bytes[start...].makeIterator()
        var decoder = UTF8()
        if case .scalarValue(let scalar) = decoder.decode(&iterator) { return scalar }
        return nil
    }

    private func isWord(_ scalar: Unicode.Scalar?) -> Bool {
        guard let scalar else { return false }
        if TextScript.isCJK(scalar) { return false }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar == "_"
    }

    private func isWordScalar(startingAt index: Int) -> Bool {
        guard index < bytes.count else { return false }
        return isWord(scalar(at: index))
    }

    private func isWordScalar(endingBefore index: Int) -> Bool {
        guard index > 0 else { return false }
        var start = index - 1
        // Back to the first byte of the scalar (continuation bytes are 10xxxxxx).
        while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return isWord(scalar(at: start))
    }
}

/// A lexicon term, keyword or banned phrase prepared for `LoweredText`.
public struct MatchTerm: Sendable, Equatable {
    public let text: String
    public let bytes: [UInt8]
    public let isCJK: Bool

    public init(_ term: String) {
        text = term.lowercased()
        bytes = Array(text.utf8)
        isCJK = text.unicodeScalars.contains(where: TextScript.isCJK)
    }
}
