/// The generic cell rate algorithm for one key: a rate of one event per `interval` with bursts
/// of `burst`, kept as a single "theoretical arrival time". Time is given by the caller, in
/// nanoseconds on any monotonic scale, so tests drive it without waiting.
public struct GCRA: Sendable, Equatable {
    public let interval: Int64
    /// How far ahead of now the arrival time may run: (burst − 1) × interval.
    public let tolerance: Int64
    public private(set) var theoreticalArrival: Int64

    public init(rate: Rate) {
        interval = max(1, Int64(rate.interval.components.seconds) * 1_000_000_000 + rate.interval.components.attoseconds / 1_000_000_000)
        tolerance = interval * Int64(max(rate.burst, 1) - 1)
        theoreticalArrival = .min
    }

    public enum Decision: Sendable, Equatable {
        case allow
        case deny(retryAfterNanoseconds: Int64)
    }

    /// Whether an event may happen at `now`, without recording it.
    public func check(now: Int64) -> Decision {
        let arrival = max(theoreticalArrival, now)
        let ahead = arrival - now
        return ahead > tolerance ? .deny(retryAfterNanoseconds: ahead - tolerance) : .allow
    }

    /// Records an event at `now` (whether or not `check` allowed it, so that history replayed
    /// from the store rebuilds the same state).
    public mutating func record(now: Int64) {
        theoreticalArrival = max(theoreticalArrival, now) + interval
    }

    /// Checks and, when allowed, records.
    public mutating func take(now: Int64) -> Decision {
        let decision = check(now: now)
        if decision == .allow { record(now: now) }
        return decision
    }

    /// How many events could happen at `now`, one after another, before one is refused.
    public func available(now: Int64) -> Int {
        let ahead = max(theoreticalArrival, now) - now
        return ahead > tolerance ? 0 : Int((tolerance - ahead) / interval) + 1
    }

    /// Whether the limiter is back to its initial state at `now` (so its key can be forgotten).
    public func isIdle(now: Int64) -> Bool {
        theoreticalArrival <= now
    }
}
