import Crypto
import GatewayProtocol

extension WriteCommand {
    /// What a `client_id` record keeps of its write, to tell a retry from another write under the
    /// same id: a digest of `canonicalText`, not the text, which holds the body (a deleted item's
    /// body must not outlive it in a record, and a digest is a fraction of a body's bytes).
    var fingerprint: String { WriteFingerprint.digest(of: canonicalText) }
}

enum WriteFingerprint {
    /// The first 16 bytes of the text's SHA-256, in lowercase hex: the same as PostgreSQL's
    /// `left(encode(sha256(convert_to(text, 'UTF8')), 'hex'), 32)`, which its migration uses.
    static func digest(of text: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(32)
        for byte in SHA256.hash(data: Array(text.utf8)).prefix(16) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
