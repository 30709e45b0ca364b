import GRDB
import GRDBSQLite
import Logging
import Synchronization

/// Copies the WAL back into the database file on a connection of its own, so that the writer's
/// commits rarely wait for it.
///
/// By default SQLite runs that checkpoint in every commit that leaves the WAL 1,000 pages or longer,
/// on the writer's thread: that batch's writes then waited for the copy and for the database file's
/// fsync as well as their own. Here the writer's WAL hook only asks for a checkpoint each time
/// the WAL has grown by 1,000 pages, and a passive checkpoint on another connection takes no lock
/// that a commit needs, so commits go on beside it.
///
/// The WAL starts again from its beginning only at a commit that finds all of it copied. Under
/// steady writes the checkpoint on the side never finds that (the writer appended while it
/// copied), so once the WAL is `pagesBeforeWriterCheckpoint` long the writer copies what is left
/// itself, as SQLite would have: rarely, and little, since most of it was copied already.
final class WALCheckpointer: Sendable {
    /// How much the WAL grows, in pages, between two requests for a checkpoint (SQLite's default).
    static let pagesBetweenCheckpoints: Int32 = 1000
    /// The WAL's length, in pages, from which the writer copies it itself (see above).
    static let pagesBeforeWriterCheckpoint: Int32 = 4000

    private let requests: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    /// The WAL's length at the last request; only the writer's WAL hook uses it.
    private let requestedAt = Atomic<Int32>(0)
    private let logger: Logger

    init(logger: Logger) {
        // Requests that come while a checkpoint runs are one request: the next one copies them all.
        (requests, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.logger = logger
    }

    /// Replaces SQLite's automatic checkpoint on the writer's connection with `walGrew`.
    /// The connection's configuration holds this object, so it outlives the hook.
    func watch(_ db: Database) {
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, connection, _, pages in
                if let context { Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().walGrew(to: pages, on: connection) }
                return SQLITE_OK
            },
            Unmanaged.passUnretained(self).toOpaque())
    }

    /// After each commit on the writer's connection, with the WAL's length in pages.
    private func walGrew(to pages: Int32, on connection: OpaquePointer?) {
        if pages >= Self.pagesBeforeWriterCheckpoint {
            // Busy (the other checkpoint is copying) returns at once; the next commit tries again.
            sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            return
        }
        var requested = requestedAt.load(ordering: .relaxed)
        if pages < requested { requested = 0 }  // the WAL started again
        if pages >= requested + Self.pagesBetweenCheckpoints {
            requested = pages
            continuation.yield()
        }
        requestedAt.store(requested, ordering: .relaxed)
    }

    /// Checkpoints as the writer asks, until `finish`. Without a connection of its own (it could
    /// not be opened), it checkpoints through `writer`, between batches, as SQLite would have.
    func run(path: String, writer: DatabasePool) async {
        var configuration = Configuration()
        configuration.label = "gatewayd-checkpoint"
        let connection: (any DatabaseWriter)
        do {
            connection = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            logger.error("Could not open a connection for WAL checkpoints (\(error)); the writer will do them between batches.")
            connection = writer
        }
        for await _ in requests {
            do {
                _ = try await connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                logger.debug("A WAL checkpoint found the writer checkpointing; the next one will copy what is left.")
            } catch {
                logger.warning("A WAL checkpoint failed: \(error). The next one will copy what it left.")
            }
        }
        if let queue = connection as? DatabaseQueue { try? queue.close() }
    }

    /// Ends `run` once the writer has stopped.
    func finish() {
        continuation.finish()
    }
}
