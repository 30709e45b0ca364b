import NIOCore
public import Persona
import Synchronization
import GatewayProtocol

/// Limits per client address, before any byte is parsed: at most `maximumPerAddress` open
/// connections and a connection rate (GCRA) per address; and a deadline for the first request
/// or WebSocket handshake, so connections that never finish their headers (slowloris) do not
/// pile up. Connections from `trustedProxies` are not limited here: the clients behind them are,
/// by the address the proxy forwards for (`ClientAddress`), at the WebSocket upgrade (open
/// connections and rate) and on each HTTP request (rate). Connections from this machine
/// (loopback) are not limited in development mode unless `loopback` says so: there they are
/// the developer's own tests and load tools. In production they are, since a local proxy missing
/// from `trustedProxies` would otherwise let every client through unlimited.
public final class ConnectionLimiter: Sendable {
    public struct Limits: Sendable {
        /// Open connections per address; 0 for no limit.
        public var maximumPerAddress = 1000
        /// New connections per address.
        public var rate = Rate(count: 50, period: .seconds(1), burst: 200)
        /// Reverse proxies and load balancers, whose forwarding header names the client.
        public var trustedProxies: [String] = []
        /// The one header a trusted proxy names the client in: `X-Forwarded-For` or `Forwarded`.
        public var forwardedHeader = "X-Forwarded-For"
        /// When connections from the loopback network have the per-address limits too.
        public var loopback = Loopback.production

        public init() {}
    }

    public enum Loopback: String, Sendable, CaseIterable {
        case production, always, never
    }

    public enum Refusal: Sendable, Equatable {
        case tooMany(Int)
        case tooFast(retryAfterMilliseconds: Int64)
    }

    private struct Entry {
        var open = 0
        var rate: GCRA
    }

    private let limits: Limits
    private let limitsLoopback: Bool
    private let entries = Mutex([String: Entry]())
    private let clock: GatewayClock

    public init(limits: Limits, production: Bool, clock: GatewayClock) {
        self.limits = limits
        limitsLoopback = switch limits.loopback {
        case .production: production
        case .always: true
        case .never: false
        }
        self.clock = clock
    }

    /// Whether a connection from `peer` is held to the per-address limits itself: the socket's own
    /// address, never one a proxy forwards (a forwarded `::1` is no local client).
    func limitsPeer(_ peer: String) -> Bool {
        limitsLoopback || !EngineAccess.isLoopback(peer)
    }

    /// Admits a new connection from `address`, or says why not. An admitted one must be released.
    func admit(_ address: String) -> Refusal? {
        guard !limits.trustedProxies.contains(address) else { return nil }
        let time = clock.nanoseconds()
        return entries.withLock { entries in
            var entry = entries[address] ?? Entry(rate: GCRA(rate: limits.rate))
            if limits.maximumPerAddress > 0, entry.open >= limits.maximumPerAddress { return .tooMany(limits.maximumPerAddress) }
            if case .deny(let wait) = entry.rate.take(now: time) {
                entries[address] = entry
                return .tooFast(retryAfterMilliseconds: max(1, wait / 1_000_000))
            }
            entry.open += 1
            entries[address] = entry
            return nil
        }
    }

    /// The client a connection or request from `peer` stands for, after trusted proxies, given
    /// the values of each header by name.
    func clientAddress(peer: String?, headerValues: (String) -> [String]) -> String? {
        ClientAddress.resolve(
            peer: peer, header: limits.forwardedHeader, values: headerValues(limits.forwardedHeader), trustedProxies: limits.trustedProxies)
    }

    /// Whether `peer` is a trusted proxy, whose clients are limited one by one behind it.
    func isTrustedProxy(_ peer: String?) -> Bool {
        peer.map(limits.trustedProxies.contains) ?? false
    }

    /// Takes one request from a proxied client's connection rate (its requests share the proxy's
    /// connections, so the rate is what limits it).
    func admitRequest(_ address: String) -> Refusal? {
        guard !limits.trustedProxies.contains(address) else { return nil }
        let time = clock.nanoseconds()
        return entries.withLock { entries in
            var entry = entries[address] ?? Entry(rate: GCRA(rate: limits.rate))
            defer { entries[address] = entry.open <= 0 && entry.rate.isIdle(now: time) ? nil : entry }
            if case .deny(let wait) = entry.rate.take(now: time) { return .tooFast(retryAfterMilliseconds: max(1, wait / 1_000_000)) }
            return nil
        }
    }

    func release(_ address: String) {
        guard !limits.trustedProxies.contains(address) else { return }
        let time = clock.nanoseconds()
        entries.withLock { entries in
            guard var entry = entries[address] else { return }
            entry.open -= 1
            // An address with nothing open and an idle rate limiter is the same as a new one.
            if entry.open <= 0, entry.rate.isIdle(now: time) { entries[address] = nil } else { entries[address] = entry }
        }
    }
}

/// The first handler of every connection: applies the `ConnectionLimiter` and the handshake
/// deadline. Once the connection has been upgraded or its first HTTP request has been read
/// (`HandshakeCompleted`), it leaves the pipeline and the close future gives the address back.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limiter: ConnectionLimiter
    private let handshakeTimeout: TimeAmount
    /// The address admitted and counted until the connection ends; nil for one not limited.
    private var address: String?
    private var refused = false
    private var deadline: Scheduled<Void>?

    init(limiter: ConnectionLimiter, handshakeTimeout: Duration) {
        self.limiter = limiter
        self.handshakeTimeout = .nanoseconds(handshakeTimeout.nanoseconds)
    }

    func channelActive(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        let limited = limiter.limitsPeer(address)
        if limited, let refusal = limiter.admit(address) {
            let (status, message, retry): (String, String, Int64?) =
                switch refusal {
                case .tooMany(let maximum): ("429 Too Many Requests", "This address has \(maximum) connections open already; close some first.", nil)
                case .tooFast(let wait): ("429 Too Many Requests", "This address opens connections too fast; try again in \(wait) ms.", wait)
                }
            let body = HTTPErrorBody.encode(GatewayError(.rateLimited, message, retryAfterMilliseconds: retry ?? 1000))
            var head = "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
            if let retry { head += "Retry-After: \((retry + 999) / 1000)\r\n" }
            var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + 2 + body.count)
            buffer.writeString(head + "\r\n")
            buffer.writeBytes(body)
            refused = true
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        if limited { self.address = address }
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: handshakeTimeout) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Nothing from a refused connection goes further.
        guard !refused else { return }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is HandshakeCompleted {
            deadline?.cancel()
            deadline = nil
            // From here the guard only has to give the address back when the connection ends:
            // the close future does that, and every later read skips this handler.
            if let address {
                let limiter = limiter
                self.address = nil
                context.channel.closeFuture.whenComplete { _ in limiter.release(address) }
            }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        if let address { limiter.release(address) }
        address = nil
        context.fireChannelInactive()
    }

    /// Sent through the pipeline when the connection was upgraded or read its first request.
    struct HandshakeCompleted {}
}
