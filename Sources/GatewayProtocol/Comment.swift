/// A comment in a thread, as clients see it.
public struct Comment: Sendable, Equatable {
    /// The implicit AI label a bot's comment (and a bot's post) carries for life (PROTOCOL.md section 4).
    public struct Generated: Sendable, Equatable {
        public var persona: String
        public var engine: String
        public var model: String

        public init(persona: String, engine: String, model: String) {
            self.persona = persona
            self.engine = engine
            self.model = model
        }

        public func write(to writer: inout JSONWriter) {
            writer.beginObject()
            writer.field("persona", persona)
            writer.field("engine", engine)
            writer.field("model", model)
            writer.endObject()
        }
    }

    public static func == (lhs: Comment, rhs: Comment) -> Bool {
        lhs.id == rhs.id && lhs.postID == rhs.postID && lhs.parentID == rhs.parentID && lhs.author == rhs.author && lhs.body == rhs.body
            && lhs.createdAt == rhs.createdAt && lhs.depth == rhs.depth && lhs.generated == rhs.generated && lhs.mine == rhs.mine
            && lhs.reactions.map(\.emoji) == rhs.reactions.map(\.emoji) && lhs.reactions.map(\.count) == rhs.reactions.map(\.count)
    }

    public var id: String
    public var postID: String
    public var parentID: String?
    public var author: User
    public var body: String
    public var createdAt: Timestamp
    public var depth: Int
    public var generated: Generated?
    /// Emoji to count, in the order they were first used.
    public var reactions: [(emoji: String, count: Int)] = []
    /// The reactions the reader has on, in a snapshot read with a token (PROTOCOL.md section 7).
    public var mine: [String]?

    public init(id: String, postID: String, parentID: String?, author: User, body: String, createdAt: Timestamp,
                depth: Int, generated: Generated? = nil) {
        self.id = id
        self.postID = postID
        self.parentID = parentID
        self.author = author
        self.body = body
        self.createdAt = createdAt
        self.depth = depth
        self.generated = generated
    }

    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("id", id)
        writer.field("post_id", postID)
        writer.field("parent_id", parentID)
        writer.key("author")
        author.write(to: &writer)
        writer.field("body", body)
        writer.field("created_at", createdAt)
        writer.field("depth", depth)
        writer.reactions(reactions)
        if let generated {
            writer.key("generated")
            generated.write(to: &writer)
        }
        writer.mine(mine)
        writer.endObject()
    }
}
