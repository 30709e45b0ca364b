import NIOCore
import NIOHTTP1

/// Stands between NIO's HTTP decoder and its upgrade handler until a connection's first request
/// head has passed, and mends two ways that handler (swift-nio 2.101) leaves a client without
/// an answer:
/// - An `Upgrade` header that names no protocol this server speaks (`h2c` from `curl --http2`,
///   `websocket/13`) is ignored, as RFC 9110 section 7.8 lets a server do, so that the request
///   is answered as plain HTTP. The upgrade handler drops the head of such a request.
/// - A head that cannot be parsed closes the connection, once NIO's error handler has answered it
///   400. The upgrade handler would wait for a head that never comes, until the connection
///   guard's handshake deadline.
/// Later requests meet neither handler (the upgrade handler leaves after the first), so this one
/// leaves with the first head.
final class FirstRequestFilter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        let offered = head.headers["Upgrade"]
        if !offered.isEmpty, !HandshakeRequest.lists("websocket", in: offered) {
            head.headers.remove(name: "Upgrade")
            // NIO's decoder stops parsing after a request it took for an upgrade, whatever is
            // removed here: the connection ends with this answer, or a next request would wait
            // unread until the idle timeout.
            head.headers.replaceOrAdd(name: "Connection", value: "close")
            context.fireChannelRead(wrapInboundOut(.head(head)))
        } else {
            context.fireChannelRead(data)
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError { context.close(promise: nil) }
        context.fireErrorCaught(error)
    }
}
