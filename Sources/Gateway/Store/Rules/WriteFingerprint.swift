import Crypto
import GatewayProtocol

extension WriteCommand {
    /// What a `client_id` record keeps of its write, to tell a retry from another write under the
    /// same id: a digest of `canonicalText`, not the text, which holds the body (a deleted item's
    /// body must not outlive it in a record, and a digest is a fraction of a body's bytes).
    var fingerprint: String { WriteFingerprint.digest(of: canonicalText) }

    /// Whether a record's fingerprint is this write's (`digest`, its `fingerprint`). A record may
    /// still hold the canonical text itself: a node of an older version shares a PostgreSQL store
    /// until it is stopped, and writes records that way. A text holds U+001F and a digest only hex
    /// digits, so neither is taken for the other.
    func isFingerprint(_ recorded: String, digest: String) -> Bool {
        recorded == digest || recorded == canonicalText
    }
}

enum WriteFingerprint {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The first 16 bytes of the text's SHA-256, in lowercase hex: the same as PostgreSQL's
    /// `left(encode(sha256(convert_to(text, 'UTF8')), 'hex'), 32)`, which its migration uses.
    static func digest(of text: String) -> String {
        var text = text
        let hash = text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        return String(unsafeUninitializedCapacity: 32) { hex in
            for (position, byte) in hash.prefix(16).enumerated() {
                hex[2 * position] = hexDigits[Int(byte >> 4)]
                hex[2 * position + 1] = hexDigits[Int(byte & 0x0F)]
            }
            return 32
        }
    }
}
