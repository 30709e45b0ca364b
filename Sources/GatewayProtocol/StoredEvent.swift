/// One persisted event of a stream (PROTOCOL.md section 4).
public struct StoredEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case postCreated = "post.created"
        case postDeleted = "post.deleted"
        case commentCreated = "comment.created"
        case commentDeleted = "comment.deleted"
        case reactionChanged = "reaction.changed"
        case mention
        case reply
    }

    public var stream: String
    public var offset: Int64
    public var type: Kind
    public var timestamp: Timestamp
    /// The event's `data` object, encoded once when it was written.
    public var dataJSON: String

    public init(stream: String, offset: Int64, type: Kind, timestamp: Timestamp, dataJSON: String) {
        self.stream = stream
        self.offset = offset
        self.type = type
        self.timestamp = timestamp
        self.dataJSON = dataJSON
    }
}

/// Where a stream stands: its latest offset and its epoch.
public struct StreamPosition: Sendable, Equatable {
    public var offset: Int64
    public var epoch: String

    public init(offset: Int64, epoch: String) {
        self.offset = offset
        self.epoch = epoch
    }
}
