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

    public var id: String
    public var postID: String
    public var parentID: String?
    public var author: User
    public var body: String
    public var createdAt: Timestamp
    public var depth: Int
    public var generated: Generated?

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
        writer.field("created_at", createdAt.iso8601)
        writer.field("depth", depth)
        if let generated {
            writer.key("generated")
            generated.write(to: &writer)
        }
        writer.endObject()
    }
}
