import GRDB
import GatewayProtocol

extension SQLiteStore {
    /// Schema changes, applied in order at start; never edit a registered migration, add one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE users (
                        id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, role TEXT NOT NULL, persona TEXT
                    );
                    CREATE INDEX users_persona ON users(persona) WHERE persona IS NOT NULL;
                    CREATE TABLE posts (
                        id TEXT PRIMARY KEY,
                        author_id TEXT NOT NULL, author_name TEXT NOT NULL, author_role TEXT NOT NULL, author_persona TEXT,
                        body TEXT NOT NULL, created_at INTEGER NOT NULL, comment_count INTEGER NOT NULL DEFAULT 0,
                        bots INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE comments (
                        id TEXT PRIMARY KEY, post_id TEXT NOT NULL, parent_id TEXT,
                        author_id TEXT NOT NULL, author_name TEXT NOT NULL, author_role TEXT NOT NULL, author_persona TEXT,
                        body TEXT NOT NULL, created_at INTEGER NOT NULL, depth INTEGER NOT NULL,
                        generated_persona TEXT, generated_engine TEXT, generated_model TEXT,
                        deleted INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX comments_post ON comments(post_id, id);
                    CREATE TABLE reactions (
                        target TEXT NOT NULL, emoji TEXT NOT NULL, user_id TEXT NOT NULL, created_at INTEGER NOT NULL,
                        PRIMARY KEY (target, emoji, user_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE streams (name TEXT PRIMARY KEY, last_offset INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE TABLE events (
                        stream TEXT NOT NULL, "offset" INTEGER NOT NULL, type TEXT NOT NULL, ts INTEGER NOT NULL, data TEXT NOT NULL,
                        PRIMARY KEY (stream, "offset")
                    ) WITHOUT ROWID;
                    CREATE INDEX events_ts ON events(ts);
                    CREATE TABLE idempotency (
                        user_id TEXT NOT NULL, client_id TEXT NOT NULL, fingerprint TEXT NOT NULL, result TEXT NOT NULL,
                        created_at INTEGER NOT NULL, PRIMARY KEY (user_id, client_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX idempotency_age ON idempotency(created_at);
                    CREATE TABLE mutes (
                        user_id TEXT NOT NULL, bot_id TEXT NOT NULL, scope TEXT NOT NULL, PRIMARY KEY (user_id, bot_id, scope)
                    ) WITHOUT ROWID;
                    INSERT INTO streams (name, last_offset) VALUES ('feed', 0);
                    """
            )
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('epoch', ?)", arguments: [IDGenerator.random("e")])
        }
        registerBotMigrations(&migrator)
        migrator.registerMigration("v5-recent-client-records") { db in
            // Appended to without an index; see `RecentClientRecords`.
            try db.execute(
                sql: """
                    CREATE TABLE idempotency_recent (
                        user_id TEXT NOT NULL, client_id TEXT NOT NULL, fingerprint TEXT NOT NULL, result TEXT NOT NULL, created_at INTEGER NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v6-fingerprint-digests") { db in
            // Records kept their write's canonical text, body included; they keep its digest now.
            let digest = DatabaseFunction("gatewayd_fingerprint_digest", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0]).map(WriteFingerprint.digest(of:))
            }
            db.add(function: digest)
            defer { db.remove(function: digest) }
            try db.execute(
                sql: """
                    UPDATE idempotency SET fingerprint = gatewayd_fingerprint_digest(fingerprint);
                    UPDATE idempotency_recent SET fingerprint = gatewayd_fingerprint_digest(fingerprint);
                    """
            )
        }
        migrator.registerMigration("v7-narrow-idempotency-keys") { db in
            // Records are written once, in rowid order, and keyed by narrow rows; see
            // `RecentClientRecords`. The records already keyed come first, then the recent ones; a
            // key in both tables (which no write makes) keeps its recent record, as before.
            try db.execute(
                sql: """
                    CREATE TABLE idempotency_records (
                        id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
                        result TEXT NOT NULL, created_at INTEGER NOT NULL
                    );
                    CREATE INDEX idempotency_recent_key ON idempotency_recent(user_id, client_id);
                    INSERT INTO idempotency_records (user_id, client_id, fingerprint, result, created_at)
                        SELECT user_id, client_id, fingerprint, result, created_at FROM idempotency k
                        WHERE NOT EXISTS (SELECT 1 FROM idempotency_recent r WHERE r.user_id = k.user_id AND r.client_id = k.client_id)
                        ORDER BY created_at;
                    CREATE TABLE idempotency_keys (
                        user_id TEXT NOT NULL, client_id TEXT NOT NULL, record INTEGER NOT NULL, created_at INTEGER NOT NULL,
                        PRIMARY KEY (user_id, client_id)
                    ) WITHOUT ROWID;
                    INSERT INTO idempotency_keys (user_id, client_id, record, created_at)
                        SELECT user_id, client_id, id, created_at FROM idempotency_records ORDER BY user_id, client_id;
                    CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at);
                    INSERT INTO meta (key, value)
                        VALUES ('idempotency_keyed_through', (SELECT coalesce(max(id), 0) FROM idempotency_records));
                    INSERT INTO idempotency_records (user_id, client_id, fingerprint, result, created_at)
                        SELECT user_id, client_id, fingerprint, result, created_at FROM idempotency_recent ORDER BY rowid;
                    DROP TABLE idempotency;
                    DROP TABLE idempotency_recent;
                    """
            )
        }
        return migrator
    }

    static func upsertUser(_ user: User, in db: Database) throws {
        try db.cachedStatement(sql: """
                INSERT INTO users (id, name, kind, role, persona) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind, role = excluded.role, persona = excluded.persona
                """).execute(arguments: [user.id, user.name, user.kind.rawValue, user.role.rawValue, user.persona]
        )
    }

    static func livePostExists(_ postID: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM posts WHERE id = ? AND deleted = 0", arguments: [postID]) ?? false
    }

    static func author(from row: Row) -> User {
        User(
            id: row["author_id"], name: row["author_name"],
            role: User.Role(rawValue: row["author_role"]) ?? .user, persona: row["author_persona"]
        )
    }

    static func post(from row: Row, in db: Database) throws -> Post {
        let id: String = row["id"]
        var generated: Comment.Generated?
        if let persona: String = row["generated_persona"] {
            generated = .init(persona: persona, engine: row["generated_engine"] ?? "offline", model: row["generated_model"] ?? "")
        }
        let reactions = try Row.fetchAll(
            db, sql: "SELECT emoji, COUNT(*) AS n FROM reactions WHERE target = ? GROUP BY emoji ORDER BY MIN(created_at), emoji",
            arguments: [id]
        ).map { (emoji: $0["emoji"] as String, count: $0["n"] as Int) }
        return Post(
            id: id, author: author(from: row), body: row["body"], createdAt: Timestamp(milliseconds: row["created_at"]),
            commentCount: row["comment_count"], reactions: reactions, botsEnabled: row["bots"] as Bool, generated: generated
        )
    }

    static func comment(from row: Row) -> Comment {
        var generated: Comment.Generated?
        if let persona: String = row["generated_persona"] {
            generated = .init(persona: persona, engine: row["generated_engine"] ?? "offline", model: row["generated_model"] ?? "")
        }
        return Comment(
            id: row["id"], postID: row["post_id"], parentID: row["parent_id"], author: author(from: row), body: row["body"],
            createdAt: Timestamp(milliseconds: row["created_at"]), depth: row["depth"], generated: generated
        )
    }
}
