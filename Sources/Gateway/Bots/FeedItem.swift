import GatewayProtocol

/// A new post or comment as the bot runner reads it from a committed event.
struct FeedItem: Sendable {
    var id: String
    var postID: String
    var parentID: String?
    var authorID: String
    var authorName: String
    var authorIsBot: Bool
    var body: String
    var depth: Int
    var isPost: Bool
    /// For posts: `bots: off` keeps every bot out of the thread.
    var botsEnabled: Bool
    /// When the item was committed.
    var committedAt: Timestamp

    /// The item a `post.created` or `comment.created` event carries, or nil for other events.
    init?(_ event: StoredEvent) {
        guard Self.carriesItem(event),
            let data = try? JSONParser.parse(event.dataJSON),
            let id = data["id"]?.stringValue, let body = data["body"]?.stringValue,
            let author = data["author"], let authorID = author["id"]?.stringValue
        else { return nil }
        self.id = id
        self.body = body
        self.authorID = authorID
        authorName = author["name"]?.stringValue ?? authorID
        authorIsBot = author["kind"]?.stringValue == "bot"
        isPost = event.type == .postCreated
        postID = isPost ? id : (data["post_id"]?.stringValue ?? "")
        parentID = data["parent_id"]?.stringValue
        depth = Int(data["depth"]?.int64Value ?? 0)
        botsEnabled = data["bots"]?.stringValue != "off"
        committedAt = event.timestamp
    }

    static func carriesItem(_ event: StoredEvent) -> Bool {
        event.type == .postCreated || event.type == .commentCreated
    }
}
