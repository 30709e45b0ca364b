import CoreMetrics
import Foundation
import GRDB
public import Logging
import Persona
import Synchronization
public import GatewayProtocol

/// The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so that an
/// acknowledged write survives a crash of the process and of the machine.
///
/// Every write goes through one writer that takes all requests waiting at that moment and applies
/// them in a single transaction (group commit): one fsync covers the whole batch, and one bad
/// request never spoils the others (see `commit`).
public final class SQLiteStore: FeedStore {
    let pool: DatabasePool
    let configuration: StoreConfiguration
    let sink: any EventSink
    let ids: IDGenerator
    let clock: GatewayClock
    let logger: Logger
    private let metrics: GatewayMetrics?
    /// The store's epoch: it changes only when the database is created anew (history lost).
    public let epoch: String
    private let knownUsers = KnownUsers()
    private let streamOffsets = StreamOffsets()
    /// `PRAGMA data_version` at the last batch: it changes only when another connection (another
    /// process) commits to the file, and then the writer's caches are not trusted.
    private let lastDataVersion = Mutex<Int64?>(nil)
    private let clientRecords: RecentClientRecords
    private let checkpointer: WALCheckpointer
    private let path: String
    private let queue: GroupCommitQueue

    public init(
        path: String,
        configuration: StoreConfiguration = .init(),
        sink: any EventSink,
        ids: IDGenerator,
        clock: GatewayClock = .system,
        metrics: GatewayMetrics? = nil,
        logger: Logger
    ) throws {
        self.metrics = metrics
        let checkpointer = WALCheckpointer(logger: logger)
        var databaseConfiguration = GRDB.Configuration()
        databaseConfiguration.prepareDatabase { db in
            if !db.configuration.readonly { checkpointer.watch(db) }
        }
        databaseConfiguration.busyMode = .timeout(10)
        // Only the gateway's user may read the feed's data: SQLite gives its WAL and shared-memory
        // files the database file's mode, so the file is made 0600 before SQLite first opens it.
        // A file that cannot be made here cannot be opened below either, which says why.
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        self.pool = try DatabasePool(path: path, configuration: databaseConfiguration)
        // WAL with FULL: the WAL is synced at every commit, the durability the protocol promises
        // for an ack. Set after the pool opened: opening it sets the writer's connection to NORMAL
        // (synced only at checkpoints), whatever `prepareDatabase` said.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        self.path = path
        self.checkpointer = checkpointer
        self.configuration = configuration
        self.sink = sink
        self.ids = ids
        self.clock = clock
        self.logger = logger
        self.queue = GroupCommitQueue(maximumBatch: configuration.maximumBatch)
        self.clientRecords = RecentClientRecords(capacity: configuration.recentClientRecords)
        try Self.migrator.migrate(pool)
        let (epoch, feedHead) = try pool.read { db in
            (try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'epoch'") ?? "e_unknown",
             try Int64.fetchOne(db, sql: "SELECT last_offset FROM streams WHERE name = 'feed'") ?? 0)
        }
        self.epoch = epoch
        // Most subscriptions are to the feed from now: with its head in memory they start without a read.
        streamOffsets.remember("feed", last: feedHead)
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

    /// Applies one batch in a single transaction (see `WriteRules`: each write's facts are read
    /// after the batch's earlier writes, and a refused write changes nothing); publishes the
    /// events, then answers the writes. A failure the rules did not foresee (a constraint, a bug)
    /// rolls the batch back, and its jobs are then tried one per transaction so that only the bad
    /// one fails; a failing disk fails the whole batch with `unavailable`. The PostgreSQL store
    /// does the same.
    private func commit(_ jobs: [StoreJob], isolated: Bool = false) {
        let batch = StoreBatch(jobs)
        let writes = batch.writes
        let users = batch.users
        let decisions = batch.decisions
        let outcomes: [(Result<WriteReceipt, GatewayError>, [StoredEvent])]
        let started = ContinuousClock.now
        metrics?.storeBatchSize.record(jobs.count)
        defer { metrics?.storeCommitLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds) }
        if clientRecords.isDueToKey { keyClientRecords() }
        do {
            // On the writer's own thread (`runOnThread`): the transaction runs here, no hop.
            outcomes = try pool.write { [self, writes, users, decisions] db in
                let dataVersion = try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version"))
                if lastDataVersion.withLock({ last in defer { last = dataVersion }; return last != dataVersion }) { forgetCaches() }
                streamOffsets.beginBatch()
                try clientRecords.beginBatch(in: db)
                for user in users { try Self.upsertUser(user, in: db) }
                for decision in decisions { try Self.insert(decision, in: db) }
                var written = Dictionary(users.map { ($0.id, $0) }) { _, later in later }
                var appends = SQLiteWriter.BatchAppends()
                var outcomes: [(Result<WriteReceipt, GatewayError>, [StoredEvent])] = []
                outcomes.reserveCapacity(writes.count)
                for write in writes {
                    let (command, author) = (write.command, write.author)
                    let authorKnown = knownUsers.has(author, savedInBatch: written)
                    let facts = try SQLiteWriter.facts(
                        for: WriteRules.questions(for: command, by: author), by: author, authorKnown: authorKnown, records: clientRecords,
                        appends: &appends, in: db)
                    switch Result(catching: { () throws(GatewayError) in try WriteRules.decide(command, by: author, fingerprint: write.fingerprint, facts: facts, now: clock.now(), ids: ids) }) {
                    case .failure(let error):
                        outcomes.append((.failure(error), []))
                    case .success(.replay(let receipt)):
                        outcomes.append((.success(receipt), []))
                    case .success(.apply(let plan)):
                        let (receipt, events) = plan.applied(
                            offsets: try SQLiteWriter.apply(plan, streamOffsets: streamOffsets, records: clientRecords, appends: &appends, in: db))
                        written[author.id] = author
                        outcomes.append((.success(receipt), events))
                    }
                }
                try appends.write(records: clientRecords, in: db)
                try streamOffsets.save(in: db)
                return outcomes
            }
            streamOffsets.batchCommitted()
        } catch {
            forgetCaches()
            if let error = error as? DatabaseError, Self.isStorageFailure(error) {
                logger.error("A batch of \(jobs.count) writes could not be committed: \(error)")
                knownUsers.forget(users)
                for write in writes { write.reply.answer(.failure(.storeUnavailable)) }
                return
            }
            logger.error("A batch of \(jobs.count) jobs failed in the store: \(error)")
            if !isolated && jobs.count > 1 {
                for job in jobs { commit([job], isolated: true) }
                return
            }
            knownUsers.forget(users)
            for write in writes { write.reply.answer(.failure(GatewayError(.internal, "The write failed inside the server."))) }
            return
        }
        // Only a write that was applied saved its author's row (a refused or replayed one did not).
        let saved = zip(writes, outcomes).compactMap { write, outcome in (try? outcome.0.get())?.replayed == false ? write.author : nil }
        knownUsers.saved(saved)
        let events = outcomes.flatMap(\.1)
        if !events.isEmpty { sink.publish(events) }
        for (write, outcome) in zip(writes, outcomes) {
            write.reply.answer(outcome.0)
        }
    }

    /// Keys the recent `client_id` records (see `RecentClientRecords`). If that fails they are
    /// still found without their keys, and the next batch tries again.
    private func keyClientRecords() {
        do {
            try pool.write { db in try clientRecords.key(in: db) }
            clientRecords.keyed()
        } catch {
            clientRecords.forget()
            logger.error("Keying the recent client_id records failed: \(error). Retries are still answered from the records themselves; keying is tried again before the next batch.")
        }
    }

    /// What the writer caches about the file (stream offsets, recent client_id records, which
    /// user rows are saved as they are) is read again from it, or saved again, from the next batch.
    private func forgetCaches() {
        streamOffsets.forget()
        clientRecords.forget()
        knownUsers.forgetAll()
    }

    static func isStorageFailure(_ error: DatabaseError) -> Bool {
        switch error.resultCode {
        case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_BUSY, .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_CORRUPT, .SQLITE_NOTADB:
            true
        default:
            false
        }
    }

    public func replayedWrite(_ command: WriteCommand, by author: User) async throws(GatewayError) -> WriteReceipt? {
        guard command.clientID != nil else { return nil }
        let records = clientRecords
        let record = try await read { db in try command.clientID.flatMap { try records.record(of: author.id, clientID: $0, in: db) } }
        return try WriteRules.replay(command, record: record)
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.checkpointer.run(path: self.path, writer: self.pool) }
            await queue.runOnThread(named: "gatewayd-sqlite-writer") { jobs in self.commit(jobs) }
            checkpointer.finish()
        }
    }

    public func drain() async {
        await queue.drain()
    }

    public func isHealthy() async -> Bool {
        do {
            return try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") == 1 }
        } catch {
            return false
        }
    }

    /// Deletes events and idempotency records older than the retention rules allow.
    public func prune() async throws {
        let (cutoff, idempotencyCutoff, decisionCutoff) = configuration.cutoffs(at: clock.now())
        let keep = configuration.retainedEventsPerStream
        let (events, records) = try await pool.write { db -> (Int, Int) in
            try db.execute(
                sql: """
                    DELETE FROM events WHERE ts < ?
                      AND "offset" <= (SELECT last_offset FROM streams WHERE streams.name = events.stream) - ?
                    """,
                arguments: [cutoff, keep]
            )
            let events = db.changesCount
            let records = try clientRecords.prune(before: idempotencyCutoff, in: db)
            try db.execute(sql: "DELETE FROM bot_decisions WHERE at < ?", arguments: [decisionCutoff])
            return (events, records)
        }
        if events > 0 || records > 0 {
            logger.info("Pruned \(events) old events and \(records) old client_id records.")
        }
    }

    // MARK: Reads

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(GatewayError) -> T {
        do {
            return try await pool.read(body)
        } catch let error as GatewayError {
            throw error
        } catch {
            logger.error("A read failed in the store: \(error)")
            throw .storeUnavailable
        }
    }

    public func startSubscription(_ stream: StreamName, since: (offset: Int64, epoch: String)?) async throws(GatewayError) -> SubscriptionStart {
        let epoch = self.epoch
        let name = stream.description
        return try await read { db in
            if case .thread(let postID) = stream {
                guard try Self.livePostExists(postID, in: db) else { throw WriteRecords.noSuchPost(postID) }
            }
            let row = try Row.fetchOne(
                db, sql: #"SELECT (SELECT last_offset FROM streams WHERE name = ?), (SELECT MIN("offset") FROM events WHERE stream = ?)"#,
                arguments: [name, name])
            let start = ReadRules.start(since: since, epoch: epoch, latest: row?[0] ?? 0, oldestKept: row?[1])
            let replay = try start.replayAfter.map { try Self.events(in: name, after: $0, limit: replayPageSize, db) } ?? []
            return SubscriptionStart(position: start.position, recovered: start.recovered, replay: replay)
        }
    }

    /// While the server runs, only its writer writes the file, so the writer's cache of stream
    /// heads is the file's, at most a commit behind it. A thread's subscription checks that its
    /// post lives, and a resume anywhere but at the cached head reads: behind it there is a replay,
    /// and ahead of it may be a snapshot read from a commit the cache has not noted yet.
    public func subscriptionStartFromMemory(_ stream: StreamName, since: (offset: Int64, epoch: String)?) -> SubscriptionStart? {
        if case .thread = stream { return nil }
        guard let latest = streamOffsets.committedLast(of: stream.description) else { return nil }
        if let since, since.epoch == epoch, since.offset != latest { return nil }
        let start = ReadRules.start(since: since, epoch: epoch, latest: latest, oldestKept: nil)
        return SubscriptionStart(position: start.position, recovered: start.recovered, replay: [])
    }

    public func events(in stream: String, after offset: Int64, limit: Int) async throws(GatewayError) -> [StoredEvent] {
        try await read { db in try Self.events(in: stream, after: offset, limit: limit, db) }
    }

    private static func events(in stream: String, after offset: Int64, limit: Int, _ db: Database) throws -> [StoredEvent] {
        let rows = try Row.fetchAll(
            db,
            sql: #"SELECT "offset", type, ts, data FROM events WHERE stream = ? AND "offset" > ? ORDER BY "offset" LIMIT ?"#,
            arguments: [stream, offset, limit]
        )
        return rows.compactMap { row -> StoredEvent? in
            guard let type = StoredEvent.Kind(rawValue: row["type"]) else { return nil }
            return StoredEvent(stream: stream, offset: row["offset"], type: type, timestamp: Timestamp(milliseconds: row["ts"]), dataJSON: row["data"])
        }
    }

    public func feedPage(before: String?, limit: Int, reader: String?) async throws(GatewayError) -> (posts: [Post], position: StreamPosition) {
        let epoch = self.epoch
        return try await read { db in
            let latest = try Int64.fetchOne(db, sql: "SELECT last_offset FROM streams WHERE name = 'feed'") ?? 0
            let rows: [Row]
            if let before {
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM posts WHERE deleted = 0 AND id < ? ORDER BY id DESC LIMIT ?", arguments: [before, limit])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM posts WHERE deleted = 0 ORDER BY id DESC LIMIT ?", arguments: [limit])
            }
            var posts = try rows.map { try Self.post(from: $0, in: db) }
            var none: [Comment] = []
            try Self.addReactions(to: &posts, &none, reader: reader, in: db)
            return (posts, StreamPosition(offset: latest, epoch: epoch))
        }
    }

    public func thread(postID: String, commentLimit: Int, reader: String?) async throws(GatewayError) -> (post: Post, comments: [Comment], position: StreamPosition) {
        let epoch = self.epoch
        return try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM posts WHERE id = ? AND deleted = 0", arguments: [postID]) else {
                throw WriteRecords.noSuchPost(postID)
            }
            var posts = [try Self.post(from: row, in: db)]
            var comments = try Row.fetchAll(
                db, sql: "SELECT * FROM comments WHERE post_id = ? AND deleted = 0 ORDER BY id LIMIT ?", arguments: [postID, commentLimit]
            ).map(Self.comment(from:))
            try Self.addReactions(to: &posts, &comments, reader: reader, in: db)
            let post = posts[0]
            let latest = try Int64.fetchOne(db, sql: "SELECT last_offset FROM streams WHERE name = ?", arguments: ["thread:\(postID)"]) ?? 0
            return (post, comments, StreamPosition(offset: latest, epoch: epoch))
        }
    }

    public func comments(postID: String, after: String?, limit: Int, reader: String?) async throws(GatewayError) -> [Comment] {
        try await read { db in
            guard try Self.livePostExists(postID, in: db) else { throw WriteRecords.noSuchPost(postID) }
            var comments = try Row.fetchAll(
                db,
                sql: "SELECT * FROM comments WHERE post_id = ? AND deleted = 0 AND id > ? ORDER BY id LIMIT ?",
                arguments: [postID, after ?? "", limit]
            ).map(Self.comment(from:))
            var none: [Post] = []
            try Self.addReactions(to: &none, &comments, reader: reader, in: db)
            return comments
        }
    }

    /// Comments' reaction counts, and with a reader, the reactions that reader has on (`mine`)
    /// for posts and comments, in one query each.
    private static func addReactions(to posts: inout [Post], _ comments: inout [Comment], reader: String?, in db: Database) throws {
        let commentIDs = comments.map(\.id)
        if !commentIDs.isEmpty {
            var counts: [String: [(emoji: String, count: Int)]] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT target, emoji, COUNT(*) AS n FROM reactions WHERE target IN (\(databaseQuestionMarks(count: commentIDs.count)))
                    GROUP BY target, emoji ORDER BY target, MIN(created_at), emoji
                    """,
                arguments: StatementArguments(commentIDs))
            {
                counts[row["target"], default: []].append((row["emoji"], row["n"]))
            }
            for index in comments.indices { comments[index].reactions = counts[comments[index].id] ?? [] }
        }
        guard let reader else { return }
        let targets = posts.map(\.id) + commentIDs
        guard !targets.isEmpty else { return }
        var mine: [String: [String]] = [:]
        for row in try Row.fetchAll(
            db,
            sql: "SELECT target, emoji FROM reactions WHERE user_id = ? AND target IN (\(databaseQuestionMarks(count: targets.count))) ORDER BY created_at",
            arguments: StatementArguments([reader] + targets))
        {
            mine[row["target"], default: []].append(row["emoji"])
        }
        for index in posts.indices { posts[index].mine = mine[posts[index].id] ?? [] }
        for index in comments.indices { comments[index].mine = mine[comments[index].id] ?? [] }
    }
}
