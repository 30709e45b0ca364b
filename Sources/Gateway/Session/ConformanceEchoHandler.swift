import GatewayProtocol
import NIOCore
import NIOWebSocket
import Persona

/// What `gatewayd serve --conformance-echo` puts on a WebSocket instead of a session, for
/// Autobahn|Testsuite's fuzzing client: every message back as it came, framed by this server's
/// own `WebSocketFraming`, read through the same `WebSocketMessageReader` as the sessions (so
/// the suite tests the framing the sessions use); no hello, no deadlines, no protocol.
final class ConformanceEchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    private var reader: WebSocketMessageReader
    private let closeGracePeriod: Duration
    private var closing = false

    init(maxMessageBytes: Int, compressionNegotiated: Bool, closeGracePeriod: Duration) {
        reader = WebSocketMessageReader(maxMessageBytes: maxMessageBytes, compressionNegotiated: compressionNegotiated, acceptsBinary: true)
        self.closeGracePeriod = closeGracePeriod
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if closing {
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        switch reader.read(frame) {
        case .message(let message, let binary):
            context.writeAndFlush(wrapOutboundOut(WebSocketFraming.frame(binary ? .binary : .text, payload: message.readableBytesView)), promise: nil)
        case .ping(let payload):
            context.writeAndFlush(wrapOutboundOut(WebSocketFraming.frame(.pong, payload: payload)), promise: nil)
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
        context.close(promise: nil)
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
