import GRDB
import Synchronization

/// The `client_id` records of the store, and an index of the latest ones kept here in memory.
///
/// Why: records are kept whole (fingerprint and ack, ~400 bytes) in `idempotency_records`, a table
/// appended to in rowid order, so a batch's records fill only its last pages. `idempotency_keys`
/// finds a record by (user, client_id): a narrow row (the key, the record's rowid, its time) in a
/// tree keyed by user. Keyed inserts from 100 writers would land on 100 different leaves per batch
/// and split some, so a record is not keyed when it is written: the latest ones are found through
/// the index here, and once `capacity` of them have gathered the writer keys them in one sorted
/// statement, in a transaction of its own, which writes each leaf once per few thousand posts.
/// Only the narrow key is written twice; the record itself is written once.
///
/// `meta`'s `idempotency_keyed_through` is the last rowid keyed: the records after it are the ones
/// this index holds. Only the writer's connection changes these tables, and only the writer changes
/// this index. The store has it read again from the table (`forget`) after a failed batch or key
/// step, after pruning, and when another connection committed to the file, so the writer never
/// trusts a stale entry. Entries are dropped only after keying committed. Readers may see the index
/// a batch ahead of or behind their snapshot; every lookup checks the row an entry points at, so a
/// stale entry can only make a lookup miss (a replay answered by the writer instead), never answer
/// with another write's record.
///
/// A batch's records are written together when it ends (`writePending`, see `PendingRows`), each
/// with the rowid the index gave it; until then a reader's lookup misses them, as it misses any
/// write not yet committed, and the writer's own lookup writes them first.
final class RecentClientRecords: Sendable {
    private struct State {
        /// The rowid of each record not yet keyed.
        var rowIDs: [ExactText: Int64] = [:]
        /// False until the table was read, and again after `forget`.
        var loaded = false
        /// The rowid the next record gets; rowids are never given twice while the index is loaded.
        var nextRowID: Int64 = 1
        var pending = PendingRows(RecentClientRecords.table)
    }

    private static let table = PendingRows.Table(
        "idempotency_records", columns: ["id", "user_id", "client_id", "fingerprint", "result", "created_at"])

    /// The rowid of the last record keyed, in `meta`.
    private static let keyedThroughSQL = "coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'idempotency_keyed_through'), 0)"

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Called first in each batch's transaction: reads the records not yet keyed if the index is not loaded.
    func beginBatch(in db: Database) throws {
        guard state.withLock({ !$0.loaded }) else { return }
        var rowIDs: [ExactText: Int64] = [:]
        let rows = try Row.fetchCursor(
            db, sql: "SELECT id, user_id, client_id FROM idempotency_records WHERE id > \(Self.keyedThroughSQL)")
        while let row = try rows.next() {
            rowIDs[ExactText.clientRecord(of: row[1], clientID: row[2])] = row[0]
        }
        // After the last record keyed, even when the records after it were pruned: a record at or
        // before it would be taken for keyed, and never found.
        let lastRowID = try Int64.fetchOne(
            db, sql: "SELECT max(coalesce((SELECT max(id) FROM idempotency_records), 0), \(Self.keyedThroughSQL))") ?? 0
        state.withLock { $0 = State(rowIDs: rowIDs, loaded: true, nextRowID: lastRowID + 1) }
    }

    /// Whether the records are due to be keyed (`key`, before the batch about to run).
    var isDueToKey: Bool {
        state.withLock { $0.rowIDs.count >= capacity }
    }

    /// Keys the records written since the last time, in a transaction of its own; `keyed` follows its commit.
    func key(in db: Database) throws {
        // Sorted by key, the records go into each leaf of `idempotency_keys` together. A key is
        // only ever recorded once (a write looks for its record first). Should one be keyed
        // already, the later record replaces it, as the index here would answer, and the earlier
        // record is deleted: with no key it could be neither found, pruned nor erased. The same
        // goes for two records of one key not yet keyed (the later one wins by rowid).
        try db.execute(sql: """
            DELETE FROM idempotency_records WHERE id IN (
                SELECT k.record FROM idempotency_records r
                JOIN idempotency_keys k ON k.user_id = r.user_id AND k.client_id = r.client_id
                WHERE r.id > \(Self.keyedThroughSQL) AND k.record < r.id);
            INSERT OR REPLACE INTO idempotency_keys (user_id, client_id, record, created_at)
                SELECT user_id, client_id, id, created_at FROM idempotency_records WHERE id > \(Self.keyedThroughSQL)
                ORDER BY user_id, client_id, id;
            DELETE FROM idempotency_records WHERE id > \(Self.keyedThroughSQL) AND id <> (
                SELECT k.record FROM idempotency_keys k
                WHERE k.user_id = idempotency_records.user_id AND k.client_id = idempotency_records.client_id);
            INSERT INTO meta (key, value) VALUES ('idempotency_keyed_through', coalesce((SELECT max(id) FROM idempotency_records), 0))
                ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER));
            """)
    }

    /// Keying committed: the records are all found through `idempotency_keys` now.
    func keyed() {
        state.withLock { $0.rowIDs.removeAll(keepingCapacity: true) }
    }

    /// Nothing in the index is trusted any more (a failed batch or key step, pruning, another
    /// connection's commit): the next batch reads the table again.
    func forget() {
        state.withLock { state in
            state.loaded = false
            state.pending.discard()
        }
    }

    /// The writer's lookup, in its batch: a record the batch holds unwritten is written first.
    func recordInBatch(of userID: String, clientID: String, in db: Database) throws -> WriteFacts.ClientRecord? {
        let (rowID, loaded, held) = state.withLock { state in
            let rowID = state.rowIDs[ExactText.clientRecord(of: userID, clientID: clientID)]
            return (rowID, state.loaded, rowID.map { $0 >= state.nextRowID - Int64(state.pending.rowCount) } ?? false)
        }
        if held { try writePending(in: db) }
        return try fetch(of: userID, clientID: clientID, rowID: rowID, loaded: loaded, in: db)
    }

    /// A lookup: a record not yet written or committed is missed.
    func record(of userID: String, clientID: String, in db: Database) throws -> WriteFacts.ClientRecord? {
        let (rowID, loaded) = state.withLock { ($0.rowIDs[ExactText.clientRecord(of: userID, clientID: clientID)], $0.loaded) }
        return try fetch(of: userID, clientID: clientID, rowID: rowID, loaded: loaded, in: db)
    }

    /// Reads the record where the index says it is: at `rowID`, among the records not yet
    /// keyed when the index is not loaded, else through `idempotency_keys`.
    private func fetch(of userID: String, clientID: String, rowID: Int64?, loaded: Bool, in db: Database) throws -> WriteFacts.ClientRecord? {
        let fetchRecord = { (sql: String, values: [SQLValue]) throws -> WriteFacts.ClientRecord? in
            let columns = try DirectStatement(sql, in: db).run(values) { columns in (columns.text(0), columns.text(1)) }
            guard let (fingerprint, result) = columns else { return nil }
            // NOT NULL columns: nil means SQLite could not give the text (out of memory).
            guard let fingerprint, let result else { throw DatabaseError(resultCode: .SQLITE_NOMEM, message: "A client_id record could not be read.") }
            return WriteFacts.ClientRecord(fingerprint: fingerprint, result: result)
        }
        let key: [SQLValue] = [.text(userID), .text(clientID)]
        let recent: WriteFacts.ClientRecord?
        if let rowID {
            recent = try fetchRecord("SELECT fingerprint, result FROM idempotency_records WHERE id = ? AND user_id = ? AND client_id = ?", [.integer(rowID)] + key)
        } else if !loaded {
            // Before the writer's first batch, or after a failed batch or key step: the records not yet keyed, read through.
            recent = try fetchRecord(
                "SELECT fingerprint, result FROM idempotency_records WHERE id > \(Self.keyedThroughSQL) AND user_id = ? AND client_id = ? ORDER BY id DESC LIMIT 1",
                key)
        } else {
            recent = nil
        }
        return try recent ?? fetchRecord("""
            SELECT r.fingerprint, r.result FROM idempotency_keys k JOIN idempotency_records r ON r.id = k.record
            WHERE k.user_id = ? AND k.client_id = ?
            """, key)
    }

    /// Adds a record to the batch's, written by `writePending`.
    func insert(userID: String, clientID: String, fingerprint: String, result: String, at createdAt: Int64) {
        let key = ExactText.clientRecord(of: userID, clientID: clientID)
        state.withLock { state in
            let rowID = state.nextRowID
            state.nextRowID += 1
            state.pending.append(.integer(rowID), .text(userID), .text(clientID), .text(fingerprint), .text(result), .integer(createdAt))
            state.rowIDs[key] = rowID
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

    /// Deletes the records made before `cutoff`; returns how many.
    func prune(before cutoff: Int64, in db: Database) throws -> Int {
        // Keyed records through the keys' age index, the others among the few thousand not yet keyed.
        try db.execute(
            sql: "DELETE FROM idempotency_records WHERE id IN (SELECT record FROM idempotency_keys WHERE created_at < ?)", arguments: [cutoff])
        let keyed = db.changesCount
        try db.execute(sql: "DELETE FROM idempotency_keys WHERE created_at < ?", arguments: [cutoff])
        try db.execute(sql: "DELETE FROM idempotency_records WHERE id > \(Self.keyedThroughSQL) AND created_at < ?", arguments: [cutoff])
        let unkeyed = db.changesCount
        // The index still points at the deleted rows: read it again at the next batch.
        if unkeyed > 0 { forget() }
        return keyed + unkeyed
    }

    /// Rewrites the results `userID` recorded at `createdAt` (the writes that made an item and its
    /// copies) with `rewrite`, which returns nil to leave one as it is.
    func rewriteResults(of userID: String, at createdAt: Int64, in db: Database, _ rewrite: (String) -> String?) throws {
        // Keyed records by the keys' age index, the others among the few thousand not yet keyed.
        let records = try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT id, result FROM idempotency_records WHERE id IN (SELECT record FROM idempotency_keys WHERE created_at = ?1 AND user_id = ?2)
                UNION SELECT id, result FROM idempotency_records WHERE id > \(Self.keyedThroughSQL) AND created_at = ?1 AND user_id = ?2
                """),
            arguments: [createdAt, userID])
        for record in records {
            guard let rewritten = rewrite(record["result"]) else { continue }
            try db.cachedStatement(sql: "UPDATE idempotency_records SET result = ? WHERE id = ?").execute(arguments: [rewritten, record["id"] as Int64])
        }
    }
}
