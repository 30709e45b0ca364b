import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// The WebSocket handshake (RFC 6455 section 4.2) for `/v1/ws`.
///
/// NIO's own upgrader installs its frame encoder and decoder, handlers of their own that frame
/// each write anew; this one installs only the session (or the conformance echo), which parses
/// frames itself (`WebSocketFrameParser`) and writes finished frame bytes, so that one encoded
/// event goes to every subscriber unchanged and a connection's pipeline is one handler.
struct GatewayWebSocketUpgrader: NIOTypedHTTPServerProtocolUpgrader {
    typealias UpgradeResult = GatewayChannel.UpgradeResult

    /// Why an upgrade request was refused, for the HTTP answer.
    enum Refusal: Error {
        case wrongPath
        case draining
        case badHandshake
        /// A `Sec-WebSocket-Version` other than 13, the one this server speaks.
        case unsupportedVersion(String)
        case forbiddenOrigin(String)
        case limited(ConnectionLimiter.Refusal)
    }

    let supportedProtocol = "websocket"
    let requiredUpgradeHeaders: [String] = []
    let runtime: GatewayRuntime
    let onRefusal: @Sendable (Refusal) -> Void

    static let path = "/v1/ws"
    private static let magicGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders)
        -> EventLoopFuture<HTTPHeaders>
    {
        let agreement: Agreement
        switch Self.judge(HandshakeRequest(upgradeRequest), runtime: runtime) {
        case .failure(let refusal): return refuse(refusal, on: channel)
        case .success(let agreed): agreement = agreed
        }

        let limiter = runtime.connectionLimiter
        let peer = channel.remoteAddress?.ipAddress
        if limiter.isTrustedProxy(peer), let client = limiter.clientAddress(peer: peer, headerValues: { upgradeRequest.headers[$0] }),
            client != peer
        {
            // The connection guard let the proxy through; its client is limited here.
            if let refusal = limiter.admit(client) { return refuse(.limited(refusal), on: channel) }
            channel.closeFuture.whenComplete { _ in limiter.release(client) }
        }

        var headers = initialResponseHeaders
        for (name, value) in agreement.responseHeaders { headers.replaceOrAdd(name: name, value: value) }
        return channel.eventLoop.makeSucceededFuture(headers)
    }

    /// What a handshake the server accepts agrees: `Sec-WebSocket-Accept` (RFC 6455 section
    /// 4.2.2) and the extensions taken from the client's offers.
    struct Agreement {
        let accept: String
        let extensions: String?

        /// The headers of the `101`, in order, for both paths (the fast path writes them itself).
        var responseHeaders: [(name: String, value: String)] {
            [("Upgrade", "websocket"), ("Connection", "upgrade"), ("Sec-WebSocket-Accept", accept)]
                + (extensions.map { [("Sec-WebSocket-Extensions", $0)] } ?? [])
        }
    }

    /// The rules both handshake paths (this upgrader and `HandshakeFastPath`) judge a request by:
    /// the path, the drain, RFC 6455 section 4.2.1's request (an HTTP/1.1 GET with one Host, an
    /// Upgrade naming websocket, a Connection naming upgrade, one key of 16 bytes, version 13),
    /// and the page's origin. A trusted proxy's client is limited by the caller.
    static func judge(_ request: HandshakeRequest, runtime: GatewayRuntime) -> Result<Agreement, Refusal> {
        guard request.path == Self.path else { return .failure(.wrongPath) }
        guard !runtime.isDraining else { return .failure(.draining) }
        guard request.method == "GET", request.isHTTP11OrLater, request.host.count == 1,
            HandshakeRequest.lists("websocket", in: request.upgrade), HandshakeRequest.lists("upgrade", in: request.connection),
            request.key.count == 1, let key = request.key.first, Data(base64Encoded: key)?.count == 16,
            request.version.count == 1, let version = request.version.first
        else { return .failure(.badHandshake) }
        guard version == "13" else { return .failure(.unsupportedVersion(version)) }
        if let origin = request.origin.first, !originAllowed(origin, host: request.host.first, allowed: runtime.configuration.allowedOrigins) {
            return .failure(.forbiddenOrigin(origin))
        }
        let accept = Data(Insecure.SHA1.hash(data: Data((key + magicGUID).utf8))).base64EncodedString()
        return .success(Agreement(accept: accept, extensions: negotiatedExtensions(offers: request.extensionOffers)))
    }

    /// A browser's page may connect when it comes from this server itself (its Origin names the
    /// Host it asks) or from an origin the operator allowed.
    static func originAllowed(_ origin: String, host: String?, allowed: [String]) -> Bool {
        let origin = origin.lowercased()
        if allowed.contains("*") || allowed.contains(where: { $0.lowercased() == origin }) { return true }
        guard let host = host?.lowercased(), let separator = origin.range(of: "://") else { return false }
        return origin[separator.upperBound...] == host
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        channel.eventLoop.makeCompletedFuture {
            channel.pipeline.fireUserInboundEventTriggered(ConnectionGuard.HandshakeCompleted())
            try Self.installSession(on: channel, compressionNegotiated: Self.negotiatedExtensions(upgradeRequest) != nil, runtime: runtime)
            return .websocket
        }
    }

    /// Puts the session (or the conformance echo) at the end of an upgraded connection's pipeline.
    static func installSession(on channel: any Channel, compressionNegotiated: Bool, runtime: GatewayRuntime) throws {
        let configuration = runtime.configuration
        // A single frame can never be larger than a whole message; a compressed one gets a
        // margin, and the inflated size is checked against the exact limit.
        let frameLimit = configuration.maxMessageBytes + 1024
        if configuration.conformanceEcho {
            try channel.pipeline.syncOperations.addHandler(ConformanceEchoHandler(
                maxMessageBytes: configuration.maxMessageBytes, maxFrameSize: frameLimit, compressionNegotiated: compressionNegotiated,
                closeGracePeriod: configuration.closeGracePeriod, outboundLimit: configuration.outboundQueueBytes, logger: runtime.logger))
        } else {
            try channel.pipeline.syncOperations.addHandler(WebSocketSession(runtime: runtime, compressionNegotiated: compressionNegotiated, maxFrameSize: frameLimit))
        }
        _ = channel.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: configuration.outboundQueueBytes / 2, high: configuration.outboundQueueBytes))
        // Hummingbird lets an HTTP peer half-close. A WebSocket peer whose side ended (FIN
        // without a close frame: its process exited, it closed its socket) sends nothing more,
        // heartbeats included, so NIO is to close the connection at once rather than hold the
        // session, its subscriptions and its descriptor until the heartbeat deadline.
        _ = channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: false)
    }

    private static func negotiatedExtensions(_ request: HTTPRequestHead) -> String? {
        negotiatedExtensions(offers: request.headers["Sec-WebSocket-Extensions"])
    }

    /// The extensions accepted from every `Sec-WebSocket-Extensions` header of a request.
    static func negotiatedExtensions(offers: [String]) -> String? {
        let offers = offers.joined(separator: ", ")
        return offers.isEmpty ? nil : PerMessageDeflate.negotiate(offers: offers)
    }

    private func refuse(_ refusal: Refusal, on channel: any Channel) -> EventLoopFuture<HTTPHeaders> {
        onRefusal(refusal)
        return channel.eventLoop.makeFailedFuture(refusal)
    }
}
