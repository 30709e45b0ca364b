import CompressNIO
import Foundation
import NIOCore

/// permessage-deflate (RFC 7692), server side.
///
/// The server always asks for `client_no_context_takeover`, so every compressed client message
/// inflates on its own and a connection keeps no zlib state between messages. The server sends
/// its own messages uncompressed (RSV1 clear, which section 6 allows), so one encoded event frame
/// still serves every subscriber, compressing or not.
enum PerMessageDeflate {
    enum Failure: Error {
        case tooLarge
        case corrupt
    }

    /// The `Sec-WebSocket-Extensions` answer to a client's offers, or nil to decline them all.
    static func negotiate(offers header: String) -> String? {
        for offer in header.split(separator: ",") {
            let parts = offer.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first == "permessage-deflate" else { continue }
            var response = ["permessage-deflate", "client_no_context_takeover"]
            var acceptable = true
            var seen = Set<String>()
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                let name = pair[0]
                let value = pair.count > 1 ? pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : nil
                guard seen.insert(name).inserted else { acceptable = false; break }
                switch name {
                case "server_no_context_takeover" where value == nil:
                    response.append("server_no_context_takeover")
                case "client_no_context_takeover" where value == nil:
                    break
                case "server_max_window_bits":
                    guard let value, let bits = Int(value), (8...15).contains(bits) else { acceptable = false; break }
                    response.append("server_max_window_bits=\(bits)")
                case "client_max_window_bits":
                    if let value {
                        guard let bits = Int(value), (8...15).contains(bits) else { acceptable = false; break }
                    }
                default:
                    acceptable = false
                }
                if !acceptable { break }
            }
            if acceptable { return response.joined(separator: "; ") }
        }
        return nil
    }

    /// Inflates one whole compressed message (section 7.2.2: the sender dropped the final
    /// `00 00 ff ff`, which is put back here).
    static func inflate(_ compressed: ByteBuffer, limit: Int) throws(Failure) -> ByteBuffer {
        var input = compressed
        input.writeBytes([0x00, 0x00, 0xFF, 0xFF])
        do {
            let decompressor = try ZlibDecompressor(algorithm: .deflate, windowSize: 15)
            return try input.decompressStream(with: decompressor, maxSize: limit)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw .tooLarge
        } catch {
            throw .corrupt
        }
    }
}
