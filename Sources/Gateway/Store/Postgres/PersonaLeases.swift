public import Logging
import PostgresNIO

/// Which personas this node runs, in a cluster: a persona is run by the node that holds its
/// PostgreSQL advisory lock. The locks are held by a connection of this node's own, so they go
/// when the node dies (its connection closes) or loses PostgreSQL; every `interval` each node
/// tries to take the personas nobody holds. A persona is thus run by at most one live node and,
/// within about one interval of its owner's end, by another.
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
        var held: Set<String> = []
        while !Task.isCancelled {
            let wanted = await runner.personaIDs()
            for id in held.subtracting(wanted) {
                _ = try await ask("SELECT pg_advisory_unlock(hashtextextended(\(location.lockName("persona:" + id)), 0))", on: connection)
                held.remove(id)
            }
            for id in wanted.subtracting(held).sorted() {
                let rows = try await ask("SELECT pg_try_advisory_lock(hashtextextended(\(location.lockName("persona:" + id)), 0))", on: connection)
                if try rows.first?.decode(Bool.self) == true { held.insert(id) }
            }
            // Proves the connection (and so the locks) still alive when there was nothing to try.
            if wanted.isSubset(of: held) { _ = try await ask("SELECT 1", on: connection) }
            await runner.setOwned(held)
            try await Task.sleep(for: interval)
        }
    }
}
