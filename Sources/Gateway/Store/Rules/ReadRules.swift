import Persona
import GatewayProtocol

/// The read rules both stores share, in one copy: when a subscription recovers (PROTOCOL.md
/// section 5), the chain a bot reads before it answers, and what retention lets go. The stores
/// read the rows; these decide what the rows mean.
enum ReadRules {
    /// How a subscription starts: where the stream stands, whether it recovered, and the
    /// offset after which to replay (nil: nothing to replay).
    struct Start: Equatable {
        var position: StreamPosition
        var recovered: Bool
        var replayAfter: Int64?
    }

    /// A subscription with `since` recovers only in this epoch, at most at the stream's `latest`
    /// offset, and only while every event after `since` is kept (the oldest kept is at most
    /// `since + 1`); otherwise it starts from now, not recovered.
    static func start(since: (offset: Int64, epoch: String)?, epoch: String, latest: Int64, oldestKept: Int64?) -> Start {
        let position = StreamPosition(offset: latest, epoch: epoch)
        guard let since, since.epoch == epoch, since.offset <= latest else { return Start(position: position, recovered: false) }
        if since.offset == latest { return Start(position: position, recovered: true) }
        guard let oldestKept, oldestKept <= since.offset + 1 else { return Start(position: position, recovered: false) }
        return Start(position: position, recovered: true, replayAfter: since.offset)
    }

    /// The most comments up a parent chain a bot reads: deeper than any thread a person follows.
    static let longestChain = 1000

    /// What a bot reads before answering: `chain` is the comment it answers and its parents, in
    /// that order, as far as they are still in `post`'s thread; the post closes the chain.
    static func context(post: Post, chain: [Comment]) -> ThreadContext {
        let links = chain.map { ThreadContext.Link(author: $0.author, body: $0.body) } + [ThreadContext.Link(author: post.author, body: post.body)]
        return ThreadContext(post: post, comment: chain.first, chain: links)
    }
}

/// How long a store keeps what it keeps, and how much one commit takes.
public struct StoreConfiguration: Sendable {
    /// Most requests applied in one transaction, which bounds how long one commit takes.
    public var maximumBatch = 256
    /// How long committed events are kept: at least this many per stream …
    public var retainedEventsPerStream: Int64 = 1000
    /// … or this long, whichever keeps more (PROTOCOL.md section 5).
    public var retainedEventAge: Duration = .seconds(24 * 3600)
    /// How long a `client_id` is remembered (at least 24 h, section 6).
    public var idempotencyAge: Duration = .seconds(48 * 3600)
    /// How long the bots' decision log is kept.
    public var decisionAge: Duration = .seconds(7 * 86_400)
    /// `client_id` records the SQLite store appends before it keys them (see `RecentClientRecords`).
    public var recentClientRecords = 4096
    /// Most body characters (section 6).
    public var maximumBodyScalars = 4000

    public init() {}

    /// What pruning at `now` deletes: events older than `events` unless among the newest
    /// `retainedEventsPerStream` of their stream, `client_id` records and decisions older than theirs.
    func cutoffs(at now: Timestamp) -> (events: Int64, clientIDs: Int64, decisions: Int64) {
        let before = { (age: Duration) in now.milliseconds - age.milliseconds }
        return (before(retainedEventAge), before(idempotencyAge), before(decisionAge))
    }
}
