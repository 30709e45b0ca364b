import Foundation
import Testing
@testable import Gateway

/// `gatewayd backup` and `restore` (operator guide): a consistent copy taken while writes go on,
/// restored under a new epoch.
@Suite("Backup and restore", .enabled(if: !TestServer.onPostgres, "gatewayd backup copies the SQLite file; PostgreSQL has pg_dump"), .stopsServers)
struct BackupTests {
    @Test("a backup taken while writing holds every acknowledged write before it; a restore keeps them under a new epoch")
    func backupWhileWriting() async throws {
        let server = try await TestServer.start { $0.writeLimits = .init(postsPerMinute: 10_000, commentsPerMinute: 10_000) }
        let alice = try await server.identified("u_alice")
        for number in 1...20 {
            try await alice.send(["op": "post", "id": number, "body": "Before the backup \(number)", "client_id": "b\(number)"])
            _ = try await alice.expect("ack")
        }
        let oldEpoch = try await server.http("GET", "/v1/feed?limit=1").json.string("epoch")
        // Writes keep coming while the copy is taken.
        let writer = Task {
            for number in 21...60 {
                try await alice.send(["op": "post", "id": number, "body": "During the backup \(number)", "client_id": "b\(number)"])
                _ = try await alice.expect("ack")
            }
        }
        let backup = TestServer.temporaryDirectory() + "/copy.sqlite"
        let report = try SQLiteBackup.copy(dataDirectory: server.dataDirectory, to: backup)
        #expect(report.pages > 0)
        try await writer.value
        #expect(throws: SQLiteBackup.BackupError.self) { try SQLiteBackup.copy(dataDirectory: server.dataDirectory, to: backup) }
        await server.stop()

        let restoredData = TestServer.temporaryDirectory()
        let epoch = try SQLiteBackup.restore(from: backup, dataDirectory: restoredData)
        #expect(throws: SQLiteBackup.BackupError.self) { _ = try SQLiteBackup.restore(from: backup, dataDirectory: restoredData) }
        let restored = try await TestServer.start(dataDirectory: restoredData)
        let feed = try await restored.http("GET", "/v1/feed?limit=100").json
        let bodies = (feed["posts"] as? [[String: Any]] ?? []).compactMap { $0.string("body") }
        for number in 1...20 { #expect(bodies.contains("Before the backup \(number)")) }
        #expect(bodies.count >= 20 && bodies.count <= 60)
        #expect(feed.string("epoch") == epoch)
        #expect(epoch != oldEpoch)
        #expect(feed.int("offset") == bodies.count, "offsets stay contiguous in the copy")
    }
}
