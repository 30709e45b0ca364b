import GRDB
import Logging
public import GatewayProtocol

extension SQLiteStore: BotStore {
    static func registerBotMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-bots") { db in
            try db.execute(
                sql: """
                    CREATE TABLE bot_decisions (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, persona TEXT NOT NULL, at INTEGER NOT NULL, trigger TEXT NOT NULL,
                        item_id TEXT NOT NULL, post_id TEXT NOT NULL, outcome TEXT NOT NULL, rule TEXT NOT NULL, detail TEXT NOT NULL
                    );
                    CREATE INDEX bot_decisions_persona ON bot_decisions(persona, id);
                    CREATE TABLE persona_state (persona TEXT PRIMARY KEY, paused INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE INDEX comments_generated ON comments(created_at) WHERE generated_persona IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("v3-situations") { db in
            try db.execute(
                sql: """
                    ALTER TABLE bot_decisions ADD COLUMN situation TEXT NOT NULL DEFAULT '';
                    CREATE TABLE moderation_flags (
                        key TEXT PRIMARY KEY, at INTEGER NOT NULL, reason TEXT NOT NULL, situation TEXT NOT NULL, item_id TEXT NOT NULL,
                        post_id TEXT NOT NULL, persona TEXT NOT NULL, bot_action TEXT NOT NULL, rule TEXT NOT NULL, text TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX moderation_flags_at ON moderation_flags(at);
                    """
            )
        }
        migrator.registerMigration("v4-trust") { db in
            // A bot's post carries the AI label like its comments; mentions find bots by name
            // through an index instead of reading every user.
            try db.execute(
                sql: """
                    ALTER TABLE posts ADD COLUMN generated_persona TEXT;
                    ALTER TABLE posts ADD COLUMN generated_engine TEXT;
                    ALTER TABLE posts ADD COLUMN generated_model TEXT;
                    CREATE INDEX users_bot_name ON users(lower(name)) WHERE kind = 'bot';
                    CREATE INDEX moderation_flags_item ON moderation_flags(item_id);
                    """
            )
        }
    }

    static func insert(_ decision: BotDecision, in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO bot_decisions (persona, at, trigger, item_id, post_id, outcome, rule, detail, situation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [decision.persona, decision.at.milliseconds, decision.trigger, decision.itemID, decision.postID, decision.outcome,
                        decision.rule, decision.detail, decision.situation]
        )
    }

    public func botReplies(since: Timestamp) async throws(GatewayError) -> [(persona: String, postID: String, addressee: String, at: Timestamp)] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.generated_persona AS persona, c.post_id, COALESCE(parent.author_id, post.author_id) AS addressee, c.created_at
                    FROM comments c JOIN posts post ON post.id = c.post_id LEFT JOIN comments parent ON parent.id = c.parent_id
                    WHERE c.generated_persona IS NOT NULL AND c.created_at >= ? ORDER BY c.created_at
                    """,
                arguments: [since.milliseconds]
            ).map { (persona: $0["persona"], postID: $0["post_id"], addressee: $0["addressee"], at: Timestamp(milliseconds: $0["created_at"])) }
        }
    }

    public func latestPost() async throws(GatewayError) -> (at: Timestamp, body: String)? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT created_at, body FROM posts WHERE deleted = 0 ORDER BY id DESC LIMIT 1")
                .map { (at: Timestamp(milliseconds: $0["created_at"]), body: $0["body"]) }
        }
    }

    public func openers(since: Timestamp) async throws(GatewayError) -> [(persona: String, at: Timestamp, body: String)] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT author_persona, created_at, body FROM posts WHERE author_persona IS NOT NULL AND created_at >= ? ORDER BY created_at",
                arguments: [since.milliseconds]
            ).map { (persona: $0["author_persona"], at: Timestamp(milliseconds: $0["created_at"]), body: $0["body"]) }
        }
    }

    public func decisions(persona: String, limit: Int) async throws(GatewayError) -> [BotDecision] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM bot_decisions WHERE persona = ? ORDER BY id DESC LIMIT ?", arguments: [persona, limit]
            ).map {
                BotDecision(
                    persona: $0["persona"], at: Timestamp(milliseconds: $0["at"]), trigger: $0["trigger"], itemID: $0["item_id"],
                    postID: $0["post_id"], outcome: $0["outcome"], rule: $0["rule"], detail: $0["detail"], situation: $0["situation"])
            }
        }
    }

    public func raise(_ flag: ModerationFlag) async {
        do {
            try await pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO moderation_flags (key, at, reason, situation, item_id, post_id, persona, bot_action, rule, text)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(key) DO UPDATE SET bot_action = excluded.bot_action, rule = excluded.rule, persona = excluded.persona
                        """,
                    arguments: [flag.key, flag.at.milliseconds, flag.reason.rawValue, flag.situation, flag.itemID, flag.postID, flag.persona,
                                flag.botAction, flag.rule, flag.text])
            }
        } catch {
            logger.error("A moderation flag for \(flag.itemID) could not be stored: \(error)")
        }
    }

    public func flags(limit: Int) async throws(GatewayError) -> [ModerationFlag] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM moderation_flags ORDER BY at DESC, key LIMIT ?", arguments: [limit]).compactMap { row in
                guard let reason = ModerationFlag.Reason(rawValue: row["reason"]) else { return nil }
                return ModerationFlag(
                    at: Timestamp(milliseconds: row["at"]), reason: reason, situation: row["situation"], itemID: row["item_id"], postID: row["post_id"],
                    persona: row["persona"], botAction: row["bot_action"], rule: row["rule"], text: row["text"])
            }
        }
    }

    public func decidedItems(persona: String, since: Timestamp) async throws(GatewayError) -> Set<String> {
        try await read { db in
            Set(try String.fetchAll(
                db, sql: "SELECT item_id FROM bot_decisions WHERE persona = ? AND at >= ?", arguments: [persona, since.milliseconds]))
        }
    }

    public func recentItems(since: Timestamp) async throws(GatewayError) -> [StoredEvent] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT stream, "offset", type, ts, data FROM events
                    WHERE ts >= ? AND type IN ('post.created', 'comment.created') ORDER BY ts, stream, "offset"
                    """,
                arguments: [since.milliseconds]
            ).compactMap { row in
                StoredEvent.Kind(rawValue: row["type"]).map {
                    StoredEvent(stream: row["stream"], offset: row["offset"], type: $0, timestamp: Timestamp(milliseconds: row["ts"]), dataJSON: row["data"])
                }
            }
        }
    }

    public func pausedPersonas() async throws(GatewayError) -> Set<String> {
        try await read { db in Set(try String.fetchAll(db, sql: "SELECT persona FROM persona_state WHERE paused = 1")) }
    }

    public func setPaused(_ persona: String, _ paused: Bool) async throws(GatewayError) {
        do {
            try await pool.write { db in
                try db.execute(
                    sql: "INSERT INTO persona_state (persona, paused) VALUES (?, ?) ON CONFLICT(persona) DO UPDATE SET paused = excluded.paused",
                    arguments: [persona, paused])
            }
        } catch {
            throw .storeUnavailable
        }
    }

    public func isMuted(botID: String, by userID: String, postID: String) async throws(GatewayError) -> Bool {
        try await read { db in
            try Bool.fetchOne(
                db, sql: "SELECT 1 FROM mutes WHERE user_id = ? AND bot_id = ? AND scope IN ('all', ?)", arguments: [userID, botID, "thread:\(postID)"]
            ) ?? false
        }
    }

    public func context(postID: String, commentID: String?) async throws(GatewayError) -> ThreadContext {
        try await read { db in
            guard let postRow = try Row.fetchOne(db, sql: "SELECT * FROM posts WHERE id = ? AND deleted = 0", arguments: [postID]) else {
                throw WriteRecords.noSuchPost(postID)
            }
            let post = try Self.post(from: postRow, in: db)
            guard let commentID else { return ReadRules.context(post: post, chain: []) }
            let chain = try Row.fetchAll(
                db,
                sql: """
                    WITH RECURSIVE chain(cid, n) AS (
                        SELECT ?, 0
                        UNION ALL SELECT c.parent_id, chain.n + 1 FROM comments c JOIN chain ON c.id = chain.cid
                        WHERE c.post_id = ? AND c.parent_id IS NOT NULL AND chain.n < ?)
                    SELECT comments.* FROM comments JOIN chain ON comments.id = chain.cid WHERE comments.post_id = ? ORDER BY chain.n
                    """,
                arguments: [commentID, postID, ReadRules.longestChain - 1, postID]
            ).map(Self.comment(from:))
            return ReadRules.context(post: post, chain: chain)
        }
    }
}
