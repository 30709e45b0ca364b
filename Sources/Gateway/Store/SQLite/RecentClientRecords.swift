import GRDB
import Synchronization

/// The `client_id` records of the latest writes, appended to `idempotency_recent` (a table with no
/// index) and found through an index kept here in memory.
///
/// Why: `idempotency` is keyed by (user, client_id), so a batch from 100 writers put its records on
/// 100 different leaves of that tree and split some of them: about two pages per post, most of the
/// bytes the store wrote. Appended, a batch's records fill only the table's last pages. Once
/// `capacity` records have gathered, the writer moves them into `idempotency` in one sorted
/// statement, in a transaction of its own before a batch, which writes each of its leaves once per
/// few thousand posts instead of once per batch.
///
/// Only the writer's connection changes these tables, and only the writer changes this index. The
/// store has it read again from the table (`forget`) after a failed batch or move, after pruning,
/// and when another connection committed to the file, so the writer never trusts a stale entry. Entries
/// are dropped only after the move committed. Readers may see the index a batch ahead of or behind
/// their snapshot; every lookup checks the row an entry points at, so a stale entry can only make a
/// lookup miss (a replay answered by the writer instead), never answer with another write's record.
///
/// A batch's records are written together when it ends (`writePending`, see `PendingRows`), each
/// with the rowid the index gave it; until then a reader's lookup misses them, as it misses any
/// write not yet committed, and the writer's own lookup writes them first.
final class RecentClientRecords: Sendable {
    private struct Entry {
        var rowID: Int64
        var createdAt: Int64
    }

    private struct State {
        var entries: [ExactText: Entry] = [:]
        /// False until the table was read, and again after `forget`.
        var loaded = false
        /// The rowid the next record gets; rowids are never given twice while the index is loaded.
        var nextRowID: Int64 = 1
        var pending = PendingRows(RecentClientRecords.table)
    }

    private static let table = PendingRows.Table(
        "idempotency_recent", columns: ["rowid", "user_id", "client_id", "fingerprint", "result", "created_at"])

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Called first in each batch's transaction: reads the table if the index is not loaded.
    func beginBatch(in db: Database) throws {
        guard state.withLock({ !$0.loaded }) else { return }
        var entries: [ExactText: Entry] = [:]
        var lastRowID: Int64 = 0
        let rows = try Row.fetchCursor(db, sql: "SELECT rowid, user_id, client_id, created_at FROM idempotency_recent")
        while let row = try rows.next() {
            let entry = Entry(rowID: row[0], createdAt: row[3])
            entries[ExactText.clientRecord(of: row[1], clientID: row[2])] = entry
            lastRowID = max(lastRowID, entry.rowID)
        }
        state.withLock { $0 = State(entries: entries, loaded: true, nextRowID: lastRowID + 1) }
    }

    /// Whether the records are due to move into `idempotency` (`move`, before the batch about to run).
    var isDueToMove: Bool {
        state.withLock { $0.entries.count >= capacity }
    }

    /// Moves the records into `idempotency`, in a transaction of its own; `moved` follows its commit.
    func move(in db: Database) throws {
        // Sorted by key, the records go into each leaf of `idempotency` together. A record is only
        // ever in one of the two tables (a write looks in both first), so REPLACE never replaces;
        // it is there so that no state of the tables can make the move fail again and again.
        try db.execute(sql: """
            INSERT OR REPLACE INTO idempotency (user_id, client_id, fingerprint, result, created_at)
                SELECT user_id, client_id, fingerprint, result, created_at FROM idempotency_recent ORDER BY user_id, client_id;
            DELETE FROM idempotency_recent;
            """)
    }

    /// The move committed: the records are all in `idempotency` now.
    func moved() {
        state.withLock { $0.entries.removeAll(keepingCapacity: true) }
    }

    /// Nothing in the index is trusted any more (a failed batch or move, pruning, another
    /// connection's commit): the next batch reads the table again.
    func forget() {
        state.withLock { state in
            state.loaded = false
            state.pending.discard()
        }
    }

    /// The writer's lookup, in its batch: a record the batch holds unwritten is written first.
    func recordInBatch(of userID: String, clientID: String, in db: Database) throws -> WriteFacts.ClientRecord? {
        let (entry, loaded, held) = state.withLock { state in
            let entry = state.entries[ExactText.clientRecord(of: userID, clientID: clientID)]
            return (entry, state.loaded, entry.map { $0.rowID >= state.nextRowID - Int64(state.pending.rowCount) } ?? false)
        }
        if held { try writePending(in: db) }
        return try fetch(of: userID, clientID: clientID, entry: entry, loaded: loaded, in: db)
    }

    /// A lookup: a record not yet written or committed is missed.
    func record(of userID: String, clientID: String, in db: Database) throws -> WriteFacts.ClientRecord? {
        let (entry, loaded) = state.withLock { ($0.entries[ExactText.clientRecord(of: userID, clientID: clientID)], $0.loaded) }
        return try fetch(of: userID, clientID: clientID, entry: entry, loaded: loaded, in: db)
    }

    /// Reads the record where the index says it is: at `entry`'s row, in the recent table when the
    /// index is not loaded, else in the keyed table.
    private func fetch(of userID: String, clientID: String, entry: Entry?, loaded: Bool, in db: Database) throws -> WriteFacts.ClientRecord? {
        let fetchRecord = { (sql: String, values: [SQLValue]) throws -> WriteFacts.ClientRecord? in
            let columns = try DirectStatement(sql, in: db).run(values) { columns in (columns.text(0), columns.text(1)) }
            guard let (fingerprint, result) = columns else { return nil }
            // NOT NULL columns: nil means SQLite could not give the text (out of memory).
            guard let fingerprint, let result else { throw DatabaseError(resultCode: .SQLITE_NOMEM, message: "A client_id record could not be read.") }
            return WriteFacts.ClientRecord(fingerprint: fingerprint, result: result)
        }
        let key: [SQLValue] = [.text(userID), .text(clientID)]
        let recent: WriteFacts.ClientRecord?
        if let entry {
            recent = try fetchRecord("SELECT fingerprint, result FROM idempotency_recent WHERE rowid = ? AND user_id = ? AND client_id = ?", [.integer(entry.rowID)] + key)
        } else if !loaded {
            // Before the writer's first batch, or after a failed batch or move: the small table itself, read through.
            recent = try fetchRecord("SELECT fingerprint, result FROM idempotency_recent WHERE user_id = ? AND client_id = ?", key)
        } else {
            recent = nil
        }
        return try recent ?? fetchRecord("SELECT fingerprint, result FROM idempotency WHERE user_id = ? AND client_id = ?", key)
    }

    /// Adds a record to the batch's, written by `writePending`.
    func insert(userID: String, clientID: String, fingerprint: String, result: String, at createdAt: Int64) {
        let key = ExactText.clientRecord(of: userID, clientID: clientID)
        state.withLock { state in
            let entry = Entry(rowID: state.nextRowID, createdAt: createdAt)
            state.nextRowID += 1
            state.pending.append(.integer(entry.rowID), .text(userID), .text(clientID), .text(fingerprint), .text(result), .integer(createdAt))
            state.entries[key] = entry
        }
    }

    /// Writes the batch's records held so far: before its transaction commits, and before a
    /// statement of the batch reads them.
    func writePending(in db: Database) throws {
        var pending = state.withLock { state in
            var taken = PendingRows(Self.table)
            swap(&taken, &state.pending)
            return taken
        }
        try pending.write(in: db)
    }

    /// Rewrites the results `userID` recorded at `createdAt` (the writes that made an item and its
    /// copies) with `rewrite`, which returns nil to leave one as it is.
    func rewriteResults(of userID: String, at createdAt: Int64, in db: Database, _ rewrite: (String) -> String?) throws {
        for record in try Row.fetchAll(
            db.cachedStatement(sql: "SELECT client_id, result FROM idempotency WHERE created_at = ? AND user_id = ?"),
                arguments: [createdAt, userID])
        {
            guard let rewritten = rewrite(record["result"]) else { continue }
            try db.cachedStatement(sql: "UPDATE idempotency SET result = ? WHERE user_id = ? AND client_id = ?")
                .execute(arguments: [rewritten, userID, record["client_id"] as String])
        }
        let rowIDs = state.withLock { state in
            state.entries.values.compactMap { entry in entry.createdAt == createdAt ? entry.rowID : nil }
        }
        for rowID in rowIDs {
            guard let result = try String.fetchOne(
                db.cachedStatement(sql: "SELECT result FROM idempotency_recent WHERE rowid = ? AND user_id = ? AND created_at = ?"),
                    arguments: [rowID, userID, createdAt]),
                let rewritten = rewrite(result)
            else { continue }
            try db.cachedStatement(sql: "UPDATE idempotency_recent SET result = ? WHERE rowid = ?").execute(arguments: [rewritten, rowID])
        }
    }
}
