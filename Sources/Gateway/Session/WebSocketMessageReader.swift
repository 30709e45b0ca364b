import GatewayProtocol
import NIOCore
import NIOWebSocket

/// RFC 6455's rules for the frames one client sends, apart from what its messages mean: masking,
/// reserved bits, permessage-deflate, control frames, fragments and their size, inflating and
/// UTF-8. The session and the conformance echo both read frames through it, one per connection.
struct WebSocketMessageReader {
    /// What a frame comes to.
    enum Input {
        /// A whole message: inflated, within the size limit, UTF-8 when it is text.
        case message(ByteBuffer, binary: Bool)
        /// A ping: answer with a pong carrying `payload`.
        case ping(payload: [UInt8])
        /// The peer's close: answer with a close frame carrying `echo` and end the connection.
        case close(echo: UInt16)
        /// The frame breaks a rule: close with this.
        case violation(SessionClose)
        /// Part of a message, or a pong: nothing to do yet.
        case nothing
    }

    let maxMessageBytes: Int
    let compressionNegotiated: Bool
    /// Binary messages are part of the conversation (the conformance echo); the gateway's
    /// protocol is JSON text.
    let acceptsBinary: Bool
    private var fragments: (buffer: ByteBuffer, compressed: Bool, binary: Bool)?

    init(maxMessageBytes: Int, compressionNegotiated: Bool, acceptsBinary: Bool) {
        self.maxMessageBytes = maxMessageBytes
        self.compressionNegotiated = compressionNegotiated
        self.acceptsBinary = acceptsBinary
    }

    mutating func read(_ frame: WebSocketFrame) -> Input {
        guard frame.maskKey != nil else { return .violation(.unmaskedFrame) }
        guard !frame.rsv2, !frame.rsv3 else { return .violation(.reservedBits) }
        if frame.rsv1 && (!compressionNegotiated || !(frame.opcode == .text || frame.opcode == .binary)) {
            return .violation(.compressedWithoutDeflate)
        }
        switch frame.opcode {
        case .ping:
            var payload = frame.unmaskedData
            return .ping(payload: payload.readBytes(length: payload.readableBytes) ?? [])
        case .pong:
            return .nothing
        case .connectionClose:
            return .close(echo: Self.closeEcho(frame.unmaskedData))
        case .binary where !acceptsBinary:
            return .violation(.binaryFrame)
        case .text, .binary:
            guard fragments == nil else { return .violation(.interleavedMessage) }
            let binary = frame.opcode == .binary
            if frame.fin { return message(frame.unmaskedData, compressed: frame.rsv1, binary: binary) }
            fragments = (frame.unmaskedData, frame.rsv1, binary)
            return fragmentSizeCheck()
        case .continuation:
            guard var pending = fragments else { return .violation(.orphanContinuation) }
            fragments = nil
            var data = frame.unmaskedData
            pending.buffer.writeBuffer(&data)
            if frame.fin { return message(pending.buffer, compressed: pending.compressed, binary: pending.binary) }
            fragments = pending
            return fragmentSizeCheck()
        default:
            return .violation(.unknownOpcode)
        }
    }

    /// The close that a frame's refused header calls for (`WebSocketFrameParser`).
    static func violation(for error: NIOWebSocketError, maxMessageBytes: Int) -> SessionClose {
        switch error {
        case .invalidFrameLength: .frameTooBig(limit: maxMessageBytes)
        case .fragmentedControlFrame, .multiByteControlFrameLength: .invalidControlFrame
        }
    }

    private func fragmentSizeCheck() -> Input {
        guard let fragments else { return .nothing }
        // Compressed data may not be judged until inflated; allow its own bound meanwhile.
        let limit = fragments.compressed ? maxMessageBytes * 2 + 1024 : maxMessageBytes
        return fragments.buffer.readableBytes > limit ? .violation(.messageTooBig(limit: maxMessageBytes)) : .nothing
    }

    private func message(_ data: ByteBuffer, compressed: Bool, binary: Bool) -> Input {
        var message = data
        if compressed {
            do throws(PerMessageDeflate.Failure) {
                message = try PerMessageDeflate.inflate(message, limit: maxMessageBytes)
            } catch .tooLarge {
                return .violation(.messageTooBig(limit: maxMessageBytes))
            } catch {
                return .violation(.notInflatable)
            }
        }
        guard message.readableBytes <= maxMessageBytes else { return .violation(.messageTooBig(limit: maxMessageBytes)) }
        let valid = binary || message.withUnsafeReadableBytes { UTF8Validation.isValid($0) }
        return valid ? .message(message, binary: binary) : .violation(.invalidUTF8)
    }

    /// The code a close frame is answered with (RFC 6455 section 7.4): the peer's own, 1002 for
    /// a code no one may send or a one-byte body, 1007 for a reason that is not UTF-8.
    static func closeEcho(_ payload: ByteBuffer) -> UInt16 {
        var payload = payload
        if payload.readableBytes == 1 { return 1002 }
        guard let code = payload.readInteger(as: UInt16.self) else { return 1000 }
        let reason = payload.readBytes(length: payload.readableBytes) ?? []
        let validCode = (1000...1003).contains(code) || (1007...1011).contains(code) || (3000...4999).contains(code)
        if !validCode { return 1002 }
        return reason.withUnsafeBytes { UTF8Validation.isValid($0) } ? code : 1007
    }
}
