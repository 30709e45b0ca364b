import GatewayProtocol
import Logging
import NIOCore
import NIOWebSocket
import Persona

/// What `gatewayd serve --conformance-echo` puts on a WebSocket instead of a session, for
/// Autobahn|Testsuite's fuzzing client: every message back as it came, framed by this server's
/// own `WebSocketFraming`, read through the same `WebSocketMessageReader` as the sessions (so
/// the suite tests the framing the sessions use); no hello, no deadlines, no protocol, and not in
/// the session registry or its metrics. Echoes not yet written out are bounded like a session's
/// outbound queue: a client that sends and never reads is closed with 4010.
final class ConformanceEchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    private var reader: WebSocketMessageReader
    private let closeGracePeriod: Duration
    private let outboundLimit: Int
    private let logger: Logger
    private var closing = false
    /// Bytes handed to the channel and not yet written to the socket.
    private var unwritten = 0

    init(maxMessageBytes: Int, compressionNegotiated: Bool, closeGracePeriod: Duration, outboundLimit: Int, logger: Logger) {
        reader = WebSocketMessageReader(maxMessageBytes: maxMessageBytes, compressionNegotiated: compressionNegotiated, acceptsBinary: true)
        self.closeGracePeriod = closeGracePeriod
        self.outboundLimit = outboundLimit
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
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
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(WebSocketFraming.frame(.close, payload: [UInt8(echo >> 8), UInt8(echo & 0xFF)]))).whenComplete { _ in
                channel.close(promise: nil)
            }
        case .violation(let why):
            close(why, context: context)
        case .nothing:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !closing else { return }
        if let why = WebSocketMessageReader.violation(for: error, maxMessageBytes: reader.maxMessageBytes) { return close(why, context: context) }
        logger.debug("Connection error: \(error)")
        context.close(promise: nil)
    }

    private func echo(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        guard unwritten + frame.readableBytes <= outboundLimit else { return close(.outboundOverflow, context: context) }
        unwritten += frame.readableBytes
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let size = frame.readableBytes
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in handler.value.unwritten -= size }
    }

    private func close(_ why: SessionClose, context: ChannelHandlerContext) {
        closing = true
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFraming.close(why.code.rawValue, reason: why.reason))).whenSuccess {
            channel.close(mode: .output, promise: nil)
        }
        context.eventLoop.scheduleTask(in: .nanoseconds(closeGracePeriod.nanoseconds)) { channel.close(promise: nil) }
    }
}
