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
            case .ascii(let bytes): self.storage = Self.pack(bytes) ?? .text(String(decoding: bytes, as: UTF8.self))
            case .decoded(let text): self.storage = Self.storage(of: text)
            }
        }

        init(_ text: String) {
            storage = Self.storage(of: text)
        }

        private static func storage(of text: String) -> Storage {
            var contiguous = text
            return contiguous.withUTF8 { pack(UnsafeRawBufferPointer($0)) } ?? .text(text)
        }

        /// Nil for more than 16 bytes, or bytes a packed key cannot tell apart from its padding
        /// (a NUL) or that are not ASCII: those are kept as text.
        private static func pack(_ bytes: UnsafeRawBufferPointer) -> Storage? {
            guard bytes.count <= 16, !bytes.contains(where: { $0 == 0 || $0 >= 0x80 }) else { return nil }
            var words: (low: UInt64, high: UInt64) = (0, 0)
            for (position, byte) in bytes.enumerated() {
                if position < 8 {
                    words.low |= UInt64(byte) << (8 * position)
                } else {
                    words.high |= UInt64(byte) << (8 * (position - 8))
                }
            }
            return .packed(low: words.low, high: words.high)
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
    public subscript(key: String) -> JSONValue? {
        let wanted = Key(key)
        return members.last { $0.key == wanted }?.value
    }
}
