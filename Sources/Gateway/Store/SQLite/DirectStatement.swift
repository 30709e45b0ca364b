import GRDB
import GRDBSQLite

/// A value that a `DirectStatement` binds.
enum SQLValue: Sendable {
    case text(String)
    case integer(Int64)
    case null

    init(_ text: String?) {
        self = text.map(SQLValue.text) ?? .null
    }
}

/// One of GRDB's cached statements run with its values bound straight through SQLite's C API.
///
/// Why: on the writer's hot path (a batch's appended rows, a write's `client_id` lookup) GRDB's
/// argument conversion, an existential and an array per value and execution, cost more than
/// SQLite's own insert or lookup. The statement is reset and its bindings cleared before `run`
/// returns, so GRDB may use it again as usual. Only for statements inside a transaction that
/// neither start nor end one, whose errors end the transaction: everything GRDB does around a
/// statement is skipped (its observers, its check that the transaction was not rolled back by an
/// earlier error, its handling of cancellation, which here surfaces as SQLite's interrupt error).
struct DirectStatement {
    /// SQLite copies a text value before `sqlite3_bind_text` returns (the Swift string's bytes
    /// live only for the call).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    private let statement: Statement
    private let connection: SQLiteConnection?

    init(_ sql: String, in db: Database) throws {
        statement = try db.cachedStatement(sql: sql)
        connection = db.sqliteConnection
    }

    /// Binds `values` from the first parameter on, steps once and gives `firstRow` the row it
    /// produced, if any (`nil` when there was none).
    @discardableResult
    func run<Value>(_ values: some Sequence<SQLValue>, firstRow: (_ columns: ColumnReader) -> Value = { _ in () }) throws -> Value? {
        let handle = statement.sqliteStatement
        // A statement that SQLite rolled back with an earlier error must not go on outside the
        // transaction (GRDB checks the same before each statement).
        if let connection, sqlite3_get_autocommit(connection) != 0 {
            throw DatabaseError(resultCode: .SQLITE_ABORT, message: "The transaction was rolled back by an earlier error.", sql: statement.sql)
        }
        sqlite3_reset(handle)
        defer {
            sqlite3_reset(handle)
            // The values bound (up to 64 events' payloads) are not kept alive by the cache.
            sqlite3_clear_bindings(handle)
        }
        var index: CInt = 1
        for value in values {
            let code: CInt
            switch value {
            case .text(let text): code = sqlite3_bind_text(handle, index, text, CInt(text.utf8.count), Self.transient)
            case .integer(let integer): code = sqlite3_bind_int64(handle, index, integer)
            case .null: code = sqlite3_bind_null(handle, index)
            }
            guard code == SQLITE_OK else { throw error(code) }
            index += 1
        }
        precondition(index - 1 == sqlite3_bind_parameter_count(handle), "a DirectStatement binds every parameter of its statement")
        switch sqlite3_step(handle) {
        case SQLITE_DONE: return nil
        case SQLITE_ROW: return firstRow(ColumnReader(handle: handle))
        case let code: throw error(code)
        }
    }

    private func error(_ code: CInt) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) }, sql: statement.sql)
    }

    /// The columns of the row a `DirectStatement` stepped to.
    struct ColumnReader {
        fileprivate let handle: SQLiteStatement

        /// The text in `column` (zero-based), or nil when it is NULL.
        func text(_ column: CInt) -> String? {
            guard let bytes = sqlite3_column_text(handle, column) else { return nil }
            return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, column))), as: UTF8.self)
        }
    }
}
