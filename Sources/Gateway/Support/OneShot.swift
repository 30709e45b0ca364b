import Synchronization

/// A value given exactly once, by whichever of several parties comes first (a result or its
/// deadline); later answers are ignored. The waiter may start waiting before or after it is given.
final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        /// The one waiter: a task's continuation (`wait`) is resumed by a waiter like any other.
        var waiter: (@Sendable (Value) -> Void)?
        /// An answer that came before the waiter.
        var early: Value?
        var answered = false
    }

    private let state = Mutex(State())

    /// Waits for the answer; `start` runs once the waiter is in place (it may answer at once).
    func wait(start: () -> Void = {}) async -> Value {
        await withCheckedContinuation { continuation in
            if let early = register({ continuation.resume(returning: $0) }) { return continuation.resume(returning: early) }
            start()
        }
    }

    /// Calls `body` with the answer on the thread that gives it, or at once if it was given: a
    /// waiter that costs no task, for an answer whose handling only hands it on. Instead of `wait`.
    func whenAnswered(_ body: @escaping @Sendable (Value) -> Void) {
        if let early = register(body) { body(early) }
    }

    /// Puts the waiter in place, or returns the answer that came before it.
    private func register(_ waiter: @escaping @Sendable (Value) -> Void) -> Value? {
        state.withLock { state in
            assert(state.waiter == nil, "a OneShot has one waiter")
            if state.early == nil { state.waiter = waiter }
            return state.early
        }
    }

    /// Gives the answer unless one was given already.
    func answer(_ value: Value) {
        let waiter = state.withLock { state -> (@Sendable (Value) -> Void)? in
            guard !state.answered else { return nil }
            state.answered = true
            guard let waiter = state.waiter else {
                state.early = value
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?(value)
    }

    var isAnswered: Bool { state.withLock { $0.answered } }
}

/// `body` did not finish within its limit.
struct StalledError: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "no answer within \(limit)" }
}

/// Runs `body`, throwing `StalledError` after `limit` if it has not finished; the body is then
/// cancelled but not waited for, so a call stuck on a dead connection cannot hold the caller.
/// One timer, cancelled as soon as the body answers: cheap enough for every read.
func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    var timer: Task<Void, Never>?
    defer { timer?.cancel() }
    return try await abandoning(body) { work, outcome in
        timer = Task {
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            work.cancel()
            outcome.answer(.failure(StalledError(limit: limit)))
        }
    }
}

/// Runs `body` while watching that it makes progress: a timer armed for the moment the work
/// would have made none for `limit` (`stallsAt`, which moves on whenever it makes progress; never
/// sooner than `limit` from the start) sleeps until then, checks, and re-arms for the new moment; once that moment has passed, throws
/// `StalledError` and leaves the body (cancelled, not waited for). Unlike a deadline, a long piece
/// of work that keeps moving is never cut; the timer is cancelled as soon as the body answers.
func withStallWatch<T: Sendable>(_ limit: Duration, stallsAt: @escaping @Sendable () -> ContinuousClock.Instant,
                                 _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    var timer: Task<Void, Never>?
    defer { timer?.cancel() }
    return try await abandoning(body) { work, outcome in
        timer = Task {
            guard (try? await sleepUntilStalled(limit, stallsAt: stallsAt)) != nil else { return }
            work.cancel()
            outcome.answer(.failure(StalledError(limit: limit)))
        }
    }
}

/// Sleeps until the moment the watched work will have made no progress for `limit` (`stallsAt`,
/// which moves on whenever it makes progress; never sooner than `limit` from now), re-arming while
/// that moment moves. Throws when cancelled.
func sleepUntilStalled(_ limit: Duration, stallsAt: () -> ContinuousClock.Instant) async throws {
    let earliest = ContinuousClock.now + limit
    while true {
        let due = max(stallsAt(), earliest)
        if ContinuousClock.now >= due { return }
        try await Task.sleep(until: due, clock: .continuous)
    }
}

/// Runs `body` in a task of its own and answers with whichever comes first: its result, or the
/// failure the watcher (started by `watch`) gives when it decides to stop waiting.
private func abandoning<T: Sendable>(_ body: @escaping @Sendable () async throws -> T,
                                     watch: (_ work: Task<Void, Never>, _ outcome: OneShot<Result<T, any Error>>) -> Void) async throws -> T {
    let outcome = OneShot<Result<T, any Error>>()
    return try await outcome.wait {
        let work = Task {
            do {
                outcome.answer(.success(try await body()))
            } catch {
                outcome.answer(.failure(error))
            }
        }
        watch(work, outcome)
    }.get()
}
