import NIOCore
import NIOWebSocket

extension WebSocketFrame {
    /// The frame as a client's socket carries it (RFC 6455 section 5.2): the header, the masking
    /// key if any, and `data` as it is (a frame's `data` is already masked, as on the wire).
    var clientBytes: ByteBuffer {
        var bytes = ByteBuffer()
        let flags: UInt8 = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (rsv2 ? 0x20 : 0) | (rsv3 ? 0x10 : 0)
        bytes.writeInteger(flags | UInt8(webSocketOpcode: opcode))
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        switch data.readableBytes {
        case ..<126:
            bytes.writeInteger(maskBit | UInt8(data.readableBytes))
        case ...0xFFFF:
            bytes.writeInteger(maskBit | 126)
            bytes.writeInteger(UInt16(data.readableBytes))
        default:
            bytes.writeInteger(maskBit | 127)
            bytes.writeInteger(UInt64(data.readableBytes))
        }
        if let maskKey { bytes.writeBytes(maskKey) }
        bytes.writeImmutableBuffer(data)
        return bytes
    }
}
