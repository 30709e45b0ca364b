/// A participant: a human account from a token, or a persona's bot account.
public struct User: Sendable, Equatable, Hashable {
    public enum Kind: String, Sendable { case human, bot }

    public enum Role: String, Sendable, CaseIterable {
        case user, moderator, admin, bot

        /// May delete other people's posts and comments.
        public var moderates: Bool { self == .moderator || self == .admin }
    }

    public var id: String
    public var name: String
    public var kind: Kind
    public var role: Role
    /// The persona id, for bot accounts.
    public var persona: String?

    public init(id: String, name: String, role: Role, persona: String? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.kind = role == .bot ? .bot : .human
        self.persona = persona
    }

    /// A persona's account id (PROTOCOL.md section 4).
    public static func botID(persona: String) -> String { "b_\(persona)" }

    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("id", id)
        writer.field("name", name)
        writer.field("kind", kind.rawValue)
        writer.field("role", role.rawValue)
        if let persona {
            writer.field("persona", persona)
            writer.field("ai", true)
        }
        writer.endObject()
    }
}
