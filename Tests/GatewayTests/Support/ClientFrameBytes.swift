import NIOCore
import NIOWebSocket
@testable import Gateway

extension WebSocketFrame {
    /// The frame as a client's socket carries it (RFC 6455 section 5.2): the header, the masking
    /// key if any, and `data` as it is (a frame's `data` is already masked, as on the wire). The
    /// length forms are the server's own (`WebSocketFraming.writeHeader`); a client's frame differs
    /// only in its first byte's flags and opcode and in the mask bit.
    var clientBytes: ByteBuffer {
        var bytes = ByteBuffer()
        WebSocketFraming.writeHeader(.text, payloadLength: data.readableBytes, to: &bytes)
        let flags: UInt8 = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (rsv2 ? 0x20 : 0) | (rsv3 ? 0x10 : 0)
        bytes.setInteger(flags | UInt8(webSocketOpcode: opcode), at: 0)
        if let maskKey {
            bytes.setInteger((bytes.getInteger(at: 1, as: UInt8.self) ?? 0) | 0x80, at: 1)
            bytes.writeBytes(maskKey)
        }
        bytes.writeImmutableBuffer(data)
        return bytes
    }
}
