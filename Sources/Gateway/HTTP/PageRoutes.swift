import Foundation
import HTTPTypes
import Logging
import Hummingbird
import NIOCore
import Persona

/// The live feed page at `/` (files in `Resources/web`, no build step, nothing from a CDN) and,
/// in development mode only, the name-only login it uses on a machine of one's own.
enum PageRoutes {
    static let files: [(name: String, type: String)] = [("index.html", "text/html; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8"),
                                                        ("style.css", "text/css; charset=utf-8")]

    static func add(to router: Router<BasicRequestContext>, runtime: GatewayRuntime) {
        var loaded: [String: (bytes: [UInt8], type: String)] = [:]
        for file in files {
            guard let bytes = GatewayResources.load(file.name, subdirectory: "web") else {
                runtime.logger.warning(
                    "The page file \(file.name) is not in \(GatewayResources.folderName) next to the executable; / answers 404 until it is installed.")
                continue
            }
            loaded[file.name] = (bytes, file.type)
        }
        let page = loaded
        @Sendable func serve(_ name: String) -> Response {
            guard let file = page[name] else {
                return HTTPRoutes.json(.notFound, Array(#"{"error":{"code":"not_found","message":"This build has no web page."}}"#.utf8))
            }
            // Small files, revalidated each time, so an upgrade is seen at once.
            return Response(status: .ok, headers: [.contentType: file.type, .cacheControl: "no-cache"],
                            body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
        router.get("/") { _, _ in serve("index.html") }
        for file in files where file.name != "index.html" {
            router.get("/\(file.name)") { _, _ in serve(file.name) }
        }

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
