import CoreMetrics
public import Logging
import NIOCore
import Persona
import Synchronization
public import GatewayProtocol

/// The services every connection and route shares: store, fan-out, tokens, limits and the drain
/// switch. One per running gateway.
public final class GatewayRuntime: Sendable {
    public let configuration: GatewayConfiguration
    public let store: any FeedStore
    public let hub: StreamHub
    public let tokens: TokenAuthority
    public let writeLimiter: WriteRateLimiter
    public let bots: BotRoster
    public let ids: IDGenerator
    public let sessions = SessionRegistry()
    let deadlineWheels: DeadlineWheels
    public let connectionLimiter: ConnectionLimiter
    public let metrics: GatewayMetrics
    public let logger: Logger
    private let drainingFlag = Atomic(false)
    private let botWriteGate = Mutex<(any BotWriteGate)?>(nil)

    public init(configuration: GatewayConfiguration, store: any FeedStore, hub: StreamHub, tokens: TokenAuthority,
                bots: BotRoster, ids: IDGenerator, metrics: GatewayMetrics = GatewayMetrics(), logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics
        self.store = store
        self.hub = hub
        self.tokens = tokens
        self.writeLimiter = WriteRateLimiter(limits: configuration.writeLimits, clock: configuration.clock)
        self.connectionLimiter = ConnectionLimiter(limits: configuration.connectionLimits, clock: configuration.clock)
        self.bots = bots
        self.ids = ids
        self.logger = logger
        // Deadlines are met up to a tick late: a tenth of a second, finer when the deadlines are short.
        let shortest = min(configuration.identifyTimeout, configuration.heartbeat)
        self.deadlineWheels = DeadlineWheels(tick: .nanoseconds(max(10_000_000, min(100_000_000, shortest.nanoseconds / 8))))
    }

    /// Who admits writes of bot-token sessions (the bot runner, once it runs).
    public func setBotWriteGate(_ gate: any BotWriteGate) {
        botWriteGate.withLock { $0 = gate }
    }

    public var isDraining: Bool { drainingFlag.load(ordering: .acquiring) }

    /// Applies a write for `author`, with the per-user rate limits; a repeated `client_id` is
    /// answered from its record even when the user is over the limit, since it writes nothing.
    public func perform(_ command: WriteCommand, by author: User) async throws(GatewayError) -> WriteReceipt {
        guard !isDraining else { throw .draining }
        var command = command
        if author.role == .bot {
            // A bot account writes under its persona's rules, with the AI label, whoever sends it.
            if let replay = try await store.replayedWrite(command, by: author) { return replay }
            guard let gate = botWriteGate.withLock({ $0 }) else { throw .forbidden("Bot accounts cannot write on this server.") }
            command = try await gate.admit(command, by: author)
        }
        let decision = writeLimiter.take(command, by: author.id)
        if decision != .allow {
            if let replay = try await store.replayedWrite(command, by: author) { return replay }
            metrics.writesRateLimited.increment()
            throw GatewayError(
                .rateLimited, "You are writing too fast; try again in \(decision.retryAfterMilliseconds) ms.",
                retryAfterMilliseconds: decision.retryAfterMilliseconds)
        }
        let receipt = try await store.write(command, by: author)
        metrics.writes.increment()
        return receipt
    }

    /// Stops taking writes and new sessions, closes every session with 4011 and waits for the
    /// writes in flight to be durable (PROTOCOL.md section 10).
    public func drain() async {
        guard !drainingFlag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        logger.notice("Draining: closing \(sessions.count) sessions with 4011 and finishing writes in flight.")
        sessions.drainAll()
        await store.drain()
        logger.notice("Drain complete: every acknowledged write is durable.")
    }
}
