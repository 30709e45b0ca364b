import GRDB
import GatewayProtocol

/// The SQLite half of plan-then-apply (see `WriteRules`): answers a write's questions and applies
/// its plan, both inside the writer's transaction, so each write sees the batch's earlier ones.
/// The rows a batch appends to `posts` and `events`, and its `client_id` records, are written
/// together (`BatchAppends`), before the batch commits or a statement reads their table.
enum SQLiteWriter {
    /// The rows a batch appends to `posts` and `events`, held until written together (see
    /// `PendingRows`); `write` writes them and the batch's `client_id` records.
    struct BatchAppends {
        private static let postsTable = PendingRows.Table("posts", columns: [
            "id", "author_id", "author_name", "author_role", "author_persona", "body", "created_at", "bots",
            "generated_persona", "generated_engine", "generated_model",
        ])
        private static let eventsTable = PendingRows.Table("events", columns: ["stream", #""offset""#, "type", "ts", "data"])

        var posts = PendingRows(postsTable)
        var events = PendingRows(eventsTable)

        /// Writes everything the batch holds, the `client_id` records included.
        mutating func write(records: RecentClientRecords, in db: Database) throws {
            try posts.write(in: db)
            try events.write(in: db)
            try records.writePending(in: db)
        }
    }

    static func facts(
        for questions: WriteQuestions, by author: User, authorKnown: Bool, records: RecentClientRecords, appends: inout BatchAppends,
        in db: Database
    ) throws -> WriteFacts {
        var facts = WriteFacts(authorKnown: authorKnown)
        if let clientID = questions.clientID {
            facts.record = try records.recordInBatch(of: author.id, clientID: clientID, in: db)
        }
        // Every question but the `client_id` one reads tables: they see the batch's rows held so
        // far, whatever table a question reads now or later (the PostgreSQL store does the same).
        if questions.readsDatabase { try appends.write(records: records, in: db) }
        if let postID = questions.livePost {
            facts.livePostAuthor = try String.fetchOne(db.cachedStatement(sql: "SELECT author_id FROM posts WHERE id = ? AND deleted = 0"),
                arguments: [postID])
            if let parentID = questions.parent,
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT author_id, depth FROM comments WHERE id = ? AND post_id = ? AND deleted = 0"),
                        arguments: [parentID, postID])
            {
                facts.parent = (row["author_id"], row["depth"])
            }
        }
        if let target = questions.target {
            let row = target.hasPrefix("p_")
                ? try Row.fetchOne(db.cachedStatement(sql: "SELECT id AS post_id, author_id FROM posts WHERE id = ? AND deleted = 0"),
                    arguments: [target])
                : try Row.fetchOne(
                    db.cachedStatement(sql: """
                        SELECT c.post_id, c.author_id FROM comments c JOIN posts p ON p.id = c.post_id
                        WHERE c.id = ? AND c.deleted = 0 AND p.deleted = 0
                        """),
                    arguments: [target])
            facts.target = row.map { WriteFacts.Item(postID: $0["post_id"], ownerID: $0["author_id"]) }
        }
        facts.usersNamed = try questions.mentionCandidates.map { candidate in
            // Three lookups, each by an index: the id, the persona id, the bot's name.
            try String.fetchAll(
                db.cachedStatement(sql: """
                    SELECT id FROM users WHERE id = ?
                    UNION SELECT id FROM users WHERE persona = ?
                    UNION SELECT id FROM users WHERE kind = 'bot' AND lower(name) = lower(?)
                    """),
                arguments: [candidate, candidate, candidate])
        }
        if questions.botsNamedWithSpaces {
            // Bots have a persona: the users_persona index finds them without reading every user.
            facts.botsNamedWithSpaces = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, name FROM users WHERE persona IS NOT NULL AND name LIKE '% %'"))
                .map { (id: $0["id"], name: $0["name"]) }
        }
        if let bot = questions.bot {
            facts.botExists = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM users WHERE id = ? AND kind = 'bot'"),
                arguments: [bot]) ?? false
        }
        if let key = questions.reaction, let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT COUNT(*) AS count, COALESCE(MAX(user_id = ?), 0) AS mine FROM reactions WHERE target = ? AND emoji = ?"),
            arguments: [key.userID, key.target, key.emoji])
        {
            facts.reaction = (row["mine"], row["count"])
        }
        return facts
    }

    /// Applies `plan` and returns its events' offsets, in the plan's order.
    static func apply(
        _ plan: WritePlan, streamOffsets: StreamOffsets, records: RecentClientRecords, appends: inout BatchAppends, in db: Database
    ) throws -> [Int64] {
        let (author, now) = (plan.author, plan.now.milliseconds)
        // Erasing and counting comments read tables: only writes whose questions read tables plan
        // them, and `facts` wrote the rows held before answering those.
        if let erasure = plan.erasure { try erase(erasure.target, kind: erasure.kind, postID: erasure.postID, records: records, in: db) }
        for change in plan.changes {
            switch change {
            case .saveUser(let user):
                try SQLiteStore.upsertUser(user, in: db)
            case .insertPost(let post):
                appends.posts.append(
                    .text(post.id), .text(author.id), .text(author.name), .text(author.role.rawValue), SQLValue(author.persona), .text(post.body),
                    .integer(now), .integer(post.botsEnabled ? 1 : 0), SQLValue(post.generated?.persona), SQLValue(post.generated?.engine),
                    SQLValue(post.generated?.model))
            case .insertComment(let comment):
                try db.cachedStatement(sql: """
                        INSERT INTO comments (id, post_id, parent_id, author_id, author_name, author_role, author_persona, body, created_at,
                            depth, generated_persona, generated_engine, generated_model)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [
                        comment.id, comment.postID, comment.parentID, author.id, author.name, author.role.rawValue, author.persona, comment.body,
                        now, comment.depth, comment.generated?.persona, comment.generated?.engine, comment.generated?.model,
                    ])
            case .countComments(let postID, let delta):
                try db.cachedStatement(sql: "UPDATE posts SET comment_count = comment_count + ? WHERE id = ?").execute(arguments: [delta, postID])
            case .setReaction(let target, let emoji, on: true):
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO reactions (target, emoji, user_id, created_at) VALUES (?, ?, ?, ?)")
                    .execute(arguments: [target, emoji, author.id, now])
            case .setReaction(let target, let emoji, on: false):
                try db.cachedStatement(sql: "DELETE FROM reactions WHERE target = ? AND emoji = ? AND user_id = ?")
                    .execute(arguments: [target, emoji, author.id])
            case .setMute(let bot, let scope, on: true):
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO mutes (user_id, bot_id, scope) VALUES (?, ?, ?)")
                    .execute(arguments: [author.id, bot, scope.wireValue])
            case .setMute(let bot, let scope, on: false):
                try db.cachedStatement(sql: "DELETE FROM mutes WHERE user_id = ? AND bot_id = ? AND scope = ?")
                    .execute(arguments: [author.id, bot, scope.wireValue])
            }
        }
        var offsets: [Int64] = []
        offsets.reserveCapacity(plan.events.count)
        for event in plan.events {
            let offset = try streamOffsets.next(in: event.stream, db: db)
            appends.events.append(.text(event.stream), .integer(offset), .text(event.type.rawValue), .integer(now), .text(event.dataJSON))
            offsets.append(offset)
        }
        if let record = plan.record {
            records.insert(userID: author.id, clientID: record.clientID, fingerprint: record.fingerprint, result: plan.result(offsets: offsets), at: now)
        }
        return offsets
    }

    /// Copies of an item are found by the creation time they share with it.
    private static func erase(_ target: String, kind: WritePlan.ItemKind, postID: String, records: RecentClientRecords, in db: Database) throws {
        let table = kind == .post ? "posts" : "comments"
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT author_id, created_at FROM \(table) WHERE id = ?"),
            arguments: [target]) else { return }
        let (authorID, createdAt): (String, Int64) = (row["author_id"], row["created_at"])
        try db.cachedStatement(sql: "UPDATE \(table) SET deleted = 1, body = '' WHERE id = ?").execute(arguments: [target])
        let (stream, type) = kind == .post ? ("feed", StoredEvent.Kind.postCreated) : ("thread:\(postID)", .commentCreated)
        for event in try Row.fetchAll(
            db.cachedStatement(sql: #"SELECT "offset", data FROM events WHERE ts = ? AND stream = ? AND type = ?"#),
                arguments: [createdAt, stream, type.rawValue])
        {
            guard let erased = WriteRecords.erasing(target, in: event["data"]) else { continue }
            try db.cachedStatement(sql: #"UPDATE events SET data = ? WHERE stream = ? AND "offset" = ?"#)
                .execute(arguments: [erased, stream, event["offset"] as Int64])
        }
        try records.rewriteResults(of: authorID, at: createdAt, in: db) { WriteRecords.erasing(target, in: $0) }
        try db.cachedStatement(sql: "UPDATE moderation_flags SET text = '' WHERE item_id = ?").execute(arguments: [target])
    }
}
