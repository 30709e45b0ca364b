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
            maxMessageBytes: 64, compressionNegotiated: false, closeGracePeriod: .seconds(1), outboundLimit: 1 << 20, logger: Logger(label: "test")))
        try channel.writeInbound(frame(.text, "héllo"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == WebSocketFraming.frame(.text, payload: Array("héllo".utf8)))
        try channel.writeInbound(frame(.ping, "p"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == WebSocketFraming.frame(.pong, payload: Array("p".utf8)))
        try channel.writeInbound(frame(.text, "unmasked", masked: false))
        let close = SessionClose.unmaskedFrame
        #expect(try channel.readOutbound(as: ByteBuffer.self) == WebSocketFraming.close(close.code.rawValue, reason: close.reason))
        // After its close only the peer's close matters.
        try channel.writeInbound(frame(.text, "ignored"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        _ = try? channel.finish()
        // Echoes the client has not taken are bounded like a session's outbound queue.
        let tight = EmbeddedChannel(handler: ConformanceEchoHandler(
            maxMessageBytes: 64, compressionNegotiated: false, closeGracePeriod: .seconds(1), outboundLimit: 4, logger: Logger(label: "test")))
        try tight.writeInbound(frame(.text, "hello"))
        let overflow = SessionClose.outboundOverflow
        #expect(try tight.readOutbound(as: ByteBuffer.self) == WebSocketFraming.close(overflow.code.rawValue, reason: overflow.reason))
        _ = try? tight.finish()
    }
}
