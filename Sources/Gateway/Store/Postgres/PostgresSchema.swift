import GatewayProtocol
import Logging
import PostgresNIO

/// The PostgreSQL schema: the same tables as the SQLite store, plus the cluster's log head. Ids
/// compare bytewise (`COLLATE "C"`), since their order is their creation order.
///
/// `events.seq` numbers every event of the cluster in commit order with no gap: each write
/// transaction first locks the single `log_head` row, so transactions that append events run one
/// after another, and `seq` continues from the head. A node that missed notifications reads
/// `seq > last delivered` to catch up.
enum PostgresSchema {
    /// Applied in order at start, each once; never edit one, add another.
    static let migrations: [(name: String, statements: [String])] = [
        (
            "v1",
            [
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, role TEXT NOT NULL, persona TEXT)",
                "CREATE INDEX users_persona ON users (persona) WHERE persona IS NOT NULL",
                """
                CREATE TABLE posts (
                    id TEXT COLLATE "C" PRIMARY KEY,
                    author_id TEXT NOT NULL, author_name TEXT NOT NULL, author_role TEXT NOT NULL, author_persona TEXT,
                    body TEXT NOT NULL, created_at BIGINT NOT NULL, comment_count BIGINT NOT NULL DEFAULT 0,
                    bots BOOLEAN NOT NULL, deleted BOOLEAN NOT NULL DEFAULT FALSE
                )
                """,
                "CREATE INDEX posts_openers ON posts (created_at) WHERE author_persona IS NOT NULL",
                """
                CREATE TABLE comments (
                    id TEXT COLLATE "C" PRIMARY KEY, post_id TEXT NOT NULL, parent_id TEXT,
                    author_id TEXT NOT NULL, author_name TEXT NOT NULL, author_role TEXT NOT NULL, author_persona TEXT,
                    body TEXT NOT NULL, created_at BIGINT NOT NULL, depth BIGINT NOT NULL,
                    generated_persona TEXT, generated_engine TEXT, generated_model TEXT,
                    deleted BOOLEAN NOT NULL DEFAULT FALSE
                )
                """,
                "CREATE INDEX comments_post ON comments (post_id, id)",
                "CREATE INDEX comments_generated ON comments (created_at) WHERE generated_persona IS NOT NULL",
                """
                CREATE TABLE reactions (
                    target TEXT NOT NULL, emoji TEXT NOT NULL, user_id TEXT NOT NULL, created_at BIGINT NOT NULL,
                    PRIMARY KEY (target, emoji, user_id)
                )
                """,
                "CREATE TABLE streams (name TEXT PRIMARY KEY, last_offset BIGINT NOT NULL)",
                """
                CREATE TABLE events (
                    seq BIGINT PRIMARY KEY, stream TEXT NOT NULL, "offset" BIGINT NOT NULL, type TEXT NOT NULL,
                    ts BIGINT NOT NULL, data TEXT NOT NULL, UNIQUE (stream, "offset")
                )
                """,
                "CREATE INDEX events_ts ON events (ts)",
                "CREATE TABLE log_head (id INT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL)",
                "INSERT INTO log_head (id, seq) VALUES (1, 0)",
                """
                CREATE TABLE idempotency (
                    user_id TEXT NOT NULL, client_id TEXT NOT NULL, fingerprint TEXT NOT NULL, result TEXT NOT NULL,
                    created_at BIGINT NOT NULL, PRIMARY KEY (user_id, client_id)
                )
                """,
                "CREATE INDEX idempotency_age ON idempotency (created_at)",
                "CREATE TABLE mutes (user_id TEXT NOT NULL, bot_id TEXT NOT NULL, scope TEXT NOT NULL, PRIMARY KEY (user_id, bot_id, scope))",
                """
                CREATE TABLE bot_decisions (
                    id BIGSERIAL PRIMARY KEY, persona TEXT NOT NULL, at BIGINT NOT NULL, trigger TEXT NOT NULL,
                    item_id TEXT NOT NULL, post_id TEXT NOT NULL, outcome TEXT NOT NULL, rule TEXT NOT NULL, detail TEXT NOT NULL
                )
                """,
                "CREATE INDEX bot_decisions_persona ON bot_decisions (persona, id)",
                "CREATE INDEX bot_decisions_item ON bot_decisions (item_id)",
                "CREATE TABLE persona_state (persona TEXT PRIMARY KEY, paused BOOLEAN NOT NULL)",
                "INSERT INTO streams (name, last_offset) VALUES ('feed', 0)",
            ]
        ),
        (
            "v2-situations",
            [
                "ALTER TABLE bot_decisions ADD COLUMN situation TEXT NOT NULL DEFAULT ''",
                """
                CREATE TABLE moderation_flags (
                    key TEXT PRIMARY KEY, at BIGINT NOT NULL, reason TEXT NOT NULL, situation TEXT NOT NULL, item_id TEXT NOT NULL,
                    post_id TEXT NOT NULL, persona TEXT NOT NULL, bot_action TEXT NOT NULL, rule TEXT NOT NULL, text TEXT NOT NULL
                )
                """,
                "CREATE INDEX moderation_flags_at ON moderation_flags (at)",
            ]
        ),
        (
            // A bot's post carries the AI label like its comments; mentions find bots by name
            // through an index.
            "v3-trust",
            [
                "ALTER TABLE posts ADD COLUMN generated_persona TEXT, ADD COLUMN generated_engine TEXT, ADD COLUMN generated_model TEXT",
                "CREATE INDEX users_bot_name ON users (lower(name)) WHERE kind = 'bot'",
                "CREATE INDEX moderation_flags_item ON moderation_flags (item_id)",
            ]
        ),
        (
            // Records kept their write's canonical text, body included; they keep its digest now
            // (`WriteFingerprint.digest`, the same bytes).
            "v4-fingerprint-digests",
            ["UPDATE idempotency SET fingerprint = left(encode(sha256(convert_to(fingerprint, 'UTF8')), 'hex'), 32)"]
        ),
    ]

    /// Creates the schema if needed and applies the migrations not yet applied, under an advisory
    /// lock so that nodes starting together migrate once.
    static func migrate(_ connection: PostgresConnection, location: PostgresLocation, logger: Logger) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(location.schema)"), logger: logger)
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(location.lockName("migrate")), 0))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: logger)
            var applied: Set<String> = []
            for try await name in try await connection.query("SELECT name FROM schema_migrations", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            for migration in migrations where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                if migration.name == "v1" {
                    try await connection.query("INSERT INTO meta (key, value) VALUES ('epoch', \(IDGenerator.random("e")))", logger: logger)
                }
                try await connection.query("INSERT INTO schema_migrations (name) VALUES (\(migration.name))", logger: logger)
                logger.notice("PostgreSQL schema \(location.schema): migration \(migration.name) applied.")
            }
        }
    }
}
