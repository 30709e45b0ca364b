public import Persona
import Synchronization

/// GCRA buckets by key (a user and kind of write, a client address), in one lock. A key whose
/// budget is full again is forgotten once more than `capacity` keys are held (more, while most
/// are busy): an idle bucket behaves exactly like a new one, so forgetting it changes nothing but
/// memory.
public final class KeyedRateLimiter<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var buckets: [Key: GCRA] = [:]
        /// Forget idle keys once more than this many are held: `capacity`, or twice what a prune
        /// left when most keys were busy, so that a crowd of busy keys is not filtered on every take.
        var pruneAbove: Int
    }

    private let state: Mutex<State>
    private let capacity: Int
    private let clock: GatewayClock

    public init(capacity: Int, clock: GatewayClock) {
        self.state = Mutex(State(pruneAbove: capacity))
        self.capacity = capacity
        self.clock = clock
    }

    /// Takes one request from the key's budget at `rate`.
    public func take(_ key: Key, rate: Rate) -> GCRA.Decision {
        let time = clock.nanoseconds()
        return state.withLock { state in
            var bucket = state.buckets[key] ?? GCRA(rate: rate)
            let decision = bucket.take(now: time)
            state.buckets[key] = bucket
            if state.buckets.count > state.pruneAbove {
                state.buckets = state.buckets.filter { !$0.value.isIdle(now: time) }
                state.pruneAbove = max(capacity, 2 * state.buckets.count)
            }
            return decision
        }
    }

    /// The keys' buckets as they are now, without taking anything (a key never seen has its
    /// whole burst), and the time they were read at.
    public func buckets(_ keys: [(key: Key, rate: Rate)]) -> (buckets: [GCRA], now: Int64) {
        let time = clock.nanoseconds()
        return (state.withLock { state in keys.map { state.buckets[$0.key] ?? GCRA(rate: $0.rate) } }, time)
    }
}
