import Synchronization
import GatewayProtocol

/// Work for a store's single writer. Users and decisions ride along with the next batch of
/// writes, so that an identify or a bot's decision costs no commit of its own.
enum StoreJob: Sendable {
    case write(WriteCommand, author: User, reply: WriteReply)
    case remember(User)
    case decision(BotDecision)
}

/// The answer to one waiting write, given exactly once: by the writer when the batch is
/// committed, or earlier with `unavailable` when the write's deadline passes first, so that a
/// store that hangs (PostgreSQL unreachable) makes writes fail instead of wait. A writer skips
/// writes already answered, so a write whose caller was told `unavailable` is not applied later.
typealias WriteReply = OneShot<Result<WriteReceipt, GatewayError>>

/// The jobs of one batch, sorted by kind.
struct StoreBatch {
    var writes: [(command: WriteCommand, author: User, reply: WriteReply)] = []
    var users: [User] = []
    var decisions: [BotDecision] = []

    init(_ jobs: [StoreJob]) {
        for job in jobs {
            switch job {
            case .write(let command, let author, let reply) where !reply.isAnswered: writes.append((command, author, reply))
            case .write: continue
            case .remember(let user): users.append(user)
            case .decision(let decision): decisions.append(decision)
            }
        }
    }
}

/// The queue in front of a store's single writer (group commit): callers add jobs without
/// waiting for each other, and one writer task at a time takes every job waiting, up to a batch,
/// and commits them together, so one fsync covers the whole batch.
final class GroupCommitQueue: Sendable {
    private struct State {
        var jobs: [StoreJob] = []
        var writerRunning = false
        var draining = false
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    /// When the writer last started or finished a batch.
    private let lastProgress = Mutex(ContinuousClock.now)
    private let maximumBatch: Int
    private let committer = Mutex<(@Sendable ([StoreJob]) async -> Void)?>(nil)

    init(maximumBatch: Int) {
        self.maximumBatch = maximumBatch
    }

    /// Names the function that commits a batch; the store calls it once, at the end of its init.
    func attach(_ commit: @escaping @Sendable ([StoreJob]) async -> Void) {
        committer.withLock { $0 = commit }
    }

    /// Queues a write and waits for its answer. With a `stallLimit`, the write fails with
    /// `unavailable` once the writer has made no progress (no batch started or finished) for that
    /// long: a store that hangs fails writes, a store that is merely busy does not.
    func write(_ command: WriteCommand, by author: User, stallLimit: Duration? = nil) async throws(GatewayError) -> WriteReceipt {
        let reply = WriteReply()
        let timer = stallLimit.map { limit in
            Task {
                // Armed for the moment the writer would have stalled (never sooner than `limit`
                // from now: an idle writer has not moved for a while), re-armed while it moves.
                let earliest = ContinuousClock.now + limit
                while true {
                    let due = max(stallsAt(limit), earliest)
                    if ContinuousClock.now >= due { break }
                    try await Task.sleep(until: due, clock: .continuous)
                }
                reply.answer(.failure(.storeUnavailable))
            }
        }
        defer { timer?.cancel() }
        return try await reply.wait {
            if !enqueue(.write(command, author: author, reply: reply)) { reply.answer(.failure(.draining)) }
        }.get()
    }

    /// Records that the writer moved (a statement of the batch answered), so that a long batch
    /// that keeps moving is not taken for a stalled store.
    func noteProgress() {
        lastProgress.withLock { $0 = .now }
    }

    /// When the writer will have made no progress for `limit`, unless it moves before.
    func stallsAt(_ limit: Duration) -> ContinuousClock.Instant {
        lastProgress.withLock { $0 } + limit
    }

    /// Queues a job and starts the writer if it is idle; false while draining.
    @discardableResult
    func enqueue(_ job: StoreJob) -> Bool {
        let start = state.withLock { state -> Bool? in
            if state.draining { return nil }
            state.jobs.append(job)
            if state.writerRunning { return false }
            state.writerRunning = true
            return true
        }
        if start == true { Task { await self.runWriter() } }
        return start != nil
    }

    /// Takes every waiting job, commits them, repeats until the queue is empty.
    private func runWriter() async {
        while true {
            let batch = state.withLock { state -> [StoreJob] in
                let count = min(state.jobs.count, maximumBatch)
                let batch = Array(state.jobs.prefix(count))
                state.jobs.removeFirst(count)
                if batch.isEmpty { state.writerRunning = false }
                return batch
            }
            if batch.isEmpty {
                let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                    guard state.draining, !state.writerRunning else { return [] }
                    defer { state.drainWaiters.removeAll() }
                    return state.drainWaiters
                }
                waiters.forEach { $0.resume() }
                return
            }
            lastProgress.withLock { $0 = .now }
            await committer.withLock { $0 }?(batch)
            lastProgress.withLock { $0 = .now }
        }
    }

    /// Finishes every job queued so far and refuses new ones.
    func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                state.draining = true
                if !state.writerRunning && state.jobs.isEmpty { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
