import GatewayProtocol
import Logging
import NIOCore
import NIOWebSocket

/// What `gatewayd serve --conformance-echo` puts on a WebSocket instead of a session, for
/// Autobahn|Testsuite's fuzzing client: every message back as it came, framed by this server's
/// own `WebSocketFraming`, read through the same `WebSocketMessageReader` as the sessions (so
/// the suite tests the framing the sessions use); no hello, no deadlines, no protocol, and not in
/// the session registry or its metrics. Echoes not yet written out are bounded like a session's
/// outbound queue: a client that sends and never reads is closed with 4010.
final class ConformanceEchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var frames: WebSocketFrameParser
    private var reader: WebSocketMessageReader
    private let closeGracePeriod: Duration
    private let outboundLimit: Int
    private let logger: Logger
    private var closing = false

    init(maxMessageBytes: Int, maxFrameSize: Int, compressionNegotiated: Bool, closeGracePeriod: Duration, outboundLimit: Int, logger: Logger) {
        frames = WebSocketFrameParser(maxFrameSize: maxFrameSize)
        reader = WebSocketMessageReader(maxMessageBytes: maxMessageBytes, compressionNegotiated: compressionNegotiated, acceptsBinary: true)
        self.closeGracePeriod = closeGracePeriod
        self.outboundLimit = outboundLimit
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        frames.append(unwrapInboundIn(data))
        do {
            while let frame = try frames.next() { received(frame, context: context) }
        } catch {
            guard !closing else { return }
            close(WebSocketMessageReader.violation(for: error, maxMessageBytes: reader.maxMessageBytes), context: context)
        }
    }

    private func received(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        if closing {
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        switch reader.read(frame) {
        case .message(let message, let binary):
            echo(WebSocketFraming.frame(binary ? .binary : .text, payload: message.readableBytesView), context: context)
        case .ping(let payload):
            echo(WebSocketFraming.frame(.pong, payload: payload), context: context)
        case .close(let echo):
            closing = true
            context.answerClose(echo: echo, grace: closeGracePeriod)
        case .violation(let why):
            close(why, context: context)
        case .nothing:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("Connection error: \(error)")
        context.close(promise: nil)
    }

    private func echo(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        // The channel's own count of bytes not yet written, read for every echo: unlike a
        // session's fan-out, this is no hot path.
        let unwritten = context.unwrittenBytes
        guard unwritten + frame.readableBytes <= outboundLimit else { return close(.outboundOverflow, context: context) }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func close(_ why: SessionClose, context: ChannelHandlerContext) {
        closing = true
        context.startClosingHandshake(why, grace: closeGracePeriod)
    }
}
