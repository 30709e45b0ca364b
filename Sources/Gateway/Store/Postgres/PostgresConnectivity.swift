import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import GatewayProtocol

/// How this gateway talks to PostgreSQL: the pool's and the dedicated connections' settings, the
/// names scoped by schema, and which errors mean "the database is not reachable".
extension PostgresLocation {
    /// The pool for writes and reads. Every connection starts with `search_path` set to the
    /// cluster's schema, so statements name tables unqualified.
    func clientConfiguration() -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: clientTLS)
        configuration.options.additionalStartupParameters = [("search_path", schema), ("application_name", "gatewayd")]
        configuration.options.connectTimeout = .seconds(3)
        configuration.options.minimumConnections = 1
        configuration.options.maximumConnections = 8
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(10))
        return configuration
    }

    /// What a connection of its own is for; it names the connection in `pg_stat_activity`.
    enum Role: String, CaseIterable {
        case migrate = "gatewayd-migrate"
        case writer = "gatewayd-writer"
        case bus = "gatewayd-bus"
        case leases = "gatewayd-leases"

        /// The id postgres-nio shows in its log lines for the connection.
        var connectionID: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    }

    /// A connection of its own, outside the pool: the writer, the bus's LISTEN and the persona
    /// leases, whose state (a transaction, listening, advisory locks) belongs to one session.
    func connectionConfiguration(_ role: Role) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: connectionTLS)
        configuration.options.additionalStartupParameters = [("search_path", schema), ("application_name", role.rawValue)]
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }

    private var clientTLS: PostgresClient.Configuration.TLS {
        switch tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    private var connectionTLS: PostgresConnection.Configuration.TLS {
        guard tls != .disable, let context = try? NIOSSLContext(configuration: .makeClientConfiguration()) else { return .disable }
        return tls == .require ? .require(context) : .prefer(context)
    }

    /// The NOTIFY channel of committed events, one per schema so clusters sharing a database
    /// do not hear each other.
    var eventsChannel: String { "gatewayd_events_\(schema)" }
    var ephemeralChannel: String { "gatewayd_ephemeral_\(schema)" }

    /// The text an advisory lock key is hashed from.
    func lockName(_ purpose: String) -> String { "gatewayd:\(schema):\(purpose)" }
}

enum PostgresFailure {
    /// The error underneath a transaction's wrapper: the one that made it fail.
    static func cause(_ error: any Error) -> any Error {
        guard let transaction = error as? PostgresTransactionError else { return error }
        return transaction.beginError ?? transaction.closureError ?? transaction.commitError ?? transaction.rollbackError ?? error
    }

    /// Whether the error means the database (not the request) is at fault: connection lost or
    /// refused, server shutting down, out of disk, too many connections.
    static func isUnavailable(_ error: any Error) -> Bool {
        let error = cause(error)
        guard let psql = error as? PSQLError else { return !(error is GatewayError) }
        guard let state = psql.serverInfo?[.sqlState] else { return true }
        // 08: connection exception, 53: insufficient resources, 57: operator intervention
        // (admin shutdown, cannot connect now), 58: system error, 40: transaction rollback
        // (serialization failure, deadlock): all retryable by the client.
        return ["08", "53", "57", "58", "40"].contains(String(state.prefix(2)))
    }

    /// A one-line account for logs: the server's message when there is one.
    static func describe(_ error: any Error) -> String {
        let error = cause(error)
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                return "\(message) (SQLSTATE \(psql.serverInfo?[.sqlState] ?? "?"))"
            }
            return "\(psql.code)" + (psql.underlying.map { ": \($0)" } ?? "")
        }
        return "\(error)"
    }
}


extension PostgresLocation {
    /// Keeps a connection of its own open for `use` until cancelled: opens it, runs `use` until
    /// that ends or fails, closes it, calls `lost`, waits (from 100 ms, doubling up to
    /// `longestWait`) and opens another. An outage is logged once, when it starts (saying what it
    /// means, `whileLost`), and once when it ends.
    func keepConnected(_ role: Role, logger: Logger, whileLost: String, longestWait: Duration,
                       lost: () async -> Void, _ use: (PostgresConnection) async throws -> Void) async {
        var wait = Duration.milliseconds(100)
        var failures = 0
        while !Task.isCancelled {
            var connection: PostgresConnection?
            do {
                let opened = try await PostgresConnection.connect(configuration: connectionConfiguration(role), id: role.connectionID, logger: logger)
                connection = opened
                if failures > 0 { logger.notice("\(role.rawValue): connected to PostgreSQL again after \(failures) failed attempts.") }
                failures = 0
                wait = .milliseconds(100)
                try await use(opened)
            } catch where !Task.isCancelled {
                if failures == 0 {
                    logger.warning("\(role.rawValue): lost PostgreSQL (\(PostgresFailure.describe(error))); \(whileLost)")
                }
            } catch {}
            try? await connection?.close()
            await lost()
            if Task.isCancelled { break }
            failures += 1
            try? await Task.sleep(for: wait)
            wait = min(wait * 2, longestWait)
        }
    }
}
