/// A token bucket on an injected clock: `rate` tokens per `period`, holding at most `burst`.
/// Pure value; the owner supplies the time, so tests drive it without waiting.
public struct TokenBucket: Sendable, Equatable {
    public let burst: Double
    /// Nanoseconds to earn one token.
    public let nanosecondsPerToken: Double
    private var tokens: Double
    private var updatedAt: Int64

    /// - Parameters:
    ///   - count: tokens earned per `period`.
    ///   - period: the period in nanoseconds.
    ///   - burst: the bucket's size; it starts full.
    public init(count: Int, periodNanoseconds: Int64, burst: Int, now: Int64) {
        self.burst = Double(max(burst, 1))
        self.nanosecondsPerToken = Double(periodNanoseconds) / Double(max(count, 1))
        self.tokens = Double(max(burst, 1))
        self.updatedAt = now
    }

    /// Takes a token if there is one; otherwise says how long until there will be.
    public mutating func take(now: Int64) -> TokenDecision {
        refill(now: now)
        if tokens >= 1 {
            tokens -= 1
            return .allowed
        }
        let wait = (1 - tokens) * nanosecondsPerToken
        return .denied(retryAfterNanoseconds: Int64(wait.rounded(.up)))
    }

    /// Whether the bucket is full again, so its state can be forgotten.
    public func isFull(now: Int64) -> Bool {
        tokens + Double(max(now - updatedAt, 0)) / nanosecondsPerToken >= burst
    }

    private mutating func refill(now: Int64) {
        guard now > updatedAt else { return }
        tokens = min(burst, tokens + Double(now - updatedAt) / nanosecondsPerToken)
        updatedAt = now
    }
}

public enum TokenDecision: Sendable, Equatable {
    case allowed
    case denied(retryAfterNanoseconds: Int64)

    public var retryAfterMilliseconds: Int64 {
        switch self {
        case .allowed: 0
        case .denied(let nanoseconds): max(1, (nanoseconds + 999_999) / 1_000_000)
        }
    }
}
