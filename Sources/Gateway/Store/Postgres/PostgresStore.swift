import CoreMetrics
import Foundation
public import Logging
import NIOCore
import PostgresNIO
import Persona
import Synchronization
public import GatewayProtocol

/// The store of a cluster: one PostgreSQL database shared by every gateway node.
///
/// The same guarantees as `SQLiteStore`: a write is acknowledged once committed (PostgreSQL's
/// `synchronous_commit`), offsets are assigned in the write transaction, `client_id` makes writes
/// idempotent. Each node groups its waiting writes into one transaction (group commit). Committed events reach every node, this one included, through NOTIFY inside the
/// same transaction (delivered in commit order, only if it commits); `ClusterBus` receives them.
public final class PostgresStore: FeedStore {
    let location: PostgresLocation
    let client: PostgresClient
    let configuration: StoreConfiguration
    let ids: IDGenerator
    let clock: GatewayClock
    let logger: Logger
    private let metrics: GatewayMetrics?
    private let writeTimeout: Duration
    private let queue: GroupCommitQueue
    private let knownUsers = KnownUsers()
    /// The writer's own connection, outside the pool: a transaction that stalls (its server went
    /// away without a word) is abandoned with its connection, which a pooled one could not be.
    private let writerConnection = Mutex<PostgresConnection?>(nil)
    /// The cluster's epoch, the same on every node.
    public let epoch: String
    /// Receives this cluster's committed events and ephemeral frames for this node.
    public let bus: ClusterBus

    /// Connects, migrates the schema and reads the epoch; throws a message naming the server
    /// when PostgreSQL cannot be reached or refuses us.
    public init(
        location: PostgresLocation,
        configuration: StoreConfiguration = .init(),
        hub: StreamHub,
        ids: IDGenerator,
        clock: GatewayClock = .system,
        metrics: GatewayMetrics? = nil,
        writeTimeout: Duration = .seconds(5),
        logger: Logger
    ) async throws {
        self.location = location
        self.configuration = configuration
        self.ids = ids
        self.clock = clock
        self.metrics = metrics
        self.writeTimeout = writeTimeout
        self.logger = logger
        epoch = try await Self.prepare(location, logger: logger)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: location.clientConfiguration(), backgroundLogger: quiet)
        self.client = client
        queue = GroupCommitQueue(maximumBatch: configuration.maximumBatch, stallLimit: writeTimeout)
        bus = ClusterBus(location: location, client: client, hub: hub, clock: clock, metrics: metrics, logger: logger)
    }

    /// Migrates on a connection of its own, so that a wrong address or password is reported at
    /// once with PostgreSQL's own words instead of a pool retrying in the background.
    private static func prepare(_ location: PostgresLocation, logger: Logger) async throws -> String {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: location.connectionConfiguration(.migrate), id: PostgresLocation.Role.migrate.connectionID, logger: logger)
        } catch {
            throw StoreLocationError(description: "Cannot connect to PostgreSQL at \(location): \(PostgresFailure.describe(error))")
        }
        do {
            try await PostgresSchema.migrate(connection, location: location, logger: logger)
            let epoch = try await connection.query("SELECT value FROM meta WHERE key = 'epoch'", logger: logger).collect().first?.decode(String.self)
            try? await connection.close()
            return epoch ?? "e_unknown"
        } catch {
            try? await connection.close()
            throw StoreLocationError(description: "Cannot prepare the schema \(location.schema) in \(location): \(PostgresFailure.describe(error))")
        }
    }

    /// The cluster's token key: `candidate` if no node made one before, else the one kept.
    public static func sharedSigningKey(at location: PostgresLocation, candidate: String, logger: Logger) async throws -> [UInt8] {
        let connection = try await PostgresConnection.connect(configuration: location.connectionConfiguration(.migrate), id: PostgresLocation.Role.migrate.connectionID, logger: logger)
        let key: String?
        do {
            try await PostgresSchema.migrate(connection, location: location, logger: logger)
            try await connection.query("INSERT INTO meta (key, value) VALUES ('jwt_key', \(candidate)) ON CONFLICT (key) DO NOTHING", logger: logger)
            key = try await connection.query("SELECT value FROM meta WHERE key = 'jwt_key'", logger: logger).collect().first?.decode(String.self)
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
        guard let key else { throw StoreLocationError(description: "The token key could not be read back from PostgreSQL at \(location).") }
        return Array(key.utf8)
    }

    /// The connection pool and the group-commit writer, until graceful shutdown; the pool
    /// stops after the writer's last batch.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            await queue.run { jobs in await self.commit(jobs) }
            dropWriter()
            group.cancelAll()
        }
    }

    // MARK: Writes

    public func submit(_ command: WriteCommand, by author: User) -> PendingWrite {
        queue.submit(command, by: author)
    }

    public func remember(_ user: User) {
        if knownUsers.remember(user) { queue.enqueue(.remember(user)) }
    }

    public func record(_ decision: BotDecision) async {
        queue.enqueue(.decision(decision))
    }

    public func drain() async {
        await queue.drain()
    }

    private typealias Outcome = (result: Result<WriteReceipt, GatewayError>, events: [StoredEvent])

    /// One transaction for the whole batch: the log head's row lock first (which orders every
    /// node's batches and makes `seq` gapless), users and decisions, the batch's `client_id`
    /// records in one query, the writes (see `WriteRules`: a refused write changes nothing), then
    /// the new head and the notifications. A failure the rules did not foresee rolls the batch
    /// back, and its jobs are then tried one per transaction so that only the bad one fails; an
    /// unreachable database fails the whole batch with `unavailable`. The SQLite store does the
    /// same. Answers after the commit, once the bus has delivered the events here. Returns
    /// whether PostgreSQL answered (false: unreachable or stalled).
    @discardableResult
    private func commit(_ jobs: [StoreJob], isolated: Bool = false) async -> Bool {
        let batch = StoreBatch(jobs)
        guard !(batch.writes.isEmpty && batch.users.isEmpty && batch.decisions.isEmpty) else { return true }
        let started = ContinuousClock.now
        metrics?.storeBatchSize.record(jobs.count)
        defer { metrics?.storeCommitLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds) }
        let (logger, now) = (self.logger, clock.now())
        let writes = batch.writes
        let users = batch.users
        let decisions = batch.decisions
        let outcomes: [Outcome?]
        let lastSeq: Int64?
        do {
            let (queue, limit) = (self.queue, writeTimeout)
            let progress: @Sendable () -> Void = { queue.noteProgress() }
            // Connecting is watched too: a server that accepts and never answers holds it.
            (outcomes, lastSeq) = try await withStallWatch(limit, stallsAt: { queue.stallsAt(limit) }) {
                try await self.apply(writes, users: users, decisions: decisions, now: now, on: try await self.writer(), progress: progress)
            }
        } catch {
            if error is StalledError || PostgresFailure.isUnavailable(error) {
                logger.error("A batch of \(jobs.count) writes could not be committed to PostgreSQL: \(PostgresFailure.describe(error))")
                dropWriter()
                knownUsers.forget(users)
                for write in writes { write.reply.answer(.failure(.storeUnavailable)) }
                return false
            }
            logger.error("A batch of \(jobs.count) jobs failed in PostgreSQL: \(PostgresFailure.describe(error))")
            // The next try gets a new connection, once per failed batch: postgres-nio remembers a
            // statement that failed to prepare (a table being migrated, a lock timeout) for the
            // connection's lifetime.
            if !isolated { dropWriter() }
            if !isolated && jobs.count > 1 {
                for (position, job) in jobs.enumerated() {
                    guard await commit([job], isolated: true) else {
                        // PostgreSQL went away meanwhile: the rest would each wait for it in turn.
                        let rest = StoreBatch(Array(jobs[(position + 1)...]))
                        knownUsers.forget(rest.users)
                        for write in rest.writes { write.reply.answer(.failure(.storeUnavailable)) }
                        return false
                    }
                }
                return true
            }
            knownUsers.forget(users)
            for write in writes { write.reply.answer(.failure(GatewayError(.internal, "The write failed inside the server."))) }
            return true
        }
        // Only a write that was applied saved its author's row (a refused or replayed one did not).
        let saved = zip(writes, outcomes).compactMap { write, outcome in (try? outcome?.result.get())?.replayed == false ? write.author : nil }
        knownUsers.saved(saved)
        let answer = {
            for (write, outcome) in zip(writes, outcomes) {
                if let outcome { write.reply.answer(outcome.result) }
            }
        }
        guard let lastSeq else {
            answer()
            return true
        }
        // The acks wait for the bus to bring the batch's events to this node's subscribers, so a
        // writer's own session sees its events before its ack; the writer goes on meanwhile.
        let bus = self.bus
        Task {
            await bus.waitForDelivery(through: lastSeq, limit: .seconds(1))
            answer()
        }
        return true
    }

    /// The writer's connection, opened when there is none.
    private func writer() async throws -> PostgresConnection {
        if let connection = writerConnection.withLock({ $0 }), !connection.isClosed { return connection }
        let connection = try await PostgresConnection.connect(configuration: location.connectionConfiguration(.writer), id: PostgresLocation.Role.writer.connectionID, logger: logger)
        // A batch whose watch gave up while it connected (it is cancelled before the connection
        // is dropped) must not leave its connection to the next batch: it would still run its
        // own statements there, and one batch's COMMIT could end the other's transaction.
        let kept = writerConnection.withLock { slot -> Bool in
            guard !Task.isCancelled, slot?.isClosed ?? true else { return false }
            slot = connection
            return true
        }
        guard kept else {
            try? await connection.close()
            throw CancellationError()
        }
        return connection
    }

    /// Abandons the writer's connection after a failure; the next batch opens another.
    private func dropWriter() {
        guard let connection = writerConnection.withLock({ state in defer { state = nil }; return state }) else { return }
        Task { try? await connection.close() }
    }

    /// The batch's transaction: see `commit`. Returns each write's outcome (nil: its caller was
    /// already answered) and the last `seq` given, nil when no event was appended.
    ///
    /// The statements before the first write's (`BEGIN`, the head's lock, users, decisions, the
    /// `client_id` records) are sent together, as are the notifications and `COMMIT` at the end
    /// (`enqueue`). Each is still a round trip, run after the one before; what is saved is a hop
    /// from the connection's event loop back to this task per statement. It is safe because a
    /// statement that fails inside the transaction aborts it: every later one fails, and `COMMIT`
    /// answers `ROLLBACK`, so nothing is acked that did not commit.
    private func apply(_ writes: [QueuedWrite], users: [User], decisions: [BotDecision],
                       now: Timestamp, on connection: PostgresConnection,
                       progress: @escaping @Sendable () -> Void) async throws -> ([Outcome?], Int64?) {
        let (logger, ids, channel) = (self.logger, self.ids, location.eventsChannel)
        // An abandoned batch (see `writer()`) sends nothing.
        try Task.checkCancellation()
        let begun = connection.enqueue("BEGIN", logger: logger)
        let lockedHead = connection.enqueue("SELECT seq FROM log_head WHERE id = 1 FOR UPDATE", logger: logger)
        let setup = users.map { connection.enqueue(PostgresWriter.upsertQuery($0), logger: logger) }
            + decisions.map { connection.enqueue(Self.insertQuery($0), logger: logger) }
        // The batch's `client_id` records in one query; kept up to date as its writes go in.
        let recordsRead = PostgresWriter.recordsQuery(for: writes.compactMap { write in write.command.clientID.map { (write.author.id, $0) } })
            .map { connection.enqueue($0, logger: logger) }
        var commitSent = false
        do {
            _ = try await begun.get()
            guard let head = try await lockedHead.get().first?.decode(Int64.self)
            else { throw GatewayError(.internal, "The store's log head is missing; was the schema changed by hand?") }
            for statement in setup { _ = try await statement.get() }
            var records: [ExactText: WriteFacts.ClientRecord] = [:]
            if let recordsRead { records = try PostgresWriter.records(in: try await recordsRead.get()) }
            progress()
            let writer = PostgresWriter(connection: connection, logger: logger, progress: progress)
            var written = Dictionary(users.map { ($0.id, $0) }) { _, later in later }
            var nextSeq = head + 1
            var outcomes: [Outcome?] = []
            var pending = PendingPosts()
            // A written write's `client_id` record, for the batch's later writes to replay.
            func remember(_ receipt: WriteReceipt, of write: QueuedWrite) {
                guard let clientID = write.command.clientID, let fingerprint = write.fingerprint else { return }
                records[ExactText.clientRecord(of: write.author.id, clientID: clientID)] =
                    WriteFacts.ClientRecord(fingerprint: fingerprint, result: receipt.resultJSON)
            }
            // Writes the held posts and fills in their outcomes; done before any other write's statement.
            func writePending() async throws {
                for post in try await pending.write(on: connection, nextSeq: &nextSeq, logger: logger) {
                    remember(post.receipt, of: writes[post.index])
                    outcomes[post.index] = (.success(post.receipt), post.events)
                }
                progress()
            }
            for write in writes {
                // Its caller was already told `unavailable`: it must not happen behind their back.
                guard !write.reply.isAnswered else {
                    outcomes.append(nil)
                    continue
                }
                let key = write.command.clientID.map { ExactText.clientRecord(of: write.author.id, clientID: $0) }
                let questions = WriteRules.questions(for: write.command, by: write.author)
                // What this write reads must include the held posts (and their `client_id` records).
                if !pending.isEmpty, questions.readsDatabase || key.map(pending.recordKeys.contains) == true { try await writePending() }
                let facts = try await writer.facts(
                    for: questions, authorKnown: knownUsers.has(write.author, savedInBatch: written), record: key.flatMap { records[$0] })
                switch Result(catching: { () throws(GatewayError) in
                    try WriteRules.decide(write.command, by: write.author, fingerprint: write.fingerprint, facts: facts, now: now, ids: ids)
                }) {
                case .failure(let error):
                    outcomes.append((.failure(error), []))
                case .success(.replay(let receipt)):
                    outcomes.append((.success(receipt), []))
                case .success(.apply(let plan)):
                    written[write.author.id] = write.author
                    if pending.hold(plan, at: outcomes.count) {
                        outcomes.append(nil)  // until `writePending`
                        continue
                    }
                    if !pending.isEmpty { try await writePending() }
                    let (receipt, events) = plan.applied(offsets: try await writer.apply(plan, nextSeq: &nextSeq))
                    remember(receipt, of: write)
                    outcomes.append((.success(receipt), events))
                }
            }
            if !pending.isEmpty { try await writePending() }
            assert(pending.isEmpty, "every held post has its outcome before the batch ends")
            let events = outcomes.flatMap { $0?.events ?? [] }
            // The new head and every notification in one statement, in the payloads' order (a
            // volatile call in the select list runs after the sort); its answer is read before
            // the commit's, so that a failure fails the batch (the `COMMIT` behind it then rolls
            // back) instead of being acked.
            let notified = events.isEmpty ? nil : connection.enqueue(
                """
                WITH head AS (UPDATE log_head SET seq = \(nextSeq - 1) WHERE id = 1)
                SELECT pg_notify(\(channel), payload)
                FROM unnest(\(BusMessage.encode(events: events, firstSeq: head + 1))::text[]) WITH ORDINALITY AS p(payload, position)
                ORDER BY position
                """,
                logger: logger)
            let committed = connection.enqueue("COMMIT", logger: logger)
            commitSent = true
            _ = try await notified?.get()
            guard try await committed.get().metadata.command == "COMMIT" else {
                throw GatewayError(.internal, "PostgreSQL rolled the batch back instead of committing it.")
            }
            progress()
            return (outcomes, events.isEmpty ? nil : nextSeq - 1)
        } catch {
            // The transaction must end before the connection takes the next batch. A `COMMIT`
            // already sent ends it either way; a closed connection drops what it is sent without
            // ever answering.
            if !commitSent && !connection.isClosed { _ = try? await connection.enqueue("ROLLBACK", logger: logger).get() }
            throw error
        }
    }

    static func insertQuery(_ decision: BotDecision) -> PostgresQuery {
        """
        INSERT INTO bot_decisions (persona, at, trigger, item_id, post_id, outcome, rule, detail, situation)
        VALUES (\(decision.persona), \(decision.at.milliseconds), \(decision.trigger), \(decision.itemID), \(decision.postID),
            \(decision.outcome), \(decision.rule), \(decision.detail), \(decision.situation))
        """
    }

    public func replayedWrite(_ command: WriteCommand, by author: User) async throws(GatewayError) -> WriteReceipt? {
        guard command.clientID != nil else { return nil }
        let logger = self.logger
        return try await read { client in
            try await client.withConnection { connection in
                guard let clientID = command.clientID, let query = PostgresWriter.recordsQuery(for: [(author.id, clientID)]) else { return nil }
                let records = try PostgresWriter.records(in: try await connection.query(query, logger: logger).collect())
                return try WriteRules.replay(command, record: records[ExactText.clientRecord(of: author.id, clientID: clientID)])
            }
        }
    }

    /// Reachable within two seconds, and the bus is listening (a node that cannot hear the
    /// others must not take clients).
    public func isHealthy() async -> Bool {
        let client = self.client
        let answered = try? await withDeadline(.seconds(2)) {
            try await client.query("SELECT 1").collect().count == 1
        }
        return answered == true && bus.isListening
    }

    /// Deletes events, `client_id` records and decisions past retention, as `SQLiteStore.prune`.
    public func prune() async throws {
        let (cutoff, idempotencyCutoff, decisionCutoff) = configuration.cutoffs(at: clock.now())
        let keep = configuration.retainedEventsPerStream
        let events = try await client.query(
            """
            DELETE FROM events e USING streams s
            WHERE s.name = e.stream AND e.ts < \(cutoff) AND e."offset" <= s.last_offset - \(keep) RETURNING 1
            """, logger: logger
        ).collect().count
        let records = try await client.query("DELETE FROM idempotency WHERE created_at < \(idempotencyCutoff) RETURNING 1", logger: logger).collect().count
        try await client.query("DELETE FROM bot_decisions WHERE at < \(decisionCutoff)", logger: logger)
        if events > 0 || records > 0 {
            logger.info("Pruned \(events) old events and \(records) old client_id records.")
        }
    }

    // MARK: Reads

    /// Runs a read; a database that is not reachable (or too slow) is `unavailable`.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws(GatewayError) -> T {
        let client = self.client
        let logger = self.logger
        do {
            return try await withDeadline(writeTimeout) { try await body(client) }
        } catch let error as GatewayError {
            throw error
        } catch {
            logger.error("A read failed in PostgreSQL: \(PostgresFailure.describe(error))")
            throw .storeUnavailable
        }
    }

    /// A read that must see one moment of the database (a snapshot and its offset).
    func snapshot<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws(GatewayError) -> T {
        let logger = self.logger
        return try await read { client in
            try await client.withConnection { connection in
                try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                do {
                    let value = try await body(connection, logger)
                    try await connection.query("COMMIT", logger: logger)
                    return value
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    static let postColumns = """
        id, author_id, author_name, author_role, author_persona, body, created_at, comment_count, bots,
        generated_persona, generated_engine, generated_model
        """
    static let commentColumns = """
        id, post_id, parent_id, author_id, author_name, author_role, author_persona, body, created_at, depth,
        generated_persona, generated_engine, generated_model
        """

    static func author(id: String, name: String, role: String, persona: String?) -> User {
        User(id: id, name: name, role: User.Role(rawValue: role) ?? .user, persona: persona)
    }

    /// Posts from rows of `postColumns`, with their reactions read in one query.
    static func posts(_ rows: [PostgresRow], on connection: PostgresConnection, logger: Logger) async throws -> [Post] {
        var posts: [Post] = []
        for row in rows {
            let (id, authorID, name, role, persona, body, createdAt, commentCount, bots, generatedPersona, engine, model) =
                try row.decode((String, String, String, String, String?, String, Int64, Int64, Bool, String?, String?, String?).self)
            posts.append(Post(
                id: id, author: author(id: authorID, name: name, role: role, persona: persona), body: body,
                createdAt: Timestamp(milliseconds: createdAt), commentCount: Int(commentCount), botsEnabled: bots,
                generated: label(persona: generatedPersona, engine: engine, model: model)))
        }
        guard !posts.isEmpty else { return posts }
        var reactions: [String: [(emoji: String, count: Int)]] = [:]
        let reactionRows = try await connection.query(
            """
            SELECT target, emoji, COUNT(*) FROM reactions WHERE target = ANY(\(posts.map(\.id)))
            GROUP BY target, emoji ORDER BY target, MIN(created_at), emoji
            """, logger: logger)
        for try await (target, emoji, count) in reactionRows.decode((String, String, Int64).self) {
            reactions[target, default: []].append((emoji, Int(count)))
        }
        return posts.map { post in
            var post = post
            post.reactions = reactions[post.id] ?? []
            return post
        }
    }

    static func comment(_ row: PostgresRow) throws -> Comment {
        let (id, postID, parentID, authorID, name, role, persona, body, createdAt, depth, generatedPersona, engine, model) =
            try row.decode((String, String, String?, String, String, String, String?, String, Int64, Int64, String?, String?, String?).self)
        return Comment(
            id: id, postID: postID, parentID: parentID, author: author(id: authorID, name: name, role: role, persona: persona), body: body,
            createdAt: Timestamp(milliseconds: createdAt), depth: Int(depth),
            generated: label(persona: generatedPersona, engine: engine, model: model))
    }

    static func label(persona: String?, engine: String?, model: String?) -> Comment.Generated? {
        persona.map { Comment.Generated(persona: $0, engine: engine ?? "offline", model: model ?? "") }
    }

    static func latestOffset(_ stream: String, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.query("SELECT last_offset FROM streams WHERE name = \(stream)", logger: logger).collect().first?.decode(Int64.self) ?? 0
    }

    static func livePostExists(_ postID: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await !connection.query("SELECT 1 FROM posts WHERE id = \(postID) AND NOT deleted", logger: logger).collect().isEmpty
    }

    public func startSubscription(_ stream: StreamName, since: (offset: Int64, epoch: String)?) async throws(GatewayError) -> SubscriptionStart {
        let epoch = self.epoch
        let name = stream.description
        return try await snapshot { connection, logger in
            if case .thread(let postID) = stream, try await !Self.livePostExists(postID, on: connection, logger: logger) {
                throw WriteRecords.noSuchPost(postID)
            }
            let (latest, oldest) = try await connection.query(
                #"SELECT (SELECT last_offset FROM streams WHERE name = \#(name)), (SELECT MIN("offset") FROM events WHERE stream = \#(name))"#,
                logger: logger
            ).collect().first?.decode((Int64?, Int64?).self) ?? (nil, nil)
            let start = ReadRules.start(since: since, epoch: epoch, latest: latest ?? 0, oldestKept: oldest)
            var replay: [StoredEvent] = []
            if let after = start.replayAfter {
                replay = try await Self.events(in: name, after: after, limit: replayPageSize, on: connection, logger: logger)
            }
            return SubscriptionStart(position: start.position, recovered: start.recovered, replay: replay)
        }
    }

    public func events(in stream: String, after offset: Int64, limit: Int) async throws(GatewayError) -> [StoredEvent] {
        let logger = self.logger
        return try await read { client in
            try await client.withConnection { try await Self.events(in: stream, after: offset, limit: limit, on: $0, logger: logger) }
        }
    }

    private static func events(in stream: String, after offset: Int64, limit: Int, on connection: PostgresConnection,
                               logger: Logger) async throws -> [StoredEvent] {
        let rows = try await connection.query(
            #"""
            SELECT "offset", type, ts, data FROM events WHERE stream = \#(stream) AND "offset" > \#(offset) ORDER BY "offset" LIMIT \#(limit)
            """#, logger: logger)
        var events: [StoredEvent] = []
        for try await (offset, type, ts, data) in rows.decode((Int64, String, Int64, String).self) {
            guard let kind = StoredEvent.Kind(rawValue: type) else { continue }
            events.append(StoredEvent(stream: stream, offset: offset, type: kind, timestamp: Timestamp(milliseconds: ts), dataJSON: data))
        }
        return events
    }

    public func feedPage(before: String?, limit: Int, reader: String?) async throws(GatewayError) -> (posts: [Post], position: StreamPosition) {
        let epoch = self.epoch
        return try await snapshot { connection, logger in
            let latest = try await Self.latestOffset("feed", on: connection, logger: logger)
            let query: PostgresQuery =
                if let before {
                    "SELECT \(unescaped: Self.postColumns) FROM posts WHERE NOT deleted AND id < \(before) ORDER BY id DESC LIMIT \(limit)"
                } else {
                    "SELECT \(unescaped: Self.postColumns) FROM posts WHERE NOT deleted ORDER BY id DESC LIMIT \(limit)"
                }
            let rows = try await connection.query(query, logger: logger).collect()
            var posts = try await Self.posts(rows, on: connection, logger: logger)
            var none: [Comment] = []
            try await Self.addReactions(to: &posts, &none, reader: reader, on: connection, logger: logger)
            return (posts, StreamPosition(offset: latest, epoch: epoch))
        }
    }

    public func thread(postID: String, commentLimit: Int, reader: String?) async throws(GatewayError) -> (post: Post, comments: [Comment], position: StreamPosition) {
        let epoch = self.epoch
        return try await snapshot { connection, logger in
            let latest = try await Self.latestOffset("thread:\(postID)", on: connection, logger: logger)
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.postColumns) FROM posts WHERE id = \(postID) AND NOT deleted", logger: logger
            ).collect()
            var posts = try await Self.posts(rows, on: connection, logger: logger)
            guard !posts.isEmpty else { throw WriteRecords.noSuchPost(postID) }
            var comments = try await connection.query(
                "SELECT \(unescaped: Self.commentColumns) FROM comments WHERE post_id = \(postID) AND NOT deleted ORDER BY id LIMIT \(commentLimit)",
                logger: logger
            ).collect().map(Self.comment)
            try await Self.addReactions(to: &posts, &comments, reader: reader, on: connection, logger: logger)
            return (posts[0], comments, StreamPosition(offset: latest, epoch: epoch))
        }
    }

    public func comments(postID: String, after: String?, limit: Int, reader: String?) async throws(GatewayError) -> [Comment] {
        try await snapshot { connection, logger in
            guard try await Self.livePostExists(postID, on: connection, logger: logger) else { throw WriteRecords.noSuchPost(postID) }
            var comments = try await connection.query(
                """
                SELECT \(unescaped: Self.commentColumns) FROM comments WHERE post_id = \(postID) AND NOT deleted AND id > \(after ?? "")
                ORDER BY id LIMIT \(limit)
                """, logger: logger
            ).collect().map(Self.comment)
            var none: [Post] = []
            try await Self.addReactions(to: &none, &comments, reader: reader, on: connection, logger: logger)
            return comments
        }
    }

    /// Comments' reaction counts, and with a reader, the reactions that reader has on (`mine`)
    /// for posts and comments, in one query each.
    private static func addReactions(to posts: inout [Post], _ comments: inout [Comment], reader: String?, on connection: PostgresConnection,
                                     logger: Logger) async throws {
        let commentIDs = comments.map(\.id)
        if !commentIDs.isEmpty {
            var counts: [String: [(emoji: String, count: Int)]] = [:]
            let rows = try await connection.query(
                """
                SELECT target, emoji, COUNT(*) FROM reactions WHERE target = ANY(\(commentIDs))
                GROUP BY target, emoji ORDER BY target, MIN(created_at), emoji
                """, logger: logger)
            for try await (target, emoji, count) in rows.decode((String, String, Int64).self) {
                counts[target, default: []].append((emoji, Int(count)))
            }
            for index in comments.indices { comments[index].reactions = counts[comments[index].id] ?? [] }
        }
        guard let reader else { return }
        let targets = posts.map(\.id) + commentIDs
        guard !targets.isEmpty else { return }
        var mine: [String: [String]] = [:]
        let rows = try await connection.query(
            "SELECT target, emoji FROM reactions WHERE user_id = \(reader) AND target = ANY(\(targets)) ORDER BY created_at", logger: logger)
        for try await (target, emoji) in rows.decode((String, String).self) {
            mine[target, default: []].append(emoji)
        }
        for index in posts.indices { posts[index].mine = mine[posts[index].id] ?? [] }
        for index in comments.indices { comments[index].mine = mine[comments[index].id] ?? [] }
    }
}
