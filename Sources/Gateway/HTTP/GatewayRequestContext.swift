import Hummingbird
import HTTPTypes
import NIOCore

/// The request context of every route: Hummingbird's basic one plus the peer's address, which
/// the per-address limits behind a proxy and the development login need.
struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

extension GatewayRequestContext {
    /// The client behind the request, after trusted proxies (`ClientAddress`).
    func clientAddress(of request: Request, limiter: ConnectionLimiter) -> String? {
        limiter.clientAddress(
            peer: remoteAddress?.ipAddress, forwarded: request.headers[values: .forwarded],
            forwardedFor: request.headers[values: .xForwardedFor])
    }
}

extension HTTPField.Name {
    static let forwarded = Self("Forwarded")!
    static let xForwardedFor = Self("X-Forwarded-For")!
}

/// Limits the request rate of each client behind a trusted proxy: the proxy's connections are
/// not limited (they carry everyone), so its clients are, by the address it forwards for.
struct ProxiedClientLimit: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let limiter: ConnectionLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let peer = context.remoteAddress?.ipAddress
        if limiter.isTrustedProxy(peer), let client = context.clientAddress(of: request, limiter: limiter), client != peer,
            case .tooFast(let wait)? = limiter.admitRequest(client)
        {
            throw GatewayError(.rateLimited, "Too many requests from this address; try again in \(wait) ms.", retryAfterMilliseconds: wait)
        }
        return try await next(request, context)
    }
}
