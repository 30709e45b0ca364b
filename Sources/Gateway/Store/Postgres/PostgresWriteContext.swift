import Logging
import PostgresNIO

/// Applies one write inside the PostgreSQL writer's transaction, as `WriteContext` does for
/// SQLite: checks what the write refers to, changes the tables, appends its events with the next
/// stream offsets and cluster sequence numbers, and records its `client_id`. Each statement is a
/// round trip to the server, so there are as few as the checks allow: a post is one statement.
struct PostgresWriteContext {
    let connection: PostgresConnection
    let author: User
    let now: Timestamp
    let ids: IDGenerator
    let logger: Logger
    /// Called after each statement answers (the writer's stall watch).
    let progress: @Sendable () -> Void
    /// The cluster sequence number the next event takes; advanced only by events of this write.
    private(set) var nextSeq: Int64
    /// Events appended by this write, in order.
    private(set) var events: [StoredEvent] = []
    /// The write's `client_id` record went in with its event (posts and comments).
    private var recorded = false

    init(connection: PostgresConnection, author: User, now: Timestamp, ids: IDGenerator, nextSeq: Int64, logger: Logger,
         progress: @escaping @Sendable () -> Void) {
        self.progress = progress
        self.connection = connection
        self.author = author
        self.now = now
        self.ids = ids
        self.nextSeq = nextSeq
        self.logger = logger
    }

    private func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        defer { progress() }
        return try await connection.query(query, logger: logger).collect()
    }

    private func run(_ query: PostgresQuery) async throws {
        defer { progress() }
        try await connection.query(query, logger: logger)
    }

    /// What a `client_id` was used for: the request's fingerprint and the ack it got.
    typealias Record = (fingerprint: String, result: String)

    /// The ack a repeated `client_id` gets, or nil when it is new; reused for other content: conflict.
    static func priorReceipt(for command: WriteCommand, by author: User, on connection: PostgresConnection,
                             logger: Logger) async throws -> WriteReceipt? {
        guard let clientID = command.clientID else { return nil }
        let records = try await records(for: [(author.id, clientID)], on: connection, logger: logger)
        return try replay(command, record: records[recordKey(author.id, clientID)])
    }

    static func recordKey(_ userID: String, _ clientID: String) -> String { userID + "\u{0}" + clientID }

    /// The `client_id` records of several writes in one query, by `recordKey`.
    static func records(for keys: [(userID: String, clientID: String)], on connection: PostgresConnection,
                        logger: Logger) async throws -> [String: Record] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT i.user_id, i.client_id, i.fingerprint, i.result FROM idempotency i
            JOIN unnest(\(keys.map(\.userID))::text[], \(keys.map(\.clientID))::text[]) AS k(user_id, client_id)
              ON i.user_id = k.user_id AND i.client_id = k.client_id
            """, logger: logger)
        var records: [String: Record] = [:]
        for try await (userID, clientID, fingerprint, result) in rows.decode((String, String, String, String).self) {
            records[recordKey(userID, clientID)] = (fingerprint, result)
        }
        return records
    }

    static func replay(_ command: WriteCommand, record: Record?) throws(GatewayError) -> WriteReceipt? {
        guard let record, let clientID = command.clientID else { return nil }
        guard record.fingerprint == command.fingerprint else { throw WriteRecords.reusedClientID(clientID) }
        return WriteReceipt(resultJSON: record.result, replayed: true)
    }

    static func upsert(_ user: User, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO users (id, name, kind, role, persona) VALUES (\(user.id), \(user.name), \(user.kind.rawValue), \(user.role.rawValue), \(user.persona))
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, role = excluded.role, persona = excluded.persona
            """, logger: logger)
    }

    /// Applies the write. Everything that can refuse it (a missing post, a conflict) is checked
    /// before anything is changed, so a refused write leaves the transaction as it found it.
    /// - Parameters:
    ///   - record: what its `client_id` was used for before, if it was.
    ///   - authorKnown: the author's row is up to date already (recorded at identify).
    mutating func apply(_ command: WriteCommand, record: Record?, authorKnown: Bool) async throws -> WriteReceipt {
        if let prior = try Self.replay(command, record: record) { return prior }
        if !authorKnown { try await Self.upsert(author, on: connection, logger: logger) }
        let receipt: WriteReceipt
        switch command {
        case .post(let body, let clientID, let botsEnabled, let generated):
            receipt = try await createPost(body: body, botsEnabled: botsEnabled, generated: generated, record: (clientID, command.fingerprint))
        case .comment(let postID, let parentID, let body, let clientID, let generated):
            receipt = try await createComment(
                postID: postID, parentID: parentID, body: body, generated: generated, record: (clientID, command.fingerprint))
        case .react(let target, let emoji, let on, _):
            receipt = try await react(target: target, emoji: emoji, on: on)
        case .delete(let target, _):
            receipt = try await delete(target: target)
        case .mute(let bot, let scope, let on, _):
            receipt = try await mute(bot: bot, scope: scope, on: on)
        }
        if let clientID = command.clientID, !recorded {
            try await run(
                """
                INSERT INTO idempotency (user_id, client_id, fingerprint, result, created_at)
                VALUES (\(author.id), \(clientID), \(command.fingerprint), \(receipt.resultJSON), \(now.milliseconds))
                """)
        }
        return receipt
    }

    // MARK: Events

    /// One statement built piece by piece, numbering its parameters as they are bound.
    struct Statement {
        var binds = PostgresBindings()

        mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }

        mutating func bind(_ value: (some PostgresDynamicTypeEncodable)?) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
    }

    /// What a write records with its event: its `client_id`, fingerprint, and the ack's text up
    /// to the offset (`WriteRecords.createdResultPrefix`), which the statement completes as
    /// `WriteRecords.completed` does.
    typealias Recording = (clientID: String, fingerprint: String, resultPrefix: String)

    /// Appends an event with the stream's next offset and returns that offset, in one statement
    /// (one round trip) together with the write's own changes (`alongside`, each an INSERT or
    /// UPDATE) and its `client_id` record.
    @discardableResult
    private mutating func append(_ type: StoredEvent.Kind, to stream: String, json: String,
                                 alongside changes: [(inout Statement) -> String] = [], recording: Recording? = nil) async throws -> Int64 {
        var statement = Statement()
        var steps = changes.enumerated().map { index, change in "change\(index) AS (\(change(&statement)))" }
        steps.append("""
            next AS (INSERT INTO streams (name, last_offset) VALUES (\(statement.bind(stream)), 1)
                ON CONFLICT (name) DO UPDATE SET last_offset = streams.last_offset + 1 RETURNING last_offset)
            """)
        steps.append(#"""
            event AS (INSERT INTO events (seq, stream, "offset", type, ts, data)
                SELECT \#(statement.bind(nextSeq)), \#(statement.bind(stream)), last_offset, \#(statement.bind(type.rawValue)),
                    \#(statement.bind(now.milliseconds)), \#(statement.bind(json)) FROM next RETURNING "offset")
            """#)
        if let recording {
            steps.append(#"""
                record AS (INSERT INTO idempotency (user_id, client_id, fingerprint, result, created_at)
                    SELECT \#(statement.bind(author.id)), \#(statement.bind(recording.clientID)), \#(statement.bind(recording.fingerprint)),
                        \#(statement.bind(recording.resultPrefix))::text || "offset"::text || '}', \#(statement.bind(now.milliseconds)) FROM event)
                """#)
            recorded = true
        }
        let rows = try await rows(PostgresQuery(unsafeSQL: "WITH " + steps.joined(separator: ",\n") + "\n" + #"SELECT "offset" FROM event"#, binds: statement.binds))
        guard let offset = try rows.first?.decode(Int64.self) else { throw GatewayError(.internal, "The event could not be appended.") }
        nextSeq += 1
        events.append(StoredEvent(stream: stream, offset: offset, type: type, timestamp: now, dataJSON: json))
        return offset
    }

    // MARK: Posts and comments

    private mutating func createPost(body: String, botsEnabled: Bool, generated: Comment.Generated?,
                                     record: (clientID: String, fingerprint: String)) async throws -> WriteReceipt {
        // Resolved before anything is changed: too many mentions refuse the write.
        let mentioned = try await mentionedUsers(in: body)
        let post = Post(id: ids.make("p"), author: author, body: body, createdAt: now, botsEnabled: botsEnabled, generated: generated)
        let resultPrefix = WriteRecords.createdResultPrefix(post)
        let (author, now) = (self.author, self.now)
        let offset = try await append(
            .postCreated, to: "feed", json: WriteRecords.json { post.write(to: &$0) },
            alongside: [{ statement in
                """
                INSERT INTO posts (id, author_id, author_name, author_role, author_persona, body, created_at, bots,
                    generated_persona, generated_engine, generated_model)
                VALUES (\(statement.bind(post.id)), \(statement.bind(author.id)), \(statement.bind(author.name)), \(statement.bind(author.role.rawValue)),
                    \(statement.bind(author.persona)), \(statement.bind(body)), \(statement.bind(now.milliseconds)), \(statement.bind(botsEnabled)),
                    \(statement.bind(generated?.persona)), \(statement.bind(generated?.engine)), \(statement.bind(generated?.model)))
                """
            }],
            recording: (record.clientID, record.fingerprint, resultPrefix))
        try await notify(mentioned, postID: post.id, commentID: nil)
        return WriteReceipt(resultJSON: WriteRecords.completed(resultPrefix, offset: offset), post: post)
    }

    private mutating func createComment(postID: String, parentID: String?, body: String, generated: Comment.Generated?,
                                        record: (clientID: String, fingerprint: String)) async throws -> WriteReceipt {
        guard let postAuthor = try await rows("SELECT author_id FROM posts WHERE id = \(postID) AND NOT deleted").first?.decode(String.self) else {
            throw WriteRecords.noSuchPost(postID)
        }
        var depth = 0
        var addressee = postAuthor
        if let parentID {
            guard let parent = try await rows(
                "SELECT author_id, depth FROM comments WHERE id = \(parentID) AND post_id = \(postID) AND NOT deleted"
            ).first?.decode((String, Int64).self) else {
                throw WriteRecords.noSuchParent(parentID, postID: postID)
            }
            depth = Int(parent.1) + 1
            addressee = parent.0
        }
        let mentioned = try await mentionedUsers(in: body)
        let comment = Comment(
            id: ids.make("c"), postID: postID, parentID: parentID, author: author, body: body, createdAt: now, depth: depth,
            generated: generated)
        let resultPrefix = WriteRecords.createdResultPrefix(comment)
        let (author, now) = (self.author, self.now)
        let offset = try await append(
            .commentCreated, to: "thread:\(postID)", json: WriteRecords.json { comment.write(to: &$0) },
            alongside: [
                { statement in
                    """
                    INSERT INTO comments (id, post_id, parent_id, author_id, author_name, author_role, author_persona, body, created_at, depth,
                        generated_persona, generated_engine, generated_model)
                    VALUES (\(statement.bind(comment.id)), \(statement.bind(postID)), \(statement.bind(parentID)), \(statement.bind(author.id)),
                        \(statement.bind(author.name)), \(statement.bind(author.role.rawValue)), \(statement.bind(author.persona)), \(statement.bind(body)),
                        \(statement.bind(now.milliseconds)), \(statement.bind(Int64(depth))), \(statement.bind(generated?.persona)),
                        \(statement.bind(generated?.engine)), \(statement.bind(generated?.model)))
                    """
                },
                { statement in "UPDATE posts SET comment_count = comment_count + 1 WHERE id = \(statement.bind(postID))" },
            ],
            recording: (record.clientID, record.fingerprint, resultPrefix))
        if addressee != author.id {
            try await append(.reply, to: "user:\(addressee)", json: WriteRecords.notice(postID: postID, commentID: comment.id, by: author))
        }
        try await notify(mentioned, postID: postID, commentID: comment.id)
        return WriteReceipt(resultJSON: WriteRecords.completed(resultPrefix, offset: offset), comment: comment)
    }

    /// The users a body mentions: `@<user id>` names a user; a bot is also named by
    /// `@<persona id>` or `@<persona name>`. More than `MentionScanner.maximumMentions` refuse it.
    private func mentionedUsers(in body: String) async throws -> [String] {
        let candidates = MentionScanner.candidates(in: body)
        guard !candidates.isEmpty else { return [] }
        // Three joins, each by an index: the id, the persona id, the bot's name.
        let matches = try await rows(
            """
            WITH c(name, ord) AS (SELECT * FROM unnest(\(candidates)::text[]) WITH ORDINALITY)
            SELECT c.ord, u.id FROM c JOIN users u ON u.id = c.name
            UNION SELECT c.ord, u.id FROM c JOIN users u ON u.persona = c.name
            UNION SELECT c.ord, u.id FROM c JOIN users u ON u.kind = 'bot' AND lower(u.name) = lower(c.name)
            ORDER BY 1, 2
            """)
        var mentioned: [String] = []
        for row in matches {
            let (_, userID) = try row.decode((Int64, String).self)
            if userID != author.id && !mentioned.contains(userID) { mentioned.append(userID) }
        }
        // Bots whose names have spaces ("@Night Owl") are not one word; there are few of them.
        // Bots have a persona: the users_persona index finds them without reading every user.
        let spaced = try await rows("SELECT id, name FROM users WHERE persona IS NOT NULL AND name LIKE '% %'").map { row in
            let (id, name) = try row.decode((String, String).self)
            return (id: id, name: name)
        }
        for userID in MentionScanner.spacedNames(in: body, among: spaced) where userID != author.id && !mentioned.contains(userID) {
            mentioned.append(userID)
        }
        try MentionScanner.checkCount(mentioned.count)
        return mentioned
    }

    private mutating func notify(_ mentioned: [String], postID: String, commentID: String?) async throws {
        for userID in mentioned {
            try await append(.mention, to: "user:\(userID)", json: WriteRecords.notice(postID: postID, commentID: commentID, by: author))
        }
    }

    // MARK: Reactions, deletes, mutes

    private func livePostExists(_ postID: String) async throws -> Bool {
        try await !rows("SELECT 1 FROM posts WHERE id = \(postID) AND NOT deleted").isEmpty
    }

    /// The post whose thread carries events about `target`, which must exist and not be deleted.
    private func threadOf(target: String) async throws -> String {
        if target.hasPrefix("p_") {
            guard try await livePostExists(target) else { throw WriteRecords.noSuchPost(target) }
            return target
        }
        if target.hasPrefix("c_") {
            guard let postID = try await rows(
                "SELECT c.post_id FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.id = \(target) AND NOT c.deleted AND NOT p.deleted"
            ).first?.decode(String.self) else { throw WriteRecords.noSuchComment(target) }
            return postID
        }
        throw WriteRecords.badTarget
    }

    private mutating func react(target: String, emoji: String, on: Bool) async throws -> WriteReceipt {
        let postID = try await threadOf(target: target)
        let changed: Bool
        if on {
            changed = try await !rows(
                """
                INSERT INTO reactions (target, emoji, user_id, created_at) VALUES (\(target), \(emoji), \(author.id), \(now.milliseconds))
                ON CONFLICT DO NOTHING RETURNING 1
                """).isEmpty
        } else {
            changed = try await !rows(
                "DELETE FROM reactions WHERE target = \(target) AND emoji = \(emoji) AND user_id = \(author.id) RETURNING 1").isEmpty
        }
        let count = Int(try await rows("SELECT COUNT(*) FROM reactions WHERE target = \(target) AND emoji = \(emoji)").first?.decode(Int64.self) ?? 0)
        if changed {
            try await append(.reactionChanged, to: "thread:\(postID)",
                             json: WriteRecords.reactionChanged(target: target, emoji: emoji, count: count, userID: author.id, on: on))
        }
        return WriteReceipt(resultJSON: WriteRecords.reactionResult(count: count))
    }

    private mutating func delete(target: String) async throws -> WriteReceipt {
        let postID = try await threadOf(target: target)
        let isPost = target.hasPrefix("p_")
        let owner = isPost
            ? try await rows("SELECT author_id FROM posts WHERE id = \(target)").first?.decode(String.self)
            : try await rows("SELECT author_id FROM comments WHERE id = \(target)").first?.decode(String.self)
        guard owner == author.id || author.role.moderates else { throw WriteRecords.notAllowedToDelete(target) }
        try await erase(target, isPost: isPost, postID: postID)
        if isPost {
            try await append(.postDeleted, to: "feed", json: WriteRecords.deleted(id: target))
            try await append(.postDeleted, to: "thread:\(postID)", json: WriteRecords.deleted(id: target))
        } else {
            try await run("UPDATE posts SET comment_count = comment_count - 1 WHERE id = \(postID)")
            try await append(.commentDeleted, to: "thread:\(postID)", json: WriteRecords.deleted(id: target, postID: postID))
        }
        return WriteReceipt(resultJSON: "{}")
    }

    /// Marks `target` deleted and removes its body from every stored copy, as `WriteContext`
    /// does for SQLite: its row, the event that created it, its author's `client_id` record,
    /// moderation flags quoting it.
    private func erase(_ target: String, isPost: Bool, postID: String) async throws {
        let found = isPost
            ? try await rows("UPDATE posts SET deleted = TRUE, body = '' WHERE id = \(target) RETURNING author_id, created_at").first
            : try await rows("UPDATE comments SET deleted = TRUE, body = '' WHERE id = \(target) RETURNING author_id, created_at").first
        guard let (authorID, createdAt) = try found?.decode((String, Int64).self) else { return }
        let (stream, type) = isPost ? ("feed", StoredEvent.Kind.postCreated) : ("thread:\(postID)", .commentCreated)
        for row in try await rows(#"SELECT seq, data FROM events WHERE ts = \#(createdAt) AND stream = \#(stream) AND type = \#(type.rawValue)"#) {
            let (seq, data) = try row.decode((Int64, String).self)
            guard let erased = WriteRecords.erasing(target, in: data) else { continue }
            try await run("UPDATE events SET data = \(erased) WHERE seq = \(seq)")
        }
        for row in try await rows("SELECT client_id, result FROM idempotency WHERE created_at = \(createdAt) AND user_id = \(authorID)") {
            let (clientID, result) = try row.decode((String, String).self)
            guard let erased = WriteRecords.erasing(target, in: result) else { continue }
            try await run("UPDATE idempotency SET result = \(erased) WHERE user_id = \(authorID) AND client_id = \(clientID)")
        }
        try await run("UPDATE moderation_flags SET text = '' WHERE item_id = \(target)")
    }

    private mutating func mute(bot: String, scope: MuteScope, on: Bool) async throws -> WriteReceipt {
        guard try await !rows("SELECT 1 FROM users WHERE id = \(bot) AND kind = 'bot'").isEmpty else { throw WriteRecords.noSuchBot(bot) }
        if case .thread(let postID) = scope, try await !livePostExists(postID) {
            throw WriteRecords.noSuchPost(postID)
        }
        if on {
            try await run("INSERT INTO mutes (user_id, bot_id, scope) VALUES (\(author.id), \(bot), \(scope.wireValue)) ON CONFLICT DO NOTHING")
        } else {
            try await run("DELETE FROM mutes WHERE user_id = \(author.id) AND bot_id = \(bot) AND scope = \(scope.wireValue)")
        }
        return WriteReceipt(resultJSON: "{}")
    }
}
