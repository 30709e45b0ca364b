import NIOCore
import Persona
import Synchronization

/// A rate per client address (GCRA), forgetting addresses whose budget is full again.
final class AddressRateLimiter: Sendable {
    private let rate: Rate
    private let buckets = Mutex([String: GCRA]())

    init(rate: Rate) {
        self.rate = rate
    }

    func take(_ address: String) -> GCRA.Decision {
        let time = WriteRateLimiter.monotonicNanoseconds()
        return buckets.withLock { buckets in
            var bucket = buckets[address] ?? GCRA(rate: rate)
            let decision = bucket.take(now: time)
            buckets[address] = bucket
            if buckets.count > 10_000 { buckets = buckets.filter { !$0.value.isIdle(now: time) } }
            return decision
        }
    }
}
