import Dispatch
import Foundation
import ServiceLifecycle
import Synchronization
import GatewayProtocol

/// Work for a store's single writer. Users and decisions ride along with the next batch of
/// writes, so that an identify or a bot's decision costs no commit of its own.
enum StoreJob: Sendable {
    case write(QueuedWrite)
    case remember(User)
    case decision(BotDecision)
}

/// A write waiting for the writer.
struct QueuedWrite: Sendable {
    let command: WriteCommand
    let author: User
    /// The command's fingerprint when it has a `client_id`, computed by its caller (an event loop)
    /// rather than on the writer, which every write waits for.
    let fingerprint: String?
    let reply: WriteReply
    /// For the queue's stall watch.
    let queuedAt: ContinuousClock.Instant

    init(_ command: WriteCommand, by author: User, reply: WriteReply) {
        self.command = command
        self.author = author
        self.fingerprint = command.clientID == nil ? nil : command.fingerprint
        self.reply = reply
        self.queuedAt = .now
    }
}

/// The answer to one waiting write, given exactly once: by the writer when the batch is
/// committed, or earlier with `unavailable` by the queue's stall watch, so that a store that
/// hangs (PostgreSQL unreachable) makes writes fail instead of wait. A writer skips writes
/// already answered, so a write whose caller was told `unavailable` is not applied later.
typealias WriteReply = OneShot<Result<WriteReceipt, GatewayError>>

/// The jobs of one batch, sorted by kind.
struct StoreBatch {
    var writes: [QueuedWrite] = []
    var users: [User] = []
    var decisions: [BotDecision] = []

    init(_ jobs: [StoreJob]) {
        for job in jobs {
            switch job {
            case .write(let write) where !write.reply.isAnswered: writes.append(write)
            case .write: continue
            case .remember(let user): users.append(user)
            case .decision(let decision): decisions.append(decision)
            }
        }
    }
}

/// The queue in front of a store's single writer (group commit): callers add jobs without
/// waiting for each other, and the writer takes every job waiting, up to a batch, and commits
/// them together, so one fsync covers the whole batch. The writer is the store's `run`, a
/// long-running task of the server's service group; it parks while the queue is empty.
///
/// With a `stallLimit`, a write fails with `unavailable` once it has waited that long in the
/// queue while the store made no progress (no statement answered, no batch committed) for as
/// long: a store that hangs (PostgreSQL unreachable) fails writes instead of holding them, a store
/// that is merely busy does not. One watch does this for the whole queue, four times per limit; a
/// timer per write cost a task, a dispatch timer and its cancellation for every write. A write the
/// writer has taken is its batch's to answer (the store watches its batch for the same limit), so
/// a write that waits behind a stuck batch fails within about two limits.
final class GroupCommitQueue: Sendable {
    private struct State {
        var jobs: [StoreJob] = []
        /// The writer, parked until a job comes or it is told to stop.
        var parked: CheckedContinuation<Void, Never>?
        /// The writer's thread (`runOnThread`) waits on `threadWake`.
        var threadParked = false
        var committing = false
        var stopping = false
        var draining = false
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private enum Next {
        case batch([StoreJob])
        case park
        case stop
    }

    private let state = Mutex(State())
    private let threadWake = DispatchSemaphore(value: 0)
    /// When the store last answered a statement or committed a batch.
    private let lastProgress = Mutex(ContinuousClock.now)
    private let maximumBatch: Int
    private let stallLimit: Duration?

    init(maximumBatch: Int, stallLimit: Duration? = nil) {
        self.maximumBatch = maximumBatch
        self.stallLimit = stallLimit
    }

    /// Queues a write, taking its place in the commit order now; its answer comes through the
    /// returned write's `receipt()` or `whenAnswered`.
    func submit(_ command: WriteCommand, by author: User) -> PendingWrite {
        let reply = WriteReply()
        if !enqueue(.write(QueuedWrite(command, by: author, reply: reply))) { reply.answer(.failure(.draining)) }
        return PendingWrite(reply: reply)
    }

    /// Records that the store answered (a statement of the batch), so that a long batch that
    /// keeps moving is not taken for a stalled store.
    func noteProgress() {
        lastProgress.withLock { $0 = .now }
    }

    /// When the writer will have made no progress for `limit`, unless it moves before.
    func stallsAt(_ limit: Duration) -> ContinuousClock.Instant {
        lastProgress.withLock { $0 } + limit
    }

    /// Queues a job and wakes the writer; false while draining.
    @discardableResult
    func enqueue(_ job: StoreJob) -> Bool {
        let admitted = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?, Bool) in
            if state.draining { return (false, nil, false) }
            state.jobs.append(job)
            defer { (state.parked, state.threadParked) = (nil, false) }
            return (true, state.parked, state.threadParked)
        }
        admitted.1?.resume()
        if admitted.2 { threadWake.signal() }
        return admitted.0
    }

    /// The single writer: commits every waiting job, a batch at a time, and parks while there
    /// is none. Returns once the service group shuts down gracefully (after the drain), `stop` is
    /// called or its task is cancelled, and the queue is empty.
    ///
    /// `commit` returns whether the store answered; a batch it could not reach is no progress.
    func run(commit: @Sendable ([StoreJob]) async -> Bool) async {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                if let stallLimit { group.addTask { await self.failStalledWrites(limit: stallLimit) } }
                await writeBatches(commit: commit)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// The stall watch (see the type), until cancelled. An overdue write leaves the queue under
    /// the lock, so the writer cannot take it between the watch's decision and its answer.
    private func failStalledWrites(limit: Duration) async {
        while (try? await Task.sleep(for: limit / 4)) != nil {
            let now = ContinuousClock.now
            guard stallsAt(limit) <= now else { continue }
            let overdue = state.withLock { state -> [WriteReply] in
                var overdue: [WriteReply] = []
                state.jobs.removeAll { job in
                    guard case .write(let write) = job, write.queuedAt + limit <= now else { return false }
                    overdue.append(write.reply)
                    return true
                }
                return overdue
            }
            for reply in overdue { reply.answer(.failure(.storeUnavailable)) }
        }
    }

    /// The writer on a thread of its own, for a store whose commit blocks (SQLite runs its
    /// statements and the fsync on the calling thread). A blocking commit on the concurrency
    /// pool would hold one of its few threads; an async one hops to the database's queue and
    /// back, two thread switches per batch on the path of every acknowledgement. Returns like `run`.
    /// No stall watch runs here (`stallLimit` is `run`'s): a commit that blocks its thread cannot
    /// be left behind, so this writer notes no progress either.
    func runOnThread(named name: String, commit: @escaping @Sendable ([StoreJob]) -> Void) async {
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                    let thread = Thread { [self] in
                        writeBatchesOnThread(commit: commit)
                        finished.resume()
                    }
                    thread.name = name
                    thread.start()
                }
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

    private func writeBatchesOnThread(commit: ([StoreJob]) -> Void) {
        while true {
            switch takeNext(parkingThread: true) {
            case .batch(let batch):
                commit(batch)
            case .park:
                threadWake.wait()
            case .stop:
                return
            }
        }
    }

    /// The next batch, or what to do without one; answers drain waiters once the queue is empty.
    /// With `parkingThread`, a `.park` answer has already registered the thread for a wake-up.
    private func takeNext(parkingThread: Bool) -> Next {
        let (next, drained) = state.withLock { state -> (Next, [CheckedContinuation<Void, Never>]) in
            state.committing = false
            if !state.jobs.isEmpty {
                let count = min(state.jobs.count, maximumBatch)
                defer { state.jobs.removeFirst(count) }
                state.committing = true
                return (.batch(Array(state.jobs.prefix(count))), [])
            }
            let drained = state.draining ? state.drainWaiters : []
            if state.draining { state.drainWaiters = [] }
            if state.stopping { return (.stop, drained) }
            if parkingThread { state.threadParked = true }
            return (.park, drained)
        }
        drained.forEach { $0.resume() }
        return next
    }

    private func writeBatches(commit: @Sendable ([StoreJob]) async -> Bool) async {
        while true {
            switch takeNext(parkingThread: false) {
            case .batch(let batch):
                if await commit(batch) { noteProgress() }
            case .park:
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let wake = state.withLock { state -> Bool in
                            if !state.jobs.isEmpty || state.stopping { return true }
                            state.parked = continuation
                            return false
                        }
                        if wake { continuation.resume() }
                    }
                } onCancel: {
                    stop()
                }
            case .stop:
                return
            }
        }
    }

    /// Tells the writer to return once the queue is empty; jobs offered from now on are refused,
    /// since no writer would commit them.
    func stop() {
        let (parked, threadParked) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Bool) in
            state.stopping = true
            state.draining = true
            defer { (state.parked, state.threadParked) = (nil, false) }
            return (state.parked, state.threadParked)
        }
        parked?.resume()
        if threadParked { threadWake.signal() }
    }

    /// Finishes every job queued so far and refuses new ones.
    func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                state.draining = true
                if !state.committing && state.jobs.isEmpty { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
