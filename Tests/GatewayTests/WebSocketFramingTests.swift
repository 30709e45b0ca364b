import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
@testable import Gateway
@testable import GatewayProtocol

/// RFC 6455's rules as the session and the conformance echo read frames, without sockets: the
/// reader alone, and the echo handler in an `EmbeddedChannel`.
@Suite("WebSocket framing")
struct WebSocketFramingTests {
    /// A client frame; a zero masking key leaves the payload as it is.
    func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true, masked: Bool = true, rsv1: Bool = false) -> WebSocketFrame {
        WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: masked ? WebSocketMaskingKey([0, 0, 0, 0]) : nil, data: ByteBuffer(string: text))
    }

    func text(_ input: WebSocketMessageReader.Input) -> String? {
        if case .message(let buffer, binary: false) = input { return String(buffer: buffer) }
        return nil
    }

    func violation(_ input: WebSocketMessageReader.Input) -> SessionClose? {
        if case .violation(let why) = input { return why }
        return nil
    }

    @Test("fragments make one message; interleaving, orphans, unmasked and oversized frames are refused with their close")
    func reader() {
        var reader = WebSocketMessageReader(maxMessageBytes: 16, compressionNegotiated: false, acceptsBinary: false)
        #expect(text(reader.read(frame(.text, "{\"op\":", fin: false))) == nil)
        #expect(violation(reader.read(frame(.text, "again"))) == .interleavedMessage)
        reader = WebSocketMessageReader(maxMessageBytes: 16, compressionNegotiated: false, acceptsBinary: false)
        _ = reader.read(frame(.text, "{\"op\":", fin: false))
        #expect(text(reader.read(frame(.continuation, "\"ping\"}"))) == "{\"op\":\"ping\"}")
        #expect(violation(reader.read(frame(.continuation, "x"))) == .orphanContinuation)
        #expect(violation(reader.read(frame(.text, "hi", masked: false))) == .unmaskedFrame)
        #expect(violation(reader.read(frame(.text, "hi", rsv1: true))) == .compressedWithoutDeflate)
        #expect(violation(reader.read(frame(.binary, "hi"))) == .binaryFrame)
        #expect(violation(reader.read(frame(.text, String(repeating: "x", count: 17)))) == .messageTooBig(limit: 16))
        #expect(violation(reader.read(WebSocketFrame(fin: true, opcode: .text, maskKey: WebSocketMaskingKey([0, 0, 0, 0]),
                                                     data: ByteBuffer(bytes: [0xC3, 0x28])))) == .invalidUTF8)
    }

    @Test("a close is answered with the peer's code, 1002 for one no one may send, 1007 for a reason that is not UTF-8")
    func closeEcho() {
        func echo(_ bytes: [UInt8]) -> UInt16 { WebSocketMessageReader.closeEcho(ByteBuffer(bytes: bytes)) }
        #expect(echo([]) == 1000)
        #expect(echo([0x03, 0xE8]) == 1000)
        #expect(echo([0x0F, 0xA0]) == 4000)
        #expect(echo([0x03]) == 1002)
        #expect(echo([0x03, 0xEC]) == 1002, "1004 is reserved")
        #expect(echo([0x03, 0xE8, 0xC3, 0x28]) == 1007)
    }

    @Test("the conformance echo sends each message back in the server's own framing, answers pings, and closes on a broken rule")
    func echoHandler() throws {
        let channel = EmbeddedChannel(handler: ConformanceEchoHandler(
            maxMessageBytes: 64, maxFrameSize: 64 + 1024, compressionNegotiated: false, closeGracePeriod: .seconds(1), outboundLimit: 1 << 20, logger: Logger(label: "test")))
        try channel.writeInbound(frame(.text, "héllo").clientBytes)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == WebSocketFraming.frame(.text, payload: Array("héllo".utf8)))
        try channel.writeInbound(frame(.ping, "p").clientBytes)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == WebSocketFraming.frame(.pong, payload: Array("p".utf8)))
        try channel.writeInbound(frame(.text, "unmasked", masked: false).clientBytes)
        let close = SessionClose.unmaskedFrame
        #expect(try channel.readOutbound(as: ByteBuffer.self) == WebSocketFraming.close(close.code.rawValue, reason: close.reason))
        // After its close only the peer's close matters.
        try channel.writeInbound(frame(.text, "ignored").clientBytes)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        _ = try? channel.finish()
        // A header over the limit is refused with 1009 before any of its payload arrives.
        let strict = EmbeddedChannel(handler: ConformanceEchoHandler(
            maxMessageBytes: 64, maxFrameSize: 64 + 1024, compressionNegotiated: false, closeGracePeriod: .seconds(1), outboundLimit: 1 << 20,
            logger: Logger(label: "test")))
        try strict.writeInbound(ByteBuffer(bytes: [0x81, 0xFE, 0x04, 0x41]))
        let tooBig = SessionClose.frameTooBig(limit: 64)
        #expect(try strict.readOutbound(as: ByteBuffer.self) == WebSocketFraming.close(tooBig.code.rawValue, reason: tooBig.reason))
        #expect(tooBig.code.rawValue == 1009)
        _ = try? strict.finish()
        // Echoes the client has not taken are bounded like a session's outbound queue.
        let tight = EmbeddedChannel(handler: ConformanceEchoHandler(
            maxMessageBytes: 64, maxFrameSize: 64 + 1024, compressionNegotiated: false, closeGracePeriod: .seconds(1), outboundLimit: 4, logger: Logger(label: "test")))
        try tight.writeInbound(frame(.text, "hello").clientBytes)
        let overflow = SessionClose.outboundOverflow
        #expect(try tight.readOutbound(as: ByteBuffer.self) == WebSocketFraming.close(overflow.code.rawValue, reason: overflow.reason))
        _ = try? tight.finish()
    }

    /// Everything the parser yields from `reads`, appended one at a time, all of them even after
    /// an error: the frames as (opcode, fin, unmasked text), and the first error.
    func parse(_ reads: [ByteBuffer], maxFrameSize: Int = 1 << 16) -> (frames: [(WebSocketOpcode, Bool, String)], error: NIOWebSocketError?) {
        var parser = WebSocketFrameParser(maxFrameSize: maxFrameSize)
        var frames: [(WebSocketOpcode, Bool, String)] = []
        var firstError: NIOWebSocketError?
        for read in reads {
            parser.append(read)
            do {
                while let frame = try parser.next() { frames.append((frame.opcode, frame.fin, String(buffer: frame.unmaskedData))) }
            } catch {
                firstError = firstError ?? error
            }
        }
        return (frames, firstError)
    }

    @Test("frames are parsed from reads cut anywhere: every header length form, masked or not, one byte at a time or all at once")
    func frameParserReads() {
        let key: WebSocketMaskingKey = [0x12, 0x34, 0x56, 0x78]
        var masked = ByteBuffer(string: String(repeating: "m", count: 300))
        masked.webSocketMask(key)
        let frames = [
            frame(.text, "short"),
            WebSocketFrame(fin: false, opcode: .text, maskKey: key, data: masked),
            frame(.ping, ""),
            frame(.continuation, String(repeating: "q", count: 70_000), masked: false),
        ]
        var wire = ByteBuffer()
        for frame in frames { wire.writeImmutableBuffer(frame.clientBytes) }
        let expected = ["short", String(repeating: "m", count: 300), "", String(repeating: "q", count: 70_000)]
        let whole = parse([wire], maxFrameSize: 1 << 17)
        #expect(whole.error == nil)
        #expect(whole.frames.map(\.2) == expected)
        #expect(whole.frames.map(\.0) == [.text, .text, .ping, .continuation])
        #expect(whole.frames.map(\.1) == [true, false, true, true])
        // The same bytes in reads of one byte, then of seven (every cut through every header).
        for size in [1, 7] {
            let reads = stride(from: 0, to: wire.readableBytes, by: size).map { start in
                wire.getSlice(at: start, length: min(size, wire.readableBytes - start)) ?? ByteBuffer()
            }
            let cut = parse(reads, maxFrameSize: 1 << 17)
            #expect(cut.error == nil)
            #expect(cut.frames.map(\.2) == expected, "reads of \(size) bytes")
        }
    }

    @Test("a frame's header is refused as soon as it is read, before its payload: too long, a fragmented or long control frame; nothing after it is read")
    func frameParserRefusals() {
        // A 64-bit length over the limit, with no payload sent at all.
        var huge = ByteBuffer(bytes: [0x81, 0xFF])
        huge.writeInteger(UInt64(1 << 40))
        #expect(parse([huge], maxFrameSize: 1024).error == .invalidFrameLength)
        var largest = ByteBuffer(bytes: [0x82, 0xFF])
        largest.writeInteger(UInt64.max)
        #expect(parse([largest], maxFrameSize: 1024).error == .invalidFrameLength, "a length that fits no Int")
        var over = ByteBuffer(bytes: [0x81, 0xFE])
        over.writeInteger(UInt16(1025))
        #expect(parse([over], maxFrameSize: 1024).error == .invalidFrameLength)
        #expect(parse([ByteBuffer(bytes: [0x09, 0x80])]).error == .fragmentedControlFrame, "a ping without FIN")
        #expect(parse([ByteBuffer(bytes: [0x89, 0xFE, 0x00, 0x7E])]).error == .multiByteControlFrameLength, "a 126-byte ping")
        // The frames before a refused one are delivered; nothing after it is read.
        let refused = parse([frame(.text, "before").clientBytes, over, frame(.text, "after").clientBytes], maxFrameSize: 1024)
        #expect(refused.frames.map(\.2) == ["before"])
        #expect(refused.error == .invalidFrameLength)
    }
}
