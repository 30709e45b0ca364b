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
        let count = Int64(held.count)
        var last: Int64?
        for try await offset in try await connection.execute(InsertHeldPosts(held: held, firstSeq: nextSeq), logger: logger) { last = offset }
        guard let last else {
            throw GatewayError(.internal, "The feed's stream row is missing; was the schema changed by hand?")
        }
        nextSeq += count
        return held.enumerated().map { position, post in
            let (receipt, events) = post.plan.applied(offsets: [last + Int64(position) + 1])
            return Written(index: post.index, receipt: receipt, events: events)
        }
    }

    /// The statement of `write`: a prepared statement, parsed and planned once per connection
    /// instead of once per batch. One array per column, unnested side by side, so the rows travel
    /// as their values' bytes; every part reads the feed's offset as it was before the statement.
    private struct InsertHeldPosts: PostgresPreparedStatement {
        typealias Row = Int64
        /// Within PostgreSQL's 63 bytes (the default, the type's full name, is not).
        static let name = "gatewayd_insert_held_posts"

        static let sql = #"""
            WITH x AS (
                SELECT * FROM unnest(
                    $1::text[], $2::boolean[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                    $9::bigint[], $10::boolean[], $11::text[], $12::text[], $13::text[],
                    $14::text[], $15::text[], $16::text[], $17::text[], $18::text[]
                ) WITH ORDINALITY AS x(
                    id, save_author, author_id, author_name, author_kind, author_role, author_persona, body,
                    created_at, bots, generated_persona, generated_engine, generated_model,
                    type, data, client_id, fingerprint, prefix, n)
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
                SELECT $19::bigint + n - 1, 'feed', base.last_offset + n, type, created_at, data FROM x, base
            ),
            records_in AS (
                INSERT INTO idempotency (user_id, client_id, fingerprint, result, created_at)
                SELECT author_id, client_id, fingerprint, prefix || (base.last_offset + n)::text || '}', created_at
                FROM x, base WHERE client_id IS NOT NULL
            ),
            head AS (UPDATE streams SET last_offset = last_offset + $20::bigint WHERE name = 'feed')
            SELECT last_offset FROM base
            """#

        let held: [Held]
        let firstSeq: Int64

        func makeBindings() -> PostgresBindings {
            func column(_ value: (Held) -> String?) -> NullableTextArray { NullableTextArray(held.map(value)) }
            var bindings = PostgresBindings(capacity: 20)
            bindings.append(column { $0.post.id })
            bindings.append(held.map { $0.plan.changes.contains(.saveUser($0.plan.author)) })
            bindings.append(column { $0.plan.author.id })
            bindings.append(column { $0.plan.author.name })
            bindings.append(column { $0.plan.author.kind.rawValue })
            bindings.append(column { $0.plan.author.role.rawValue })
            bindings.append(column { $0.plan.author.persona })
            bindings.append(column { $0.post.body })
            bindings.append(held.map { $0.plan.now.milliseconds })
            bindings.append(held.map { $0.post.botsEnabled })
            bindings.append(column { $0.post.generated?.persona })
            bindings.append(column { $0.post.generated?.engine })
            bindings.append(column { $0.post.generated?.model })
            bindings.append(column { $0.event.type.rawValue })
            bindings.append(column { $0.event.dataJSON })
            bindings.append(column { $0.plan.record?.clientID })
            bindings.append(column { $0.plan.record?.fingerprint })
            bindings.append(column { $0.ackPrefix })
            bindings.append(firstSeq)
            bindings.append(Int64(held.count))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int64 {
            try row.decode(Int64.self)
        }
    }
}
