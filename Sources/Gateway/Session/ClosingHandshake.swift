import GatewayProtocol
import NIOCore
import Persona

/// What a session and the conformance echo share of their channel: RFC 6455's closing handshake
/// (section 7) and the size of the outbound queue.
extension ChannelHandlerContext {
    /// Sends `why`'s close frame, then FIN (so the peer sees both even with unread input of ours),
    /// and cuts the connection after `grace` if the peer never answers; a socket that cannot take
    /// even the close frame is cut then too.
    func startClosingHandshake(_ why: SessionClose, grace: Duration) {
        let channel = self.channel
        writeAndFlush(NIOAny(WebSocketFraming.close(why.code.rawValue, reason: why.reason))).whenSuccess {
            channel.close(mode: .output, promise: nil)
        }
        cut(after: grace)
    }

    /// Bytes written to the channel that the socket has not taken yet (a session's outbound queue).
    var unwrittenBytes: Int {
        (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    /// Answers the peer's close frame with `echo` (`WebSocketMessageReader.closeEcho`), then ends
    /// the connection; after `grace` even if the answer is never written (a peer that stopped
    /// reading would otherwise hold the connection, since a closing session has no deadlines).
    func answerClose(echo: UInt16, grace: Duration) {
        let channel = self.channel
        writeAndFlush(NIOAny(WebSocketFraming.close(echo, reason: ""))).whenComplete { _ in channel.close(promise: nil) }
        cut(after: grace)
    }

    /// Closes the connection after `grace`, however the closing handshake went.
    private func cut(after grace: Duration) {
        let channel = self.channel
        eventLoop.scheduleTask(in: .nanoseconds(grace.nanoseconds)) { channel.close(promise: nil) }
    }
}
