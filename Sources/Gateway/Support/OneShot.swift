import Synchronization

/// A value given exactly once, by whichever of several parties comes first (a result or its
/// deadline); later answers are ignored. The waiter may start waiting before or after it is given.
final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, Never>?
        /// An answer that came before the waiter.
        var early: Value?
        var answered = false
    }

    private let state = Mutex(State())

    /// Waits for the answer; `start` runs once the waiter is in place (it may answer at once).
    func wait(start: () -> Void = {}) async -> Value {
        await withCheckedContinuation { continuation in
            let early = state.withLock { state in
                if state.early == nil { state.continuation = continuation }
                return state.early
            }
            if let early { return continuation.resume(returning: early) }
            start()
        }
    }

    /// Gives the answer unless one was given already.
    func answer(_ value: Value) {
        let continuation = state.withLock { state -> CheckedContinuation<Value, Never>? in
            guard !state.answered else { return nil }
            state.answered = true
            guard let continuation = state.continuation else {
                state.early = value
                return nil
            }
            state.continuation = nil
            return continuation
        }
        continuation?.resume(returning: value)
    }

    var isAnswered: Bool { state.withLock { $0.answered } }
}

/// Runs `body`, answering nil after `limit` if it has not finished; the body is then cancelled
/// but not waited for, so a call stuck on a dead connection cannot hold the caller.
func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async -> T? {
    let outcome = OneShot<T?>()
    return await outcome.wait {
        let work = Task { outcome.answer(try? await body()) }
        Task {
            try? await Task.sleep(for: limit)
            work.cancel()
            outcome.answer(nil)
        }
    }
}
