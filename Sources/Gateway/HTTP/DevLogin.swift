import Foundation
import Hummingbird
import NIOCore
import Persona
import GatewayProtocol

/// The name-only login the page uses on a machine of one's own: it exists only in development
/// mode (`server.mode`), answers only clients on this machine (loopback, after trusted proxies),
/// a few logins a minute per address, and gives a token for role `user`, never more, for an
/// account of its own namespace (`dev_alice`), so that a name typed here is never a real user.
enum DevLogin {
    /// Logins per address: enough for a person trying names, not for minting accounts.
    static let rate = Rate(count: 10, period: .seconds(60), burst: 10)

    static func add(to router: Router<GatewayRequestContext>, runtime: GatewayRuntime) {
        guard runtime.configuration.mode == .development else { return }
        let limiter = KeyedRateLimiter<String>(capacity: 10_000, clock: runtime.configuration.clock)
        router.post("/v1/dev/login") { request, context in
            let client = context.clientAddress(of: request, limiter: runtime.connectionLimiter) ?? ""
            guard EngineAccess.isLoopback(client) else {
                throw GatewayError.forbidden("The development login answers only this machine (loopback); use a token from `gatewayd token` elsewhere.")
            }
            if case .deny(let wait) = limiter.take(client, rate: rate) {
                let milliseconds = GCRA.Decision.deny(retryAfterNanoseconds: wait).retryAfterMilliseconds
                throw GatewayError(.rateLimited, "Too many logins from this address; try again in \(milliseconds) ms.", retryAfterMilliseconds: milliseconds)
            }
            let fields = try await HTTPRoutes.jsonObject(request, runtime)
            guard case .string(let raw)? = fields["name"] else {
                throw GatewayError.badRequest("Send {\"name\": \"…\"}: the name to show next to your posts.")
            }
            let name = try TextRules.normalizeName(raw)
            let user = User(id: userID(for: name), name: name, role: .user)
            let token = try await runtime.tokens.sign(userID: user.id, name: user.name, role: .user, lifetime: .seconds(7 * 86_400))
            var writer = JSONWriter(capacity: 512)
            writer.beginObject()
            writer.field("token", token)
            writer.key("user")
            user.write(to: &writer)
            writer.endObject()
            return HTTPRoutes.json(.ok, writer.bytes)
        }
    }

    /// The same name always gives the same account: ASCII names read as themselves
    /// (`Alice` → `dev_alice`), others by a stable hash (`小明` → `dev_…`).
    static func userID(for name: String) -> String {
        let slug = String(name.lowercased().unicodeScalars.filter { ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) }
            .map(Character.init))
        if !slug.isEmpty, slug.count == name.count { return "dev_\(slug)" }
        return "dev_" + String(SeededRandom.hash(name), radix: 36)
    }
}
