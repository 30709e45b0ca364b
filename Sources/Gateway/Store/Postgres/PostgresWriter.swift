import Logging
import NIOCore
import PostgresNIO
import GatewayProtocol

/// The PostgreSQL half of plan-then-apply (see `WriteRules`): answers a write's questions and
/// applies its plan inside the batch's transaction, giving each event the stream's next offset
/// and the cluster's next sequence number. Every statement is a round trip, so a plan's changes,
/// its first event and its `client_id` record go in one statement: a post is one round trip.
struct PostgresWriter {
    let connection: PostgresConnection
    let logger: Logger
    /// Called after each statement answers (the writer's stall watch).
    let progress: @Sendable () -> Void

    private func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        defer { progress() }
        return try await connection.query(query, logger: logger).collect()
    }

    // MARK: Facts

    /// - Parameter record: the write's `client_id` record, read with the batch's (`records`).
    func facts(for questions: WriteQuestions, authorKnown: Bool, record: WriteFacts.ClientRecord?) async throws -> WriteFacts {
        var facts = WriteFacts(record: record, authorKnown: authorKnown)
        if let postID = questions.livePost {
            // The post and, for a reply, its parent in one round trip (a NULL parent matches no row).
            if let (postAuthor, parentAuthor, depth) = try await rows(
                """
                SELECT p.author_id, c.author_id, c.depth FROM posts p
                LEFT JOIN comments c ON c.id = \(questions.parent) AND c.post_id = p.id AND NOT c.deleted
                WHERE p.id = \(postID) AND NOT p.deleted
                """
            ).first?.decode((String, String?, Int64?).self) {
                facts.livePostAuthor = postAuthor
                if let parentAuthor, let depth { facts.parent = (parentAuthor, Int(depth)) }
            }
        }
        if let target = questions.target {
            let row = target.hasPrefix("p_")
                ? try await rows("SELECT id, author_id FROM posts WHERE id = \(target) AND NOT deleted").first
                : try await rows(
                    """
                    SELECT c.post_id, c.author_id FROM comments c JOIN posts p ON p.id = c.post_id
                    WHERE c.id = \(target) AND NOT c.deleted AND NOT p.deleted
                    """).first
            facts.target = try row.map { row in
                let (postID, ownerID) = try row.decode((String, String).self)
                return WriteFacts.Item(postID: postID, ownerID: ownerID)
            }
        }
        if !questions.mentionCandidates.isEmpty {
            // Three joins, each by an index: the id, the persona id, the bot's name.
            let matches = try await rows(
                """
                WITH c(name, ord) AS (SELECT * FROM unnest(\(questions.mentionCandidates)::text[]) WITH ORDINALITY)
                SELECT c.ord, u.id FROM c JOIN users u ON u.id = c.name
                UNION SELECT c.ord, u.id FROM c JOIN users u ON u.persona = c.name
                UNION SELECT c.ord, u.id FROM c JOIN users u ON u.kind = 'bot' AND lower(u.name) = lower(c.name)
                """)
            facts.usersNamed = Array(repeating: [], count: questions.mentionCandidates.count)
            for row in matches {
                let (ordinal, userID) = try row.decode((Int64, String).self)
                facts.usersNamed[Int(ordinal) - 1].append(userID)
            }
        }
        if questions.botsNamedWithSpaces {
            // Bots have a persona: the users_persona index finds them without reading every user.
            facts.botsNamedWithSpaces = try await rows("SELECT id, name FROM users WHERE persona IS NOT NULL AND name LIKE '% %'").map { row in
                let (id, name) = try row.decode((String, String).self)
                return (id: id, name: name)
            }
        }
        if let bot = questions.bot {
            facts.botExists = try await !rows("SELECT 1 FROM users WHERE id = \(bot) AND kind = 'bot'").isEmpty
        }
        if let key = questions.reaction, let (count, mine) = try await rows(
            """
            SELECT COUNT(*), COALESCE(bool_or(user_id = \(key.userID)), FALSE) FROM reactions
            WHERE target = \(key.target) AND emoji = \(key.emoji)
            """
        ).first?.decode((Int64, Bool).self) {
            facts.reaction = (mine, Int(count))
        }
        return facts
    }

    /// The query that reads the `client_id` records of several writes at once (nil for none);
    /// `records(in:)` reads its rows.
    static func recordsQuery(for keys: [(userID: String, clientID: String)]) -> PostgresQuery? {
        guard !keys.isEmpty else { return nil }
        return """
            SELECT i.user_id, i.client_id, i.fingerprint, i.result FROM idempotency i
            JOIN unnest(\(keys.map(\.userID))::text[], \(keys.map(\.clientID))::text[]) AS k(user_id, client_id)
              ON i.user_id = k.user_id AND i.client_id = k.client_id
            """
    }

    /// The records `recordsQuery` found, by `ExactText.clientRecord`.
    static func records(in rows: some Sequence<PostgresRow>) throws -> [ExactText: WriteFacts.ClientRecord] {
        var records: [ExactText: WriteFacts.ClientRecord] = [:]
        for row in rows {
            let (userID, clientID, fingerprint, result) = try row.decode((String, String, String, String).self)
            records[ExactText.clientRecord(of: userID, clientID: clientID)] = WriteFacts.ClientRecord(fingerprint: fingerprint, result: result)
        }
        return records
    }

    static func upsertQuery(_ user: User) -> PostgresQuery {
        var statement = Statement()
        return PostgresQuery(unsafeSQL: upsertSQL(user, into: &statement), binds: statement.binds)
    }

    private static func upsertSQL(_ user: User, into statement: inout Statement) -> String {
        """
        INSERT INTO users (id, name, kind, role, persona)
        VALUES (\(statement.bind(user.id)), \(statement.bind(user.name)), \(statement.bind(user.kind.rawValue)), \(statement.bind(user.role.rawValue)),
            \(statement.bind(user.persona)))
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, role = excluded.role, persona = excluded.persona
        """
    }

    // MARK: Apply

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

    /// Applies `plan`; its events take the sequence numbers from `nextSeq` on. Returns the
    /// events' offsets, in the plan's order.
    func apply(_ plan: WritePlan, nextSeq: inout Int64) async throws -> [Int64] {
        if let erasure = plan.erasure { try await erase(erasure.target, kind: erasure.kind, postID: erasure.postID) }
        let steps = plan.changes.map { change in { (statement: inout Statement) in Self.sql(for: change, of: plan, into: &statement) } }
        var offsets: [Int64] = []
        for (index, event) in plan.events.enumerated() {
            var statement = Statement()
            var ctes = index == 0 ? steps.enumerated().map { "change\($0) AS (\($1(&statement)))" } : []
            ctes.append("""
                next AS (INSERT INTO streams (name, last_offset) VALUES (\(statement.bind(event.stream)), 1)
                    ON CONFLICT (name) DO UPDATE SET last_offset = streams.last_offset + 1 RETURNING last_offset)
                """)
            ctes.append(#"""
                event AS (INSERT INTO events (seq, stream, "offset", type, ts, data)
                    SELECT \#(statement.bind(nextSeq)), \#(statement.bind(event.stream)), last_offset, \#(statement.bind(event.type.rawValue)),
                        \#(statement.bind(plan.now.milliseconds)), \#(statement.bind(event.dataJSON)) FROM next RETURNING "offset")
                """#)
            if index == 0, let record = Self.recordStep(plan, into: &statement, withEvent: true) { ctes.append(record) }
            let sql = "WITH " + ctes.joined(separator: ",\n") + "\n" + #"SELECT "offset" FROM event"#
            guard let offset = try await rows(PostgresQuery(unsafeSQL: sql, binds: statement.binds)).first?.decode(Int64.self) else {
                throw GatewayError(.internal, "The event could not be appended.")
            }
            nextSeq += 1
            offsets.append(offset)
        }
        if plan.events.isEmpty {
            // No event to ride with: the changes and the record as one statement.
            var statement = Statement()
            var ctes = steps.enumerated().map { "change\($0) AS (\($1(&statement)))" }
            if let record = Self.recordStep(plan, into: &statement, withEvent: false) { ctes.append(record) }
            if !ctes.isEmpty {
                _ = try await rows(PostgresQuery(unsafeSQL: "WITH " + ctes.joined(separator: ",\n") + "\nSELECT 1", binds: statement.binds))
            }
        }
        return offsets
    }

    /// The step that records the write's `client_id` with its ack: riding with the event when
    /// there is one (a new item's ack ends with that event's offset, known only inside the
    /// statement), on its own otherwise.
    private static func recordStep(_ plan: WritePlan, into statement: inout Statement, withEvent: Bool) -> String? {
        guard let record = plan.record else { return nil }
        let result: String
        switch plan.ack {
        case .created(let prefix) where withEvent: result = #"\#(statement.bind(prefix))::text || "offset"::text || '}'"#
        default: result = statement.bind(plan.result(offsets: []))
        }
        return """
            record AS (INSERT INTO idempotency (user_id, client_id, fingerprint, result, created_at)
                SELECT \(statement.bind(plan.author.id)), \(statement.bind(record.clientID)), \(statement.bind(record.fingerprint)),
                    \(result), \(statement.bind(plan.now.milliseconds))\(withEvent ? " FROM event" : ""))
            """
    }

    /// The statement of one change.
    private static func sql(for change: WritePlan.Change, of plan: WritePlan, into statement: inout Statement) -> String {
        let (author, now) = (plan.author, plan.now.milliseconds)
        switch change {
        case .saveUser(let user):
            return upsertSQL(user, into: &statement)
        case .insertPost(let post):
            return """
                INSERT INTO posts (id, author_id, author_name, author_role, author_persona, body, created_at, bots,
                    generated_persona, generated_engine, generated_model)
                VALUES (\(statement.bind(post.id)), \(statement.bind(author.id)), \(statement.bind(author.name)), \(statement.bind(author.role.rawValue)),
                    \(statement.bind(author.persona)), \(statement.bind(post.body)), \(statement.bind(now)), \(statement.bind(post.botsEnabled)),
                    \(statement.bind(post.generated?.persona)), \(statement.bind(post.generated?.engine)), \(statement.bind(post.generated?.model)))
                """
        case .insertComment(let comment):
            return """
                INSERT INTO comments (id, post_id, parent_id, author_id, author_name, author_role, author_persona, body, created_at, depth,
                    generated_persona, generated_engine, generated_model)
                VALUES (\(statement.bind(comment.id)), \(statement.bind(comment.postID)), \(statement.bind(comment.parentID)), \(statement.bind(author.id)),
                    \(statement.bind(author.name)), \(statement.bind(author.role.rawValue)), \(statement.bind(author.persona)), \(statement.bind(comment.body)),
                    \(statement.bind(now)), \(statement.bind(Int64(comment.depth))), \(statement.bind(comment.generated?.persona)),
                    \(statement.bind(comment.generated?.engine)), \(statement.bind(comment.generated?.model)))
                """
        case .countComments(let postID, let delta):
            return "UPDATE posts SET comment_count = comment_count + \(statement.bind(Int64(delta))) WHERE id = \(statement.bind(postID))"
        case .setReaction(let target, let emoji, on: true):
            return """
                INSERT INTO reactions (target, emoji, user_id, created_at)
                VALUES (\(statement.bind(target)), \(statement.bind(emoji)), \(statement.bind(author.id)), \(statement.bind(now))) ON CONFLICT DO NOTHING
                """
        case .setReaction(let target, let emoji, on: false):
            return "DELETE FROM reactions WHERE target = \(statement.bind(target)) AND emoji = \(statement.bind(emoji)) AND user_id = \(statement.bind(author.id))"
        case .setMute(let bot, let scope, on: true):
            return """
                INSERT INTO mutes (user_id, bot_id, scope) VALUES (\(statement.bind(author.id)), \(statement.bind(bot)), \(statement.bind(scope.wireValue)))
                ON CONFLICT DO NOTHING
                """
        case .setMute(let bot, let scope, on: false):
            return """
                DELETE FROM mutes WHERE user_id = \(statement.bind(author.id)) AND bot_id = \(statement.bind(bot)) AND scope = \(statement.bind(scope.wireValue))
                """
        }
    }

    /// Copies of an item are found by the creation time they share with it (as on SQLite).
    private func erase(_ target: String, kind: WritePlan.ItemKind, postID: String) async throws {
        let found = kind == .post
            ? try await rows("UPDATE posts SET deleted = TRUE, body = '' WHERE id = \(target) RETURNING author_id, created_at").first
            : try await rows("UPDATE comments SET deleted = TRUE, body = '' WHERE id = \(target) RETURNING author_id, created_at").first
        guard let (authorID, createdAt) = try found?.decode((String, Int64).self) else { return }
        let (stream, type) = kind == .post ? ("feed", StoredEvent.Kind.postCreated) : ("thread:\(postID)", .commentCreated)
        for row in try await rows(#"SELECT seq, data FROM events WHERE ts = \#(createdAt) AND stream = \#(stream) AND type = \#(type.rawValue)"#) {
            let (seq, data) = try row.decode((Int64, String).self)
            guard let erased = WriteRecords.erasing(target, in: data) else { continue }
            _ = try await rows("UPDATE events SET data = \(erased) WHERE seq = \(seq)")
        }
        for row in try await rows("SELECT client_id, result FROM idempotency WHERE created_at = \(createdAt) AND user_id = \(authorID)") {
            let (clientID, result) = try row.decode((String, String).self)
            guard let erased = WriteRecords.erasing(target, in: result) else { continue }
            _ = try await rows("UPDATE idempotency SET result = \(erased) WHERE user_id = \(authorID) AND client_id = \(clientID)")
        }
        _ = try await rows("UPDATE moderation_flags SET text = '' WHERE item_id = \(target)")
    }
}

extension PostgresConnection {
    /// Sends `query` behind the connection's earlier statements without waiting for any answer.
    /// The connection runs its statements one after another in the order they were sent, so a
    /// task that alone uses it (the writer) can send several and wait once for their answers
    /// instead of once per statement (each answer is a hop from the connection's event loop).
    func enqueue(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) -> EventLoopFuture<PostgresQueryResult> {
        self.query(query, logger: logger, file: file, line: line)
    }
}
