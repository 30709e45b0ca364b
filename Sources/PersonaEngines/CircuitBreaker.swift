import Persona

/// Stops calling a model that keeps failing: after `threshold` failed replies in a row it opens
/// for `cooldown`, then lets one trial through (half-open); the trial's success closes it.
/// A value type, kept inside `EngineGate`'s isolation.
struct CircuitBreaker: Sendable {
    enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen(trialInFlight: Bool)
    }

    let threshold: Int
    let cooldown: Duration
    private(set) var state = State.closed(failures: 0)

    init(threshold: Int, cooldown: Duration) {
        self.threshold = threshold
        self.cooldown = cooldown
    }

    /// Whether a reply may call the model now.
    mutating func admit(now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed:
            return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen(trialInFlight: true)
            return true
        case .halfOpen(let trialInFlight):
            guard !trialInFlight else { return false }
            state = .halfOpen(trialInFlight: true)
            return true
        }
    }

    mutating func recordSuccess() {
        state = .closed(failures: 0)
    }

    mutating func recordFailure(now: ContinuousClock.Instant) {
        switch state {
        case .closed(let failures) where failures + 1 < threshold:
            state = .closed(failures: failures + 1)
        case .closed, .halfOpen, .open:
            state = .open(until: now + cooldown)
        }
    }

    var isOpen: Bool {
        if case .closed = state { return false }
        return true
    }
}

/// One persona's way to its model: the circuit breaker and the cap on requests in flight
/// (`max_concurrency`). Replies over the cap wait in order; a cancelled wait leaves the queue.
actor EngineGate {
    private var breaker: CircuitBreaker
    private let capacity: Int
    private var inFlight = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiter = 0

    init(capacity: Int, breakerThreshold: Int, breakerCooldown: Duration) {
        self.capacity = capacity
        breaker = CircuitBreaker(threshold: breakerThreshold, cooldown: breakerCooldown)
    }

    /// Takes a slot, or throws `circuit_open` without waiting while the breaker is open.
    func enter() async throws {
        guard breaker.admit(now: .now) else {
            throw EngineFailure(.circuitOpen, "the model failed \(breaker.threshold) replies in a row; trying again after \(DurationSyntax.format(breaker.cooldown))")
        }
        if inFlight < capacity {
            inFlight += 1
            return
        }
        let id = nextWaiter
        nextWaiter += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
            }
        } onCancel: {
            Task { await self.cancelWait(id) }
        }
    }

    /// Gives the slot back with the reply's result: true succeeded, false failed, nil says
    /// nothing about the model (the reader went away).
    func leave(succeeded: Bool?) {
        switch succeeded {
        case true?: breaker.recordSuccess()
        case false?: breaker.recordFailure(now: .now)
        case nil:
            // A half-open trial that ended without a verdict must not keep the breaker shut.
            if case .halfOpen = breaker.state { breaker.recordFailure(now: .now) }
        }
        if waiters.isEmpty {
            inFlight -= 1
        } else {
            // The slot passes straight to the next waiter.
            waiters.removeFirst().continuation.resume()
        }
    }

    var isOpen: Bool { breaker.isOpen }

    private func cancelWait(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
