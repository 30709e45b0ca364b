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
    /// Every session's lifecycle limits, from `configuration`.
    let sessionLimits: SessionLifecycle.Limits
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
        self.connectionLimiter = ConnectionLimiter(
            limits: configuration.connectionLimits, production: configuration.mode == .production, clock: configuration.clock)
        self.bots = bots
        self.ids = ids
        self.logger = logger
        self.sessionLimits = SessionLifecycle.Limits(
            identifyTimeout: configuration.identifyTimeout, heartbeat: configuration.heartbeat,
            heldWhileIdentifying: configuration.inboundBurst, allowAnonymous: configuration.allowAnonymous,
            inboundRate: Rate(count: configuration.inboundMessagesPerSecond, period: .seconds(1), burst: configuration.inboundBurst),
            floodThreshold: configuration.inboundFloodThreshold, floodWindow: configuration.inboundFloodWindow)
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
        try await finish(startWrite(command, by: author), command, by: author)
    }

    /// Takes a write as far as it goes without waiting: refused at once, queued in the store
    /// (so a connection's writes started one after another are applied in that order), or left
    /// for `finish` to screen. `perform` split in two, so that a session can start its writes in
    /// the order they arrive and wait for their receipts side by side.
    func startWrite(_ command: WriteCommand, by author: User) -> WriteStart {
        guard !isDraining else { return .refused(.draining) }
        // A bot account writes under its persona's rules, with the AI label, whoever sends it.
        if author.role == .bot { return .needsScreening(.byBotGate) }
        return submitWithinLimit(command, by: author)
    }

    /// The receipt of a started write. `queued` is called once a bot's write, admitted by its
    /// persona's gate, has its place in the store's queue or was refused by the rate limit, so that
    /// the bot's next write can follow it (a write refused or replayed before that never calls it).
    func finish(_ start: WriteStart, _ command: WriteCommand, by author: User,
                queued: @Sendable () -> Void = {}) async throws(GatewayError) -> WriteReceipt {
        switch start {
        case .queued(let pending):
            return try await withCheckedContinuation { answered in whenAnswered(pending) { answered.resume(returning: $0) } }.get()
        case .refused(let error):
            throw error
        case .needsScreening(.overLimit(let retryAfterMilliseconds)):
            if let replay = try await store.replayedWrite(command, by: author) { return replay }
            throw countedOverLimit(retryAfterMilliseconds)
        case .needsScreening(.byBotGate):
            if let replay = try await store.replayedWrite(command, by: author) { return replay }
            guard let gate = botWriteGate.withLock({ $0 }) else { throw .forbidden("Bot accounts cannot write on this server.") }
            let admitted = try await gate.admit(command, by: author)
            let start = submitWithinLimit(admitted, by: author)
            queued()
            return try await finish(start, admitted, by: author)
        }
    }

    /// `finish` for a queued write whose caller only hands the answer on (a session's ack), with no
    /// task per write: `answered` runs on whichever thread answers the write (see
    /// `PendingWrite.whenAnswered`), so it should only pass the answer to where it is used. Every
    /// queued write's answer passes here, `finish`'s too, so the writes metric counts each once.
    func whenAnswered(_ pending: PendingWrite, _ answered: @escaping @Sendable (Result<WriteReceipt, GatewayError>) -> Void) {
        pending.whenAnswered { [metrics] outcome in
            if case .success = outcome { metrics.writes.increment() }
            answered(outcome)
        }
    }

    /// The per-user rate limit, then the store's queue.
    private func submitWithinLimit(_ command: WriteCommand, by author: User) -> WriteStart {
        let decision = writeLimiter.take(command, by: author.id)
        if decision == .allow { return .queued(store.submit(command, by: author)) }
        // Only a repeated client_id, which writes nothing, is answered over the limit.
        if command.clientID != nil { return .needsScreening(.overLimit(retryAfterMilliseconds: decision.retryAfterMilliseconds)) }
        return .refused(countedOverLimit(decision.retryAfterMilliseconds))
    }

    /// The refusal of a write over the limit, counted in the metrics.
    private func countedOverLimit(_ retryAfterMilliseconds: Int64) -> GatewayError {
        metrics.writesRateLimited.increment()
        return GatewayError(.rateLimited, "You are writing too fast; try again in \(retryAfterMilliseconds) ms.",
                            retryAfterMilliseconds: retryAfterMilliseconds)
    }

    private static let lastCloseMargin = Duration.seconds(1)
    private static let stopMargin = Duration.seconds(2)

    /// Stops taking writes and new sessions, closes every session with 4011 and waits for the
    /// writes in flight to be durable (PROTOCOL.md section 10), then for the sessions to close:
    /// a session's 4011 goes after the frames it has queued, and a process that exited at once
    /// cut slow readers mid-frame, without their close. A socket that cannot take its close is
    /// cut after the grace period, so the wait is bounded by it.
    public func drain() async {
        guard !drainingFlag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let started = ContinuousClock.now
        logger.notice("Draining: closing \(sessions.count) sessions with 4011 and finishing writes in flight.")
        sessions.drainAll()
        await store.drain()
        // The grace and a little more for the last close to reach the registry, but never past
        // the drain deadline, less the margin the services need to stop after it.
        let wait = min(configuration.closeGracePeriod + Self.lastCloseMargin, configuration.drainDeadline - Self.stopMargin - (ContinuousClock.now - started))
        let open = await sessions.waitUntilEmpty(within: wait)
        logger.notice("Drain complete: every acknowledged write is durable\(open == 0 ? " and every session closed" : "; \(open) sessions did not close in time").")
    }
}

/// How far a write got without waiting (`GatewayRuntime.startWrite`).
enum WriteStart: Sendable {
    /// In the store's queue: its place in the commit order is taken.
    case queued(PendingWrite)
    case refused(GatewayError)
    /// Needs a look that waits (`GatewayRuntime.finish`) before it is queued or answered.
    case needsScreening(Screening)

    enum Screening: Sendable {
        /// A bot account's write, which its persona's gate admits first.
        case byBotGate
        /// Over the rate limit, but a repeated client_id is still answered from its record.
        case overLimit(retryAfterMilliseconds: Int64)
    }
}
