import Foundation
import GRDB
import Logging
import PostgresNIO
@testable import Gateway

extension TestServer {
    /// Runs `sql` on the server's own database, beside the server: its SQLite file, or its
    /// PostgreSQL schema. Returns each row's columns as text (select text, or cast to it).
    @discardableResult
    func storeSQL(_ sql: String) async throws -> [[String?]] {
        switch try Self.storeLocation(for: dataDirectory) {
        case .sqlite:
            // Waits for a lock as the server's own connections do, rather than fail at once.
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            let database = try DatabaseQueue(path: (dataDirectory as NSString).appendingPathComponent("gatewayd.sqlite"), configuration: configuration)
            defer { try? database.close() }
            return try await database.write { db in
                try Row.fetchAll(db, sql: sql).map { row in (0..<row.count).map { row[$0] as String? } }
            }
        case .postgres(let location):
            let logger = Logger(label: "test-store-access")
            let connection = try await PostgresConnection.connect(configuration: location.connectionConfiguration(.migrate), id: 99, logger: logger)
            do {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
                    .map { row in try row.map { cell in try cell.decode(String?.self) } }
                try await connection.close()
                return rows
            } catch {
                try? await connection.close()
                throw error
            }
        }
    }
}
