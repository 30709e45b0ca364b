import Foundation
import Hummingbird
import NIOCore
import Persona

/// The name-only login the page uses on a machine of one's own: it exists only in development
/// mode (`server.mode`), and gives a token for role `user`, never more.
enum DevLogin {
    static func add(to router: Router<BasicRequestContext>, runtime: GatewayRuntime) {
        guard runtime.configuration.mode == .development else { return }
        router.post("/v1/dev/login") { request, _ in
            let fields = try await HTTPRoutes.jsonObject(request, runtime)
            guard case .string(let raw)? = fields["name"] else {
                throw GatewayError.badRequest("Send {\"name\": \"…\"}: the name to show next to your posts.")
            }
            let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...32).contains(name.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw GatewayError.badRequest("A name is 1 to 32 characters, without control characters.")
            }
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
    /// (`Alice` → `u_alice`), others by a stable hash (`小明` → `u_…`).
    static func userID(for name: String) -> String {
        let slug = String(name.lowercased().unicodeScalars.filter { ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) }
            .map(Character.init))
        if !slug.isEmpty, slug.count == name.count { return "u_\(slug)" }
        return "u_" + String(SeededRandom.hash(name), radix: 36)
    }
}
