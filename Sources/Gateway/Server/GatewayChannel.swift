import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization
import GatewayProtocol

/// The gateway's connections on its one port: HTTP/1.1 for the API and page, upgraded to our own
/// WebSocket session handler on `/v1/ws`. Shaped like HummingbirdWebSocket's upgrade channel, but
/// a WebSocket connection costs no task: once upgraded, its handler lives in the pipeline.
struct GatewayChannel: ServerChildChannel, HTTPChannelHandler {
    enum UpgradeResult: Sendable {
        case websocket
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, GatewayWebSocketUpgrader.Refusal)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let runtime: GatewayRuntime
    let http1 = HTTP1Channel.Configuration()

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // NIO keeps each connection's receive buffer between reads, at the size of the largest
            // read so far (2 kB from the start by default). Client frames are small, so starting
            // at 512 bytes keeps an idle WebSocket connection's buffer small; a larger read still
            // doubles it.
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGuard(limiter: runtime.connectionLimiter, handshakeTimeout: runtime.configuration.handshakeTimeout))
            let result = channel.eventLoop.makePromise(of: UpgradeResult.self)
            try channel.pipeline.syncOperations.addHandler(HandshakeFastPath(runtime: runtime, result: result) {
                try configureHTTP(channel: channel, logger: logger)
            })
            return Value(upgradeResult: result.futureResult, channel: channel)
        }
    }

    /// NIO's HTTP/1.1 pipeline with the WebSocket upgrader, after `HandshakeFastPath`, for a
    /// connection whose first request that handler did not answer itself.
    private func configureHTTP(channel: any Channel, logger: Logger) throws -> EventLoopFuture<UpgradeResult> {
        let refusal = NIOLoopBoundBox<GatewayWebSocketUpgrader.Refusal?>(nil, eventLoop: channel.eventLoop)
        let upgrader = GatewayWebSocketUpgrader(runtime: runtime) { reason in
            refusal.value = reason
        }
        let serverUpgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration<UpgradeResult>(
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    channel.pipeline.fireUserInboundEventTriggered(ConnectionGuard.HandshakeCompleted())
                    // From here Hummingbird answers parse errors itself; with NIO's handler too, a
                    // bad request on a kept-alive connection got two 400s.
                    let errorHandler = try channel.pipeline.syncOperations.handler(type: HTTPServerProtocolErrorHandler.self)
                    channel.pipeline.syncOperations.removeHandler(errorHandler, promise: nil)
                    try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                    try channel.pipeline.syncOperations.addHandler(RequestBodyDeadline(timeout: runtime.configuration.requestBodyTimeout))
                    // Closes keep-alive connections idle for a minute, and idle ones at once on graceful
                    // shutdown, so a drain is not held up by browsers that keep connections open.
                    try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: .seconds(60), logger: logger))
                    let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    if let reason = refusal.value {
                        return .refused(asyncChannel, reason)
                    }
                    return .notUpgraded(asyncChannel)
                }
            }
        )
        var configuration = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: serverUpgradeConfiguration)
        configuration.enablePipelining = false
        // A head NIO cannot parse gets a 400 (and FirstRequestFilter closes the connection).
        // Hummingbird answers parse errors only once the connection is its own, after the first
        // request; a malformed first head used to wait unanswered for the handshake deadline.
        configuration.enableErrorHandling = true
        configuration.enableResponseHeaderValidation = false
        let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
        let upgradeHandler = try channel.pipeline.syncOperations.handler(type: NIOTypedHTTPServerUpgradeHandler<UpgradeResult>.self)
        try channel.pipeline.syncOperations.addHandler(FirstRequestFilter(), position: .before(upgradeHandler))
        return upgraded
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .websocket:
                // The session handler owns the connection from here; no task waits on it.
                return
            case .notUpgraded(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let reason):
                await refuse(http, reason: reason, logger: logger)
            }
        } catch {
            logger.debug("Connection ended during the handshake: \(error)")
        }
    }

    private func refuse(_ channel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, reason: GatewayWebSocketUpgrader.Refusal, logger: Logger) async {
        let (status, error): (HTTPResponse.Status, GatewayError) =
            switch reason {
            case .wrongPath: (.notFound, .notFound("WebSocket connections are served at \(GatewayWebSocketUpgrader.path)."))
            case .draining: (.serviceUnavailable, .draining)
            case .badHandshake:
                (.badRequest, .badRequest(
                    "This is not a WebSocket handshake as RFC 6455 section 4.2.1 has it: an HTTP/1.1 GET with one Host, "
                        + "Upgrade: websocket, Connection: Upgrade, one Sec-WebSocket-Key of 16 bytes in base64 and Sec-WebSocket-Version: 13."))
            case .unsupportedVersion(let version):
                (.upgradeRequired, .badRequest("This server speaks WebSocket version 13 (RFC 6455), not \(version)."))
            case .limited(.tooMany(let maximum)):
                (.tooManyRequests, GatewayError(.rateLimited, "This address has \(maximum) connections open already; close some first.", retryAfterMilliseconds: 1000))
            case .limited(.tooFast(let wait)):
                (.tooManyRequests, GatewayError(.rateLimited, "This address opens connections too fast; try again in \(wait) ms.", retryAfterMilliseconds: wait))
            case .forbiddenOrigin(let origin):
                (.forbidden, .forbidden(
                    "Pages from \(origin) may not open WebSocket connections here; the operator can add it to connections.allowed_origins."))
            }
        let body = ByteBuffer(bytes: HTTPErrorBody.encode(error))
        do {
            try await channel.executeThenClose { _, outbound in
                var head = HTTPResponse(
                    status: status,
                    headerFields: [.connection: "close", .contentType: "application/json", .contentLength: "\(body.readableBytes)"])
                if let wait = error.retryAfterMilliseconds { head.headerFields[.retryAfter] = "\((wait + 999) / 1000)" }
                // RFC 6455 section 4.4: the versions the server speaks, so that the client can retry with one.
                if case .unsupportedVersion = reason {
                    head.headerFields[.secWebSocketVersion] = "13"
                    // RFC 9110 section 15.5.22: a 426 names the protocol to upgrade to.
                    head.headerFields[.upgrade] = "websocket"
                }
                try await outbound.write(contentsOf: [.head(head), .body(body), .end(nil)])
            }
        } catch {
            logger.trace("Could not answer a refused upgrade: \(error)")
        }
    }
}

/// `{"error":{"code":"…","message":"…"}}` (PROTOCOL.md section 7).
enum HTTPErrorBody {
    static func encode(_ error: GatewayError) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.field("code", error.code.rawValue)
        writer.field("message", error.message)
        if let retryAfter = error.retryAfterMilliseconds { writer.field("retry_after_ms", retryAfter) }
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }
}
