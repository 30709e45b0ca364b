import NIOCore
public import Persona
import Synchronization
public import GatewayProtocol

/// Per-user write limits shared by WebSocket and HTTP (PROTOCOL.md section 10): a limiter per
/// user and kind of write whose burst is the per-minute count. The same GCRA as the personas'
/// limits: a token bucket by another name.
public final class WriteRateLimiter: Sendable {
    public struct Limits: Sendable {
        public var postsPerMinute: Int
        public var commentsPerMinute: Int
        public var reactionsPerMinute: Int
        public var mutesPerMinute: Int
        public var deletesPerMinute: Int

        public init(postsPerMinute: Int = 10, commentsPerMinute: Int = 60, reactionsPerMinute: Int = 120, mutesPerMinute: Int = 30,
                    deletesPerMinute: Int = 30) {
            self.postsPerMinute = postsPerMinute
            self.commentsPerMinute = commentsPerMinute
            self.reactionsPerMinute = reactionsPerMinute
            self.mutesPerMinute = mutesPerMinute
            self.deletesPerMinute = deletesPerMinute
        }
    }

    private enum Kind: String, Hashable, CaseIterable {
        case post = "posts", comment = "comments", reaction = "reactions", mute = "mutes", delete = "deletes"
    }

    /// One of a user's limits as the admin API shows it.
    public struct State: Sendable {
        public var name: String
        public var perMinute: Int
        /// Writes the user may make now, one after another.
        public var available: Int
        /// How long until the next write is allowed, when none is.
        public var retryAfterMilliseconds: Int64
    }
    private struct Key: Hashable {
        var user: String
        var kind: Kind
    }

    private let limits: Limits
    private let buckets = Mutex([Key: GCRA]())
    private let now: @Sendable () -> Int64

    public init(limits: Limits, now: @escaping @Sendable () -> Int64 = WriteRateLimiter.monotonicNanoseconds) {
        self.limits = limits
        self.now = now
    }

    /// The user's limits now; a user the limiter does not know has every write available.
    public func state(of userID: String) -> [State] {
        let time = now()
        return buckets.withLock { buckets in
            Kind.allCases.map { kind in
                let perMinute = perMinute(kind)
                let bucket = buckets[Key(user: userID, kind: kind)] ?? Self.bucket(perMinute: perMinute)
                return State(name: kind.rawValue, perMinute: perMinute, available: bucket.available(now: time),
                             retryAfterMilliseconds: bucket.check(now: time).retryAfterMilliseconds)
            }
        }
    }

    private func perMinute(_ kind: Kind) -> Int {
        switch kind {
        case .post: limits.postsPerMinute
        case .comment: limits.commentsPerMinute
        case .reaction: limits.reactionsPerMinute
        case .mute: limits.mutesPerMinute
        case .delete: limits.deletesPerMinute
        }
    }

    private static func bucket(perMinute: Int) -> GCRA {
        GCRA(rate: Rate(count: perMinute, period: .seconds(60), burst: perMinute))
    }

    /// Takes one write of this command's kind from the user's budget.
    public func take(_ command: WriteCommand, by userID: String) -> GCRA.Decision {
        let kind: Kind =
            switch command {
            case .post: .post
            case .comment: .comment
            case .react: .reaction
            case .mute: .mute
            case .delete: .delete
            }
        let perMinute = perMinute(kind)
        let time = now()
        return buckets.withLock { buckets in
            let key = Key(user: userID, kind: kind)
            var bucket = buckets[key] ?? Self.bucket(perMinute: perMinute)
            let decision = bucket.take(now: time)
            buckets[key] = bucket
            if buckets.count > 100_000 {
                // Forget users whose limiters are idle again: they behave exactly like new ones.
                buckets = buckets.filter { !$0.value.isIdle(now: time) }
            }
            return decision
        }
    }
}

extension WriteRateLimiter {
    /// The monotonic clock the limiter uses unless a test supplies its own.
    @Sendable public static func monotonicNanoseconds() -> Int64 {
        Int64(clamping: NIODeadline.now().uptimeNanoseconds)
    }
}

extension GCRA.Decision {
    /// The wait a refused request is told about, in whole milliseconds (at least 1).
    public var retryAfterMilliseconds: Int64 {
        switch self {
        case .allow: 0
        case .deny(let nanoseconds): max(1, (nanoseconds + 999_999) / 1_000_000)
        }
    }
}
