import GatewayProtocol

/// What a write changes, decided by `WriteRules` before anything is changed: rows to insert or
/// change, events to append (their offsets are the store's to give), the ack, and the `client_id`
/// record. Each store applies a plan in its own SQL and nothing else.
struct WritePlan: Sendable {
    enum ItemKind: Sendable, Equatable {
        case post
        case comment
    }

    enum Change: Sendable, Equatable {
        /// The user's row (name, role, persona), which mentions and the admin pages read.
        case saveUser(User)
        case insertPost(Post)
        case insertComment(Comment)
        case countComments(postID: String, by: Int)
        /// The author's reaction turned on or off (only when that changes it).
        case setReaction(target: String, emoji: String, on: Bool)
        case setMute(bot: String, scope: MuteScope, on: Bool)
    }

    struct Event: Sendable, Equatable {
        var type: StoredEvent.Kind
        var stream: String
        var dataJSON: String
    }

    /// The ack's `result`.
    enum Ack: Sendable, Equatable {
        case fixed(String)
        /// A new post or comment: `prefix` then the offset of the plan's first event (see
        /// `WriteRecords.createdResultPrefix`).
        case created(prefix: String)
    }

    let author: User
    let now: Timestamp
    /// An item to mark deleted and remove the body of from every stored copy (its row, the
    /// event that created it, its author's `client_id` record, moderation flags quoting it), before
    /// the changes. It takes several statements, which the changes do not.
    var erasure: (target: String, kind: ItemKind, postID: String)?
    var changes: [Change] = []
    var events: [Event] = []
    var ack = Ack.fixed("{}")
    /// The `client_id` to record with the ack, and what it was used for.
    var record: (clientID: String, fingerprint: String)?
    var post: Post?
    var comment: Comment?

    init(author: User, now: Timestamp) {
        self.author = author
        self.now = now
    }

    mutating func append(_ type: StoredEvent.Kind, to stream: String, json: String) {
        events.append(Event(type: type, stream: stream, dataJSON: json))
    }

    mutating func notify(_ mentioned: [String], postID: String, commentID: String?) {
        for userID in mentioned {
            append(.mention, to: "user:\(userID)", json: WriteRecords.notice(postID: postID, commentID: commentID, by: author))
        }
    }

    /// The ack's `result` once the events have their offsets (in the plan's order).
    func result(offsets: [Int64]) -> String {
        switch ack {
        case .fixed(let result): result
        case .created(let prefix): WriteRecords.completed(prefix, offset: offsets.first ?? 0)
        }
    }

    /// The stored events and the receipt, once the store has given the events `offsets`.
    func applied(offsets: [Int64]) -> (receipt: WriteReceipt, events: [StoredEvent]) {
        let stored = zip(events, offsets).map { event, offset in
            StoredEvent(stream: event.stream, offset: offset, type: event.type, timestamp: now, dataJSON: event.dataJSON)
        }
        return (WriteReceipt(resultJSON: result(offsets: offsets), post: post, comment: comment), stored)
    }
}
