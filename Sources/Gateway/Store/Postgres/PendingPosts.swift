import Logging
import PostgresNIO
import GatewayProtocol

/// New posts of a batch that ask the database nothing (no mention to look up, their `client_id`
/// record already read with the batch's), held back and then written together in one statement
/// with their authors' rows: a batch of posts costs one round trip instead of one per post, which
/// is most of a write's time on PostgreSQL. The store writes them before any other write of the
/// batch runs a statement, so every write still sees the ones before it.
struct PendingPosts {
    struct Written {
        /// The write's place in the batch.
        var index: Int
        var receipt: WriteReceipt
        var events: [StoredEvent]
    }

    private struct Held {
        var index: Int
        var plan: WritePlan
        var post: Post
        var event: WritePlan.Event
        /// The ack up to the post's offset (`WriteRecords.createdResultPrefix`).
        var ackPrefix: String
    }

    private var held: [Held] = []
    /// The `client_id` records the held posts will write (`ExactText.clientRecord`).
    private(set) var recordKeys: Set<ExactText> = []

    var isEmpty: Bool { held.isEmpty }

    /// Holds `plan` if it is a new post whose only event is its `post.created` on `feed` (the one
    /// shape `write` knows); false otherwise.
    mutating func hold(_ plan: WritePlan, at index: Int) -> Bool {
        guard plan.erasure == nil, let post = plan.post, plan.events.count == 1, plan.events[0].stream == "feed",
            case .created(let prefix) = plan.ack,
            plan.changes.allSatisfy({ change in
                switch change {
                case .insertPost: true
                case .saveUser(let user): user == plan.author
                default: false
                }
            })
        else { return false }
        held.append(Held(index: index, plan: plan, post: post, event: plan.events[0], ackPrefix: prefix))
        if let record = plan.record { recordKeys.insert(ExactText.clientRecord(of: plan.author.id, clientID: record.clientID)) }
        return true
    }

    /// Writes the held posts, the author rows they save, their events (offsets after the feed's
    /// last, `seq` from `nextSeq`) and their `client_id` records in one statement, and empties the list.
    mutating func write(on connection: PostgresConnection, nextSeq: inout Int64, logger: Logger) async throws -> [Written] {
        guard !held.isEmpty else { return [] }
        defer {
            held.removeAll(keepingCapacity: true)
            recordKeys.removeAll(keepingCapacity: true)
        }
        let rows = Self.rowsJSON(held)
        let count = Int64(held.count)
        // Every part reads the feed's offset as it was before this statement (one snapshot).
        let query: PostgresQuery = #"""
            WITH x AS (
                SELECT * FROM jsonb_to_recordset(\#(rows)::jsonb) AS x(
                    n bigint, id text, save_author boolean, author_id text, author_name text, author_kind text, author_role text,
                    author_persona text, body text,
                    created_at bigint, bots boolean, generated_persona text, generated_engine text, generated_model text,
                    type text, data text, client_id text, fingerprint text, prefix text)
            ),
            base AS (SELECT last_offset FROM streams WHERE name = 'feed'),
            users_in AS (
                -- One row per author (a statement may change a row once): the latest of the batch.
                INSERT INTO users (id, name, kind, role, persona)
                SELECT DISTINCT ON (author_id) author_id, author_name, author_kind, author_role, author_persona
                FROM x WHERE save_author ORDER BY author_id, n DESC
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, role = excluded.role, persona = excluded.persona
            ),
            posts_in AS (
                INSERT INTO posts (id, author_id, author_name, author_role, author_persona, body, created_at, bots,
                    generated_persona, generated_engine, generated_model)
                SELECT id, author_id, author_name, author_role, author_persona, body, created_at, bots,
                    generated_persona, generated_engine, generated_model FROM x
            ),
            events_in AS (
                INSERT INTO events (seq, stream, "offset", type, ts, data)
                SELECT \#(nextSeq) + n - 1, 'feed', base.last_offset + n, type, created_at, data FROM x, base
            ),
            records_in AS (
                INSERT INTO idempotency (user_id, client_id, fingerprint, result, created_at)
                SELECT author_id, client_id, fingerprint, prefix || (base.last_offset + n)::text || '}', created_at
                FROM x, base WHERE client_id IS NOT NULL
            ),
            head AS (UPDATE streams SET last_offset = last_offset + \#(count) WHERE name = 'feed')
            SELECT last_offset FROM base
            """#
        guard let last = try await connection.query(query, logger: logger).collect().first?.decode(Int64.self) else {
            throw GatewayError(.internal, "The feed's stream row is missing; was the schema changed by hand?")
        }
        nextSeq += count
        return held.enumerated().map { position, post in
            let (receipt, events) = post.plan.applied(offsets: [last + Int64(position) + 1])
            return Written(index: post.index, receipt: receipt, events: events)
        }
    }

    /// The held posts as one JSON array, `n` counting from 1 in order.
    private static func rowsJSON(_ held: [Held]) -> String {
        var writer = JSONWriter(capacity: held.count * 512)
        writer.beginArray()
        for (position, item) in held.enumerated() {
            let (post, author) = (item.post, item.plan.author)
            writer.separator()
            writer.beginObject()
            writer.field("n", position + 1)
            writer.field("id", post.id)
            writer.field("save_author", item.plan.changes.contains(.saveUser(author)))
            writer.field("author_id", author.id)
            writer.field("author_name", author.name)
            writer.field("author_kind", author.kind.rawValue)
            writer.field("author_role", author.role.rawValue)
            writer.field("author_persona", author.persona)
            writer.field("body", post.body)
            writer.field("created_at", item.plan.now.milliseconds)
            writer.field("bots", post.botsEnabled)
            writer.field("generated_persona", post.generated?.persona)
            writer.field("generated_engine", post.generated?.engine)
            writer.field("generated_model", post.generated?.model)
            writer.field("type", item.event.type.rawValue)
            writer.field("data", item.event.dataJSON)
            writer.field("client_id", item.plan.record?.clientID)
            writer.field("fingerprint", item.plan.record?.fingerprint)
            writer.field("prefix", item.ackPrefix)
            writer.endObject()
        }
        writer.endArray()
        return writer.text
    }
}
