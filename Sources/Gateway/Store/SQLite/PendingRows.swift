import GRDB

/// Rows a batch appends to one table, held until the batch ends or one of its writes is about to
/// read tables, then written with one multi-row INSERT per chunk (`DirectStatement`). A batch of
/// 200 posts costs a handful of statements per table instead of one per row: a statement's start
/// and end (its program's setup and halt, the step and reset calls) are paid per chunk.
struct PendingRows: Sendable {
    /// A table's INSERT for each chunk size, built once.
    struct Table: Sendable {
        /// Chunk sizes, largest first: a batch of any size needs at most a few statements of each,
        /// and the table has only this many prepared statements in the connection's cache.
        private static let chunkSizes = [64, 16, 4, 1]

        let columnCount: Int
        fileprivate let inserts: [(rows: Int, sql: String)]

        init(_ name: String, columns: [String]) {
            columnCount = columns.count
            let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            let head = "INSERT INTO \(name) (\(columns.joined(separator: ", "))) VALUES "
            inserts = Self.chunkSizes.map { rows in (rows, head + Array(repeating: row, count: rows).joined(separator: ", ")) }
        }
    }

    let table: Table
    private var values: [SQLValue] = []

    init(_ table: Table) {
        self.table = table
    }

    var rowCount: Int { values.count / table.columnCount }

    /// Adds one row, its values in the table's column order.
    mutating func append(_ row: SQLValue...) {
        precondition(row.count == table.columnCount, "a row needs a value for each of the table's columns")
        values.append(contentsOf: row)
    }

    /// Writes the rows held, in the order they came, and forgets them.
    mutating func write(in db: Database) throws {
        var start = values.startIndex
        for (rows, sql) in table.inserts where values.endIndex - start >= rows * table.columnCount {
            let statement = try DirectStatement(sql, in: db)
            while values.endIndex - start >= rows * table.columnCount {
                let end = start + rows * table.columnCount
                try statement.run(values[start..<end])
                start = end
            }
        }
        discard()
    }

    /// Forgets the rows held (written, or their batch failed).
    mutating func discard() {
        values.removeAll(keepingCapacity: true)
    }
}
