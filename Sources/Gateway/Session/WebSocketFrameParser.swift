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

    /// Calls `body` with each whole frame that `bytes` completes, in order; holds back the start
    /// of the next one.
    mutating func read(_ bytes: ByteBuffer, _ body: (WebSocketFrame) -> Void) throws(NIOWebSocketError) {
        guard !failed else { return }
        if var held = unparsed {
            // Moved out first, so that compacting it copies nothing more than a partial frame
            // (a frame's bytes can arrive in any number of reads).
            unparsed = nil
            held.discardReadBytes()
            held.writeImmutableBuffer(bytes)
            unparsed = held
        } else {
            unparsed = bytes
        }
        do {
            while let frame = try nextFrame() { body(frame) }
        } catch {
            failed = true
            unparsed = nil
            throw error
        }
    }

    private mutating func nextFrame() throws(NIOWebSocketError) -> WebSocketFrame? {
        guard var buffer = unparsed else { return nil }
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
        unparsed = buffer.readableBytes > 0 ? buffer : nil
        return WebSocketFrame(fin: first & 0x80 != 0, rsv1: first & 0x40 != 0, rsv2: first & 0x20 != 0, rsv3: first & 0x10 != 0,
                              opcode: opcode, maskKey: maskKey, data: data)
    }
}
