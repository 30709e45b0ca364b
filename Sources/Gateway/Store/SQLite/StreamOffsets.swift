import GRDB
import Synchronization

/// The last offset of the streams the writer appended to lately, so that giving an event its
/// offset costs no statement: `streams` is read on a miss and written once per stream per batch
/// instead of once per event.
///
/// Only the writer's connection changes `streams`. The store drops the whole cache (`forget`) when
/// another connection committed to the file and when a batch fails, so a wrong offset can never
/// outlive one batch.
final class StreamOffsets: Sendable {
    private struct State {
        var committed: [ExactText: Int64] = [:]
        var batch: [ExactText: Int64] = [:]
    }

    /// Streams remembered at most; past it the cache starts again empty (a miss costs one read).
    private static let capacity = 100_000
    private let state = Mutex(State())

    /// Called first in each batch's transaction.
    func beginBatch() {
        state.withLock { state in
            if state.committed.count > Self.capacity { state.committed.removeAll(keepingCapacity: true) }
            state.batch.removeAll(keepingCapacity: true)
        }
    }

    /// The offset of the next event appended to `stream` in this batch.
    func next(in stream: String, db: Database) throws -> Int64 {
        let key = ExactText(stream)
        let cached = state.withLock { $0.batch[key] ?? $0.committed[key] }
        let last = try cached
            ?? Int64.fetchOne(db.cachedStatement(sql: "SELECT last_offset FROM streams WHERE name = ?"), arguments: [stream]) ?? 0
        state.withLock { $0.batch[key] = last + 1 }
        return last + 1
    }

    /// The stream's latest committed offset, when remembered. It is set only once the batch that
    /// reached it committed, and before that batch's events are published.
    func committedLast(of stream: String) -> Int64? {
        state.withLock { $0.committed[ExactText(stream)] }
    }

    /// Remembers a stream's latest offset as read from the file when no batch is running.
    func remember(_ stream: String, last: Int64) {
        state.withLock { state in
            if state.committed[ExactText(stream)] == nil { state.committed[ExactText(stream)] = last }
        }
    }

    /// Writes the batch's last offsets, last in its transaction.
    func save(in db: Database) throws {
        let batch = state.withLock { $0.batch }
        for (stream, offset) in batch {
            try db.cachedStatement(sql: """
                INSERT INTO streams (name, last_offset) VALUES (?, ?)
                ON CONFLICT(name) DO UPDATE SET last_offset = excluded.last_offset
                """).execute(arguments: [stream.text, offset])
        }
    }

    /// The batch's transaction committed: its offsets are the file's now.
    func batchCommitted() {
        state.withLock { state in
            state.committed.merge(state.batch) { _, later in later }
            state.batch.removeAll(keepingCapacity: true)
        }
    }

    /// Nothing cached is trusted any more (a failed batch, another connection's commit): streams
    /// are read again as they come.
    func forget() {
        state.withLock { state in
            state.committed.removeAll()
            state.batch.removeAll()
        }
    }
}
