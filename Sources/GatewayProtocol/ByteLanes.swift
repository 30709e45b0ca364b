/// Tests on eight bytes at once, one per lane of a word (the first byte in the low lane), for the
/// scans that look for the few bytes that matter in mostly plain text: quotes and escapes in
/// JSON strings, controls in bodies.
///
/// Each test marks the high bit of the first lane that matches, and perhaps of lanes above it:
/// a borrow from a matching lane can mark or unmark a lane above it, never one below. So the
/// lowest mark is always exact, `firstLane` finds the first matching byte, and a mask of zero
/// means no byte matches.
enum ByteLanes {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The eight bytes from `offset` on; the caller checks that there are eight.
    @inline(__always)
    static func load(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Lanes whose byte is not ASCII.
    @inline(__always)
    static func nonASCII(_ word: UInt64) -> UInt64 {
        word & highBits
    }

    /// Lanes whose byte is below `limit`, which is at most 0x80.
    @inline(__always)
    static func below(_ limit: UInt8, in word: UInt64) -> UInt64 {
        (word &- ones &* UInt64(limit)) & ~word & highBits
    }

    /// Lanes whose byte is `byte`.
    @inline(__always)
    static func equal(to byte: UInt8, in word: UInt64) -> UInt64 {
        let difference = word ^ (ones &* UInt64(byte))
        return (difference &- ones) & ~difference & highBits
    }

    /// Lanes whose byte is not zero, exact in every lane (no borrow crosses lanes): a byte's low
    /// seven bits plus 0x7F reach its high bit unless they are all zero, and `| word` marks a
    /// byte whose high bit is already set.
    @inline(__always)
    static func nonZero(_ word: UInt64) -> UInt64 {
        let lowSevenBits: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return (((word & lowSevenBits) &+ lowSevenBits) | word) & highBits
    }

    /// Lanes whose byte continues a UTF-8 sequence (10xxxxxx): any other byte starts a scalar.
    @inline(__always)
    static func continuation(_ word: UInt64) -> UInt64 {
        word & ~(word << 1) & highBits
    }

    /// Lanes holding a quote, a backslash or a control character: the bytes that end a run of a
    /// JSON string that needs no escape, for the parser and the writer alike.
    @inline(__always)
    static func jsonStringStops(_ word: UInt64) -> UInt64 {
        equal(to: UInt8(ascii: "\""), in: word) | equal(to: UInt8(ascii: "\\"), in: word) | below(0x20, in: word)
    }

    /// The index of the first marked lane, 8 when none is.
    @inline(__always)
    static func firstLane(_ mask: UInt64) -> Int {
        mask.trailingZeroBitCount >> 3
    }

    /// The lanes before `lane` (0 to 7) kept, the others cleared.
    @inline(__always)
    static func lanes(before lane: Int, of word: UInt64) -> UInt64 {
        word & ~(UInt64.max << (8 * lane))
    }
}
