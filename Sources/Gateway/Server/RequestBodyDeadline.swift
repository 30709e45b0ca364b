import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Persona
import GatewayProtocol

/// Closes an HTTP connection whose request body does not arrive in full within the deadline
/// (`connections.request_body_timeout`): a client trickling a byte every few seconds would
/// otherwise hold its connection, and a handler waiting for the body, for ever. It answers 408
/// first when no response has started.
final class RequestBodyDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var responseStarted = false

    init(timeout: Duration) {
        self.timeout = .nanoseconds(timeout.nanoseconds)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            responseStarted = false
            timer?.cancel()
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: timeout) {
                handler.value.expired(context: loopBoundContext.value)
            }
        case .end:
            timer?.cancel()
            timer = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head = unwrapOutboundIn(data) { responseStarted = true }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    private func expired(context: ChannelHandlerContext) {
        timer = nil
        let channel = context.channel
        guard !responseStarted else {
            channel.close(promise: nil)
            return
        }
        responseStarted = true
        let body = ByteBuffer(bytes: HTTPErrorBody.encode(GatewayError(
            .badRequest, "The request body did not arrive within \(timeout.nanoseconds / 1_000_000_000) s; send it at once.")))
        let head = HTTPResponse(
            status: .requestTimeout,
            headerFields: [.connection: "close", .contentType: "application/json", .contentLength: "\(body.readableBytes)"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
