public import NIOCore

/// Server-to-client WebSocket frames (RFC 6455 section 5.2), built as finished bytes. A server's
/// frames are never masked, so one encoded frame can be written as it is to every subscriber.
public enum WebSocketFraming {
    public enum Opcode: UInt8 {
        case text = 0x1
        case binary = 0x2
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    /// The size of the header in front of a payload of `length` bytes.
    public static func headerLength(payloadLength length: Int) -> Int {
        length < 126 ? 2 : (length <= 0xFFFF ? 4 : 10)
    }

    /// A whole, unmasked frame with FIN set.
    public static func frame(_ opcode: Opcode, payload: some Collection<UInt8>) -> ByteBuffer {
        let length = payload.count
        var buffer = ByteBufferAllocator().buffer(capacity: headerLength(payloadLength: length) + length)
        writeHeader(opcode, payloadLength: length, to: &buffer)
        buffer.writeBytes(payload)
        return buffer
    }

    /// The header of a frame whose `payloadLength` bytes the caller writes next.
    public static func writeHeader(_ opcode: Opcode, payloadLength length: Int, to buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | opcode.rawValue)
        if length < 126 {
            buffer.writeInteger(UInt8(length))
        } else if length <= 0xFFFF {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }

    /// A close frame with a status code and a short reason (at most 123 bytes, so the frame stays a
    /// legal control frame).
    public static func close(_ code: UInt16, reason: String) -> ByteBuffer {
        var payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        var reasonBytes = Array(reason.utf8.prefix(123))
        while String(validating: reasonBytes, as: UTF8.self) == nil { reasonBytes.removeLast() }
        payload.append(contentsOf: reasonBytes)
        return frame(.close, payload: payload)
    }
}
