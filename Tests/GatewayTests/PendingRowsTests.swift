import Foundation
import GRDB
import Testing
@testable import Gateway

/// The SQLite writer's held rows (`PendingRows`, `DirectStatement`), on a real SQLite file.
@Suite("A batch's held rows")
struct PendingRowsTests {
    private static let table = PendingRows.Table("t", columns: ["n", "text", "maybe"])

    private static func withDatabase(_ body: (DatabaseQueue) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "gatewayd-pending-rows-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER NOT NULL, text TEXT NOT NULL, maybe TEXT)") }
        try body(queue)
    }

    @Test("85 rows (every chunk size: 64, 16, 4, 1), twice, are each written once, in order, their text exact")
    func everyChunkSize() throws {
        try Self.withDatabase { queue in
            var expected: [[String?]] = []
            try queue.write { db in
                var rows = PendingRows(Self.table)
                // The second round runs the statements the first one prepared and left in the cache.
                for round in 0..<2 {
                    for n in 0..<85 {
                        let number = Int64(round * 100 + n)
                        let text = "é \(number) 中文 🎉 \"quoted\""
                        let maybe: String? = n.isMultiple(of: 3) ? nil : "m\(number)"
                        rows.append(.integer(number), .text(text), SQLValue(maybe))
                        expected.append(["\(number)", text, maybe])
                    }
                    try rows.write(in: db)
                    #expect(rows.rowCount == 0)
                }
            }
            let stored = try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT n, text, maybe FROM t ORDER BY rowid").map { row -> [String?] in
                    ["\(row["n"] as Int64)", row["text"], row["maybe"]]
                }
            }
            #expect(stored == expected)
        }
    }

    @Test("a held row that breaks a constraint fails the write with SQLite's constraint error, not a storage failure")
    func constraintError() throws {
        try Self.withDatabase { queue in
            #expect {
                try queue.write { db in
                    var rows = PendingRows(Self.table)
                    rows.append(.integer(1), .null, .null)
                    try rows.write(in: db)
                }
            } throws: { error in
                guard let error = error as? DatabaseError else { return false }
                return error.resultCode == .SQLITE_CONSTRAINT && !SQLiteStore.isStorageFailure(error)
            }
            let count = try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") }
            #expect(count == 0)
        }
    }
}
