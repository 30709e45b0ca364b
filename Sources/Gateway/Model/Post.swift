/// A post in the feed, as clients see it.
public struct Post: Sendable, Equatable {
    public var id: String
    public var author: User
    public var body: String
    public var createdAt: Timestamp
    public var commentCount: Int
    /// Emoji to count, in the order they were first used.
    public var reactions: [(emoji: String, count: Int)]
    public var botsEnabled: Bool
    /// The implicit AI label of a bot's post, the same as on its comments.
    public var generated: Comment.Generated?

    public init(id: String, author: User, body: String, createdAt: Timestamp, commentCount: Int = 0,
                reactions: [(emoji: String, count: Int)] = [], botsEnabled: Bool = true, generated: Comment.Generated? = nil) {
        self.generated = generated
        self.id = id
        self.author = author
        self.body = body
        self.createdAt = createdAt
        self.commentCount = commentCount
        self.reactions = reactions
        self.botsEnabled = botsEnabled
    }

    public static func == (lhs: Post, rhs: Post) -> Bool {
        lhs.id == rhs.id && lhs.author == rhs.author && lhs.body == rhs.body && lhs.createdAt == rhs.createdAt
            && lhs.commentCount == rhs.commentCount && lhs.botsEnabled == rhs.botsEnabled && lhs.generated == rhs.generated
            && lhs.reactions.map(\.emoji) == rhs.reactions.map(\.emoji) && lhs.reactions.map(\.count) == rhs.reactions.map(\.count)
    }

    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("id", id)
        writer.key("author")
        author.write(to: &writer)
        writer.field("body", body)
        writer.field("created_at", createdAt.iso8601)
        writer.field("comment_count", commentCount)
        writer.key("reactions")
        writer.beginObject()
        for reaction in reactions { writer.field(reaction.emoji, reaction.count) }
        writer.endObject()
        writer.field("bots", botsEnabled ? "on" : "off")
        if let generated {
            writer.key("generated")
            generated.write(to: &writer)
        }
        writer.endObject()
    }
}
