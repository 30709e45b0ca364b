/// An object's members in the order they were written, read by a scan: a message has a handful of
/// fields and each is read once, which costs less than hashing every key into a dictionary.
public struct JSONMembers: Sendable {
    /// A key, held as two words when it is at most 16 bytes of ASCII (every key of the protocol
    /// is), so that reading it and comparing it need no string.
    struct Key: Sendable, Equatable {
        private enum Storage: Sendable, Equatable {
            /// The bytes in order from the low byte of `low`, zero after the last.
            case packed(low: UInt64, high: UInt64)
            case text(String)
        }

        private let storage: Storage

        init(_ key: JSONParser.Key) {
            switch key {
            // The parser reads a key as plain bytes only when they are ASCII without controls
            // (a NUL must be escaped), so they need no check here.
            case .ascii(let bytes): self.storage = Self.packPlainASCII(bytes) ?? .text(String(decoding: bytes, as: UTF8.self))
            case .decoded(let text): self.storage = Self.storage(of: text)
            }
        }

        init(_ text: String) {
            storage = Self.storage(of: text)
        }

        /// A field name the decoder looks up. Inlined where a literal is looked up, so that its
        /// packing can be folded into constants (which a literal's pointer allows, and the
        /// closure of `withUTF8Buffer` did not).
        @inline(__always)
        init(_ name: StaticString) {
            let packed = name.hasPointerRepresentation
                ? Self.packIfPlainASCII(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
                : name.withUTF8Buffer { Self.packIfPlainASCII(UnsafeRawBufferPointer($0)) }
            storage = packed ?? .text(name.description)
        }

        private static func storage(of text: String) -> Storage {
            var contiguous = text
            return contiguous.withUTF8 { packIfPlainASCII(UnsafeRawBufferPointer($0)) } ?? .text(text)
        }

        /// `packPlainASCII` for bytes not known to be plain: nil also when one is not ASCII, or is
        /// a NUL, which a packed key could not tell apart from its padding.
        @inline(__always)
        private static func packIfPlainASCII(_ bytes: UnsafeRawBufferPointer) -> Storage? {
            guard case .packed(let low, let high)? = packPlainASCII(bytes), ByteLanes.nonASCII(low | high) == 0,
                ByteLanes.nonZero(low).nonzeroBitCount + ByteLanes.nonZero(high).nonzeroBitCount == bytes.count
            else { return nil }
            return .packed(low: low, high: high)
        }

        /// The bytes in order from the low byte of `low`, zero after the last; nil for more
        /// than 16. Loads of the widest size that fits replace a loop over the bytes, and none
        /// reads past the key: from 2 to 7 bytes, the first bytes ORed with the last ones
        /// shifted up into place (where the two overlap they hold the same bytes); from 9 to 16,
        /// the first eight in `low` and the last eight shifted down, past those, into `high`.
        @inline(__always)
        private static func packPlainASCII(_ bytes: UnsafeRawBufferPointer) -> Storage? {
            let count = bytes.count
            switch count {
            case 8...16:
                let low = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
                // The last eight bytes, shifted down so that only those after the first eight stay.
                let high = count > 8 ? UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)) >> (8 * (16 - count)) : 0
                return .packed(low: low, high: high)
            case 4...7:
                let first = UInt64(UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)))
                let last = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)))
                return .packed(low: first | last << (8 * (count - 4)), high: 0)
            case 2...3:
                let first = UInt64(UInt16(littleEndian: bytes.loadUnaligned(as: UInt16.self)))
                let last = UInt64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: count - 2, as: UInt16.self)))
                return .packed(low: first | last << (8 * (count - 2)), high: 0)
            case 1:
                return .packed(low: UInt64(bytes[0]), high: 0)
            case 0:
                return .packed(low: 0, high: 0)
            default:
                return nil
            }
        }
    }

    private struct Member {
        var key: Key
        var value: JSONValue
    }

    private var members: [Member] = []

    init() {
        members.reserveCapacity(8)
    }

    public init(_ dictionary: [String: JSONValue]) {
        members = dictionary.map { Member(key: Key($0.key), value: $0.value) }
    }

    mutating func append(_ key: Key, _ value: JSONValue) {
        members.append(Member(key: key, value: value))
    }

    /// The value of `key`; when a key is repeated the last one counts, as in `JSONValue.object`.
    @inline(__always)
    public subscript(key: StaticString) -> JSONValue? {
        let wanted = Key(key)
        return members.last { $0.key == wanted }?.value
    }
}
