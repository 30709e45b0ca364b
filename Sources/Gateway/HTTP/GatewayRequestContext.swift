import Hummingbird
import HTTPTypes
import NIOCore
import GatewayProtocol

/// The request context of every route: Hummingbird's basic one plus the peer's address, which
/// the per-address limits behind a proxy and the development login need.
struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    /// The user of the request's token, once `TokenCheck` verified it; nil without a token.
    var identity: User?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

extension GatewayRequestContext {
    /// The client behind the request, after trusted proxies (`ClientAddress`).
    func clientAddress(of request: Request, limiter: ConnectionLimiter) -> String? {
        limiter.clientAddress(peer: remoteAddress?.ipAddress) { name in
            HTTPField.Name(name).map { request.headers[values: $0] } ?? []
        }
    }
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

/// Verifies the bearer token of every request that sends one, whatever the route: a token that
/// is present but invalid or expired is always 401 (PROTOCOL.md section 7), and routes read the
/// verified user from the context instead of verifying again.
struct TokenCheck: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let tokens: TokenAuthority

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.lowercased().hasPrefix("bearer ") else {
            throw GatewayError(.unauthorized, "The Authorization header must be \"Bearer <token>\".")
        }
        var context = context
        do {
            // RFC 9110 allows one or more spaces between the scheme and the token.
            let token = header.dropFirst("bearer ".count).drop { $0 == " " }
            context.identity = try await tokens.verify(String(token)).user
        } catch {
            throw GatewayError(.unauthorized, error.description)
        }
        return try await next(request, context)
    }
}
