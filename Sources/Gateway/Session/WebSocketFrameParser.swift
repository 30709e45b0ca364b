import NIOCore
import NIOWebSocket

/// Frames (RFC 6455 section 5.2) from the bytes a WebSocket connection reads, parsed by the
/// handler that uses them rather than by a decoder handler of their own: a connection's pipeline
/// then holds one handler, and an idle connection nothing but this struct's empty optional.
///
/// Only a frame's header is judged here, as NIO's `WebSocketFrameDecoder` does (a frame over
/// `maxFrameSize`, a fragmented control frame, a control frame over 125 bytes), and before its
/// payload is waited for; the rest of RFC 6455's rules are `WebSocketMessageReader`'s. Errors
/// are NIO's, so `WebSocketMessageReader.violation(for:)` names their close codes. After an
/// error the connection's remaining bytes are not read.
struct WebSocketFrameParser {
    let maxFrameSize: Int
    /// Bytes of a frame not yet whole; nil between frames, so the event loop's receive buffer
    /// is not kept by an idle connection.
    private var unparsed: ByteBuffer?
    private var failed = false

    init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// Adds bytes read; `next()` then yields the frames they complete.
    mutating func append(_ bytes: ByteBuffer) {
        guard !failed, bytes.readableBytes > 0 else { return }
        guard var held = unparsed else {
            unparsed = bytes
            return
        }
        // Moved out first, so that compacting it copies nothing more than a partial frame (a
        // frame's bytes can arrive in any number of reads).
        unparsed = nil
        held.discardReadBytes()
        held.writeImmutableBuffer(bytes)
        unparsed = held
    }

    /// The next whole frame, or nil until more bytes are appended.
    mutating func next() throws(NIOWebSocketError) -> WebSocketFrame? {
        guard !failed, var buffer = unparsed else { return nil }
        do {
            guard let frame = try Self.frame(from: &buffer, maxFrameSize: maxFrameSize) else {
                shrinkPartial()
                return nil
            }
            unparsed = buffer.readableBytes > 0 ? buffer : nil
            return frame
        } catch {
            failed = true
            unparsed = nil
            throw error
        }
    }

    /// Holds the start of a frame in a buffer of its own size when it sits in a much larger one
    /// (the event loop's receive buffer, up to 64 kB), so a connection that goes quiet mid-frame
    /// does not keep that buffer.
    private mutating func shrinkPartial() {
        guard let partial = unparsed, partial.storageCapacity > 4 * partial.readableBytes + 1024 else { return }
        unparsed = ByteBuffer(bytes: partial.readableBytesView)
    }

    /// Reads one frame from the front of `buffer`; nil (and `buffer` to be read again from its
    /// start) while the frame is not whole.
    private static func frame(from buffer: inout ByteBuffer, maxFrameSize: Int) throws(NIOWebSocketError) -> WebSocketFrame? {
        guard let first = buffer.readInteger(as: UInt8.self), let second = buffer.readInteger(as: UInt8.self) else { return nil }
        let length: Int
        switch second & 0x7F {
        case 126:
            guard let word = buffer.readInteger(as: UInt16.self) else { return nil }
            length = Int(word)
        case 127:
            guard let quad = buffer.readInteger(as: UInt64.self) else { return nil }
            guard quad <= UInt64(maxFrameSize) else { throw .invalidFrameLength }
            length = Int(quad)
        case let short:
            length = Int(short)
        }
        guard length <= maxFrameSize else { throw .invalidFrameLength }
        let isControl = first & 0x08 != 0
        if isControl && first & 0x80 == 0 { throw .fragmentedControlFrame }
        if isControl && length > 125 { throw .multiByteControlFrameLength }
        var maskKey: WebSocketMaskingKey?
        if second & 0x80 != 0 {
            guard buffer.readableBytes >= 4 else { return nil }
            maskKey = WebSocketMaskingKey(buffer.readableBytesView.prefix(4))
            buffer.moveReaderIndex(forwardBy: 4)
        }
        guard let data = buffer.readSlice(length: length),
              // Every four-bit value is an opcode to NIO; reserved ones are the reader's to refuse.
              let opcode = WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F)
        else { return nil }
        return WebSocketFrame(fin: first & 0x80 != 0, rsv1: first & 0x40 != 0, rsv2: first & 0x20 != 0, rsv3: first & 0x10 != 0,
                              opcode: opcode, maskKey: maskKey, data: data)
    }
}
