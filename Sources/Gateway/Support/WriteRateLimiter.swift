public import Persona
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
    private struct Key: Hashable, Sendable {
        var user: String
        var kind: Kind
    }

    private let limits: Limits
    /// Forgets idle users once it holds this many limiters.
    private let buckets: KeyedRateLimiter<Key>

    public init(limits: Limits, clock: GatewayClock) {
        self.limits = limits
        self.buckets = KeyedRateLimiter(capacity: 100_000, clock: clock)
    }

    /// The user's limits now; a user the limiter does not know has every write available.
    public func state(of userID: String) -> [State] {
        let (buckets, time) = buckets.buckets(Kind.allCases.map { (key: Key(user: userID, kind: $0), rate: rate($0)) })
        return zip(Kind.allCases, buckets).map { kind, bucket in
            State(name: kind.rawValue, perMinute: perMinute(kind), available: bucket.available(now: time),
                  retryAfterMilliseconds: bucket.check(now: time).retryAfterMilliseconds)
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

    /// The per-minute count is also the burst.
    private func rate(_ kind: Kind) -> Rate {
        Rate(count: perMinute(kind), period: .seconds(60), burst: perMinute(kind))
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
        return buckets.take(Key(user: userID, kind: kind), rate: rate(kind))
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
