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
    /// The reactions the reader has on, in a snapshot read with a token (PROTOCOL.md section 7).
    public var mine: [String]?

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
            && lhs.commentCount == rhs.commentCount && lhs.botsEnabled == rhs.botsEnabled && lhs.generated == rhs.generated && lhs.mine == rhs.mine
            && lhs.reactions.map(\.emoji) == rhs.reactions.map(\.emoji) && lhs.reactions.map(\.count) == rhs.reactions.map(\.count)
    }

    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("id", id)
        writer.key("author")
        author.write(to: &writer)
        writer.field("body", body)
        writer.field("created_at", createdAt)
        writer.field("comment_count", commentCount)
        writer.reactions(reactions)
        writer.field("bots", botsEnabled ? "on" : "off")
        if let generated {
            writer.key("generated")
            generated.write(to: &writer)
        }
        writer.mine(mine)
        writer.endObject()
    }
}

extension JSONWriter {
    /// `"reactions":{"👍":2,…}`, in the order the emoji were first used.
    mutating func reactions(_ reactions: [(emoji: String, count: Int)]) {
        key("reactions")
        beginObject()
        for reaction in reactions { field(reaction.emoji, reaction.count) }
        endObject()
    }

    /// `"mine":["👍",…]` when the object was read for someone.
    mutating func mine(_ mine: [String]?) {
        guard let mine else { return }
        key("mine")
        beginArray()
        for emoji in mine {
            separator()
            string(emoji)
        }
        endArray()
    }
}
