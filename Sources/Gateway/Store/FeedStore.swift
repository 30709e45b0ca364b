public import GatewayProtocol

/// What a write produced: the ack `result` as sent to the client, and the objects it made, so
/// that other parts of the gateway (bots) can react to them without reading them back.
public struct WriteReceipt: Sendable {
    public var resultJSON: String
    public var post: Post?
    public var comment: Comment?
    /// The write had been made before with the same `client_id`; nothing new was written.
    public var replayed: Bool

    public init(resultJSON: String, post: Post? = nil, comment: Comment? = nil, replayed: Bool = false) {
        self.resultJSON = resultJSON
        self.post = post
        self.comment = comment
        self.replayed = replayed
    }
}

/// A write in the store's queue: its place in the commit order is taken when it is submitted,
/// so writes submitted one after another are applied in that order; its answer comes once its
/// batch is durable.
public struct PendingWrite: Sendable {
    let reply: WriteReply

    /// Waits for the write to be durable (or refused). Call it once, and not with `whenAnswered`:
    /// the answer is handed to one waiter, and a second would never get it.
    public func receipt() async throws(GatewayError) -> WriteReceipt {
        try await withCheckedContinuation { continuation in whenAnswered { continuation.resume(returning: $0) } }.get()
    }

    /// Calls `body` once the write is durable (or refused), on the thread that answers it (the
    /// SQLite writer, the PostgreSQL batch's task, the queue's stall watch), or at once on the
    /// caller's thread if the answer came first: a caller that only hands the answer on costs no
    /// task per write. Call it once, instead of `receipt()`.
    func whenAnswered(_ body: @escaping @Sendable (Result<WriteReceipt, GatewayError>) -> Void) {
        reply.whenAnswered(body)
    }
}

/// How a subscription starts (PROTOCOL.md section 5): where the stream stands, whether the
/// requested history could be recovered, and the first page of events to replay if so (the rest
/// is read with `events(in:after:limit:)` as the connection takes them).
public struct SubscriptionStart: Sendable {
    public var position: StreamPosition
    public var recovered: Bool
    public var replay: [StoredEvent]
}

/// Events of a stream a replay reads from the store at once: a few hundred kilobytes, so that
/// pages keep a connection busy without filling its outbound queue.
public let replayPageSize = 128

/// Receives committed events in commit order, right after each commit.
public protocol EventSink: Sendable {
    func publish(_ events: [StoredEvent])
}

/// The durable store behind the gateway: the SQLite file by default, PostgreSQL for several nodes.
public protocol FeedStore: Sendable {
    /// Queues a write without waiting; its receipt, or the protocol error a client should see,
    /// comes once it is durable.
    func submit(_ command: WriteCommand, by author: User) -> PendingWrite
    /// The answer a repeated `client_id` would get, without writing; nil when it is new.
    func replayedWrite(_ command: WriteCommand, by author: User) async throws(GatewayError) -> WriteReceipt?
    /// Records who a user is (name, role), so that mentions can find them: queued for the
    /// writer's next batch, so it neither waits nor costs the caller a task.
    func remember(_ user: User)
    func startSubscription(_ stream: StreamName, since: (offset: Int64, epoch: String)?) async throws(GatewayError) -> SubscriptionStart
    /// How a subscription starts when the store knows it without reading: the stream's latest
    /// offset is in memory and nothing is to be replayed. Nil when it has to read
    /// (`startSubscription`). Called after the subscriber joined the hub, like a read.
    func subscriptionStartFromMemory(_ stream: StreamName, since: (offset: Int64, epoch: String)?) -> SubscriptionStart?
    /// Up to `limit` events of `stream` after `offset`, in order.
    func events(in stream: String, after offset: Int64, limit: Int) async throws(GatewayError) -> [StoredEvent]
    /// Snapshots (PROTOCOL.md section 7). With a `reader`, each post and comment says which
    /// reactions that user has on (`mine`).
    func feedPage(before: String?, limit: Int, reader: String?) async throws(GatewayError) -> (posts: [Post], position: StreamPosition)
    func thread(postID: String, commentLimit: Int, reader: String?) async throws(GatewayError) -> (post: Post, comments: [Comment], position: StreamPosition)
    func comments(postID: String, after: String?, limit: Int, reader: String?) async throws(GatewayError) -> [Comment]
    /// Whether the store can take writes (readiness).
    func isHealthy() async -> Bool
    /// The store's long-running work: its group-commit writer (and on PostgreSQL the connection
    /// pool), until graceful shutdown. Writes wait for it.
    func run() async
    /// Finishes every write in flight and stops taking new ones.
    func drain() async
    /// Deletes events, `client_id` records and decisions past their retention.
    func prune() async throws
}

extension FeedStore {
    /// A store that keeps no stream heads in memory always reads.
    public func subscriptionStartFromMemory(_ stream: StreamName, since: (offset: Int64, epoch: String)?) -> SubscriptionStart? { nil }

    /// Applies a write and waits until it is durable. Throws the protocol error a client should see.
    public func write(_ command: WriteCommand, by author: User) async throws(GatewayError) -> WriteReceipt {
        try await submit(command, by: author).receipt()
    }
}
