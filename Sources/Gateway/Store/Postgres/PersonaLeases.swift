public import Logging
import PostgresNIO

/// Which personas this node runs, in a cluster: a persona is run by the node that holds its
/// PostgreSQL advisory lock. The locks are held by a connection of this node's own, so they go
/// when the node dies (its connection closes) or loses PostgreSQL; every `interval` each node
/// tries to take the personas nobody holds. A persona is thus run by at most one live node and,
/// within about one interval of its owner's end, by another.
///
/// The personas are shared out: every node also holds a shared "member" lock, so each counts
/// the live nodes and keeps at most its fair share (the personas divided by the nodes, rounded
/// up). A node that joins takes its share within about two intervals, from those that hold more
/// and let the rest go; meanwhile a persona given up is run by nobody for up to one interval.
public final class PersonaLeases: Sendable {
    let location: PostgresLocation
    let runner: BotRunner
    let interval: Duration
    let logger: Logger

    public init(location: PostgresLocation, runner: BotRunner, interval: Duration, logger: Logger) {
        self.location = location
        self.runner = runner
        self.interval = interval
        self.logger = logger
    }

    /// Holds and renews the leases until cancelled; then the connection closes and they go.
    public func run() async {
        await location.keepConnected(
            .leases, logger: logger, whileLost: "this node runs no persona until it is back.", longestWait: min(interval, .seconds(1)),
            // Whatever this node held went with its connection.
            lost: { await runner.setOwned([]) }
        ) { connection in
            try await hold(on: connection)
        }
    }

    /// One statement on the lease connection, bounded: a connection that stopped answering must
    /// not keep this node believing it holds its leases.
    private func ask(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRow] {
        let logger = self.logger
        return try await withDeadline(max(interval * 2, .seconds(3))) { try await connection.query(query, logger: logger).collect() }
    }

    private func hold(on connection: PostgresConnection) async throws {
        let members = location.lockName("members")
        _ = try await ask("SELECT pg_advisory_lock_shared(hashtextextended(\(members), 0))", on: connection)
        var held: Set<String> = []
        while !Task.isCancelled {
            let wanted = await runner.personaIDs()
            // Also proves the connection (and so the locks) still alive.
            let nodes = try await liveNodes(members, on: connection)
            let share = Self.fairShare(of: wanted.count, among: nodes)
            // The last in order go first, so that the nodes agree on which ones move. The runner
            // lets them go before their locks do, so no other node starts on one while this node
            // still counts it as its own.
            let leaving = held.subtracting(wanted).union(held.intersection(wanted).sorted().dropFirst(share))
            if !leaving.isEmpty {
                held.subtract(leaving)
                await runner.setOwned(held)
                for id in leaving {
                    _ = try await ask("SELECT pg_advisory_unlock(hashtextextended(\(location.lockName("persona:" + id)), 0))", on: connection)
                }
            }
            for id in wanted.subtracting(held).sorted() where held.count < share {
                let rows = try await ask("SELECT pg_try_advisory_lock(hashtextextended(\(location.lockName("persona:" + id)), 0))", on: connection)
                if try rows.first?.decode(Bool.self) == true { held.insert(id) }
            }
            await runner.setOwned(held)
            try await Task.sleep(for: interval)
        }
    }

    /// The personas one node keeps when `nodes` share `personas` (at least one node: this one).
    static func fairShare(of personas: Int, among nodes: Int) -> Int {
        let nodes = max(1, nodes)
        return (personas + nodes - 1) / nodes
    }

    /// How many nodes hold the shared member lock: an advisory lock on a 64-bit key shows in
    /// `pg_locks` with the key's high half as `classid` and its low half as `objid`. `pg_locks`
    /// lists every database's locks, and clusters in two databases may share a schema's name.
    private func liveNodes(_ members: String, on connection: PostgresConnection) async throws -> Int {
        let rows = try await ask(
            """
            WITH k AS (SELECT hashtextextended(\(members), 0) AS key)
            SELECT count(*)::bigint FROM pg_locks, k
            WHERE locktype = 'advisory' AND granted AND objsubid = 1
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid::bigint = (k.key >> 32) & 4294967295 AND objid::bigint = k.key & 4294967295
            """, on: connection)
        return Int(try rows.first?.decode(Int64.self) ?? 1)
    }
}
