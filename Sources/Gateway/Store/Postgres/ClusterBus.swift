import CoreMetrics
import Foundation
import Logging
import PostgresNIO
import Synchronization
import GatewayProtocol

/// Brings every committed event of the cluster to this node's subscribers, in commit order, with
/// no gap, and carries ephemeral frames (typing, bot drafts) between nodes.
///
/// Events arrive by NOTIFY, sent inside each write transaction (so only committed events are
/// announced, in commit order). Each carries the cluster sequence number `seq`; this node keeps
/// the last one it delivered. A notification that skips ahead (the LISTEN connection was lost,
/// PostgreSQL restarted) makes the node read the missing events from the log first; so does a
/// head that has not been announced within a second. If the log no longer holds them (pruned),
/// the node closes its sessions with 4011 so that their clients resume from the store.
public final class ClusterBus: Sendable {
    private enum Input: Sendable {
        case connected
        case events(String)
        case tick
    }

    private struct Relay {
        var frames: [(stream: String, payload: [UInt8])] = []
        var flushing = false
    }

    let location: PostgresLocation
    let client: PostgresClient
    let hub: StreamHub
    let metrics: GatewayMetrics?
    private let clock: GatewayClock
    let logger: Logger
    /// This node, so that its own ephemeral frames are not delivered twice.
    public let nodeID = IDGenerator.random("n")
    private let listening = Atomic(false)
    private let gapHandler = Mutex<(@Sendable () -> Void)?>(nil)
    private let relay = Mutex(Relay())
    /// The last sequence number handed to the hub, and the writes waiting for theirs.
    private let progress = Mutex<(delivered: Int64, waiters: [(seq: Int64, reply: OneShot<Void>)])>((0, []))
    /// Ephemeral frames waiting for the next NOTIFY; past this, the oldest are dropped.
    private static let relayLimit = 2_000

    init(location: PostgresLocation, client: PostgresClient, hub: StreamHub, clock: GatewayClock, metrics: GatewayMetrics?, logger: Logger) {
        self.location = location
        self.client = client
        self.hub = hub
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
    }

    /// True while the LISTEN connection is up.
    public var isListening: Bool { listening.load(ordering: .relaxed) }

    /// Waits until the events through `seq` were handed to this node's subscribers (at most
    /// `limit`), so that a writer's own session gets its events before its ack, as with SQLite.
    func waitForDelivery(through seq: Int64, limit: Duration) async {
        let reply = OneShot<Void>()
        let done = progress.withLock { progress -> Bool in
            if progress.delivered >= seq { return true }
            progress.waiters.append((seq, reply))
            return false
        }
        if done { return }
        let timer = Task {
            try await Task.sleep(for: limit)
            reply.answer(())
        }
        await reply.wait()
        timer.cancel()
    }

    private func markDelivered(_ seq: Int64) {
        let ready = progress.withLock { progress -> [OneShot<Void>] in
            progress.delivered = max(progress.delivered, seq)
            let ready = progress.waiters.filter { $0.seq <= seq }.map(\.reply)
            progress.waiters.removeAll { $0.seq <= seq }
            return ready
        }
        for reply in ready { reply.answer(()) }
    }

    /// What to do when events were lost for good (close the sessions so clients resume).
    public func onGap(_ handler: @escaping @Sendable () -> Void) {
        gapHandler.withLock { $0 = handler }
    }

    /// Listens, delivers and reconnects until cancelled.
    public func run() async {
        let (inputs, input) = AsyncStream<Input>.makeStream()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listen(into: input) }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    input.yield(.tick)
                }
            }
            group.addTask { await self.deliver(inputs) }
            await group.next()
            group.cancelAll()
        }
        listening.store(false, ordering: .relaxed)
    }

    // MARK: Listening

    private struct ListenEnded: Error {}

    /// Keeps a LISTEN connection open on both channels, reconnecting with backoff.
    private func listen(into input: AsyncStream<Input>.Continuation) async {
        await location.keepConnected(
            .bus, logger: logger, whileLost: "reconnecting, events will be read back from the log.", longestWait: .seconds(2),
            lost: {
                listening.store(false, ordering: .relaxed)
                if !Task.isCancelled { metrics?.busReconnects.increment() }
            }
        ) { connection in
            try await connection.listen(on: location.eventsChannel) { events in
                try await connection.listen(on: location.ephemeralChannel) { frames in
                    listening.store(true, ordering: .relaxed)
                    input.yield(.connected)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for try await notification in events { input.yield(.events(notification.payload)) }
                            throw ListenEnded()
                        }
                        group.addTask {
                            for try await notification in frames { self.receiveFrames(notification.payload) }
                            throw ListenEnded()
                        }
                        try await group.next()
                    }
                }
            }
        }
    }

    // MARK: Delivering

    /// The one place events are handed to the hub, one input at a time, so order holds.
    private func deliver(_ inputs: AsyncStream<Input>) async {
        var delivered: Int64? {
            didSet { if let delivered { markDelivered(delivered) } }
        }
        var headAtLastTick: Int64?
        for await input in inputs {
            switch input {
            case .connected:
                if let last = delivered {
                    delivered = await catchUp(from: last, through: nil)
                } else {
                    delivered = try? await head()
                }
            case .tick:
                guard let head = try? await head() else { continue }
                guard let last = delivered else {
                    delivered = head
                    continue
                }
                // Events committed before the last tick and still not announced: read them.
                if let previous = headAtLastTick, last < previous { delivered = await catchUp(from: last, through: head) }
                headAtLastTick = head
            case .events(let payload):
                metrics?.busNotifications.increment()
                guard let message = BusMessage.decodeEvents(payload) else {
                    logger.error("Cluster bus: a notification could not be read; the events it carried will be read from the log.")
                    continue
                }
                var last = delivered ?? message.first - 1
                if message.last <= last { continue }
                if message.first > last + 1 { last = await catchUp(from: last, through: message.first - 1) }
                guard last >= message.first - 1 else {
                    delivered = last
                    continue
                }
                delivered = await publish(message, after: last)
            }
        }
    }

    /// Hands a notification's events after `last` to the hub; events sent by reference are read
    /// from the log. Returns the last sequence number delivered.
    private func publish(_ message: BusMessage.Events, after last: Int64) async -> Int64 {
        let fresh = message.entries.filter { $0.seq > last }
        let references = fresh.filter { $0.dataJSON == nil }.map(\.seq)
        var fetched: [Int64: StoredEvent] = [:]
        if !references.isEmpty {
            guard let rows = try? await events(where: "seq = ANY($1)", references) else { return last }
            for (seq, event) in rows { fetched[seq] = event }
        }
        var events: [StoredEvent] = []
        events.reserveCapacity(fresh.count)
        let now = clock.now().milliseconds
        for entry in fresh {
            guard let event = entry.event ?? fetched[entry.seq] else { return last }
            metrics?.busLatency.recordNanoseconds(max(0, now - event.timestamp.milliseconds) * 1_000_000)
            events.append(event)
        }
        metrics?.busEvents.increment(by: events.count)
        if !events.isEmpty { hub.publish(events) }
        return message.last
    }

    /// Reads and delivers the events after `from` (through `through`, or the head), in pages.
    /// Returns the last sequence number delivered, `from` when the log could not be read.
    private func catchUp(from: Int64, through: Int64?) async -> Int64 {
        var last = from
        while through.map({ last < $0 }) ?? true {
            guard let page = try? await events(where: "seq > $1 ORDER BY seq LIMIT 1000", last) else { return last }
            let wanted = page.filter { entry in through.map { entry.seq <= $0 } ?? true }
            guard !wanted.isEmpty else {
                // The head says more exists but the log has none of it: pruned.
                if let through, last < through {
                    lost(from: last, through: through)
                    return through
                }
                return last
            }
            var expected = last + 1
            for entry in wanted {
                if entry.seq != expected { lost(from: expected - 1, through: entry.seq - 1) }
                expected = entry.seq + 1
            }
            metrics?.busCatchUpEvents.increment(by: wanted.count)
            hub.publish(wanted.map(\.event))
            last = wanted[wanted.count - 1].seq
            if page.count < 1000 { break }
        }
        if last > from { logger.info("Cluster bus: read \(last - from) events from the log to fill a gap in notifications.") }
        return last
    }

    private func lost(from: Int64, through: Int64) {
        logger.error(
            "Cluster bus: events \(from + 1)…\(through) are no longer in the log (pruned while this node was cut off); closing sessions with 4011 so that clients resume from the store.")
        gapHandler.withLock { $0 }?()
    }

    /// A read of the bus, bounded: a query stuck on a connection that died must not stop delivery.
    private static let readLimit = Duration.seconds(5)

    private func head() async throws -> Int64 {
        let (client, logger) = (self.client, self.logger)
        return try await withDeadline(Self.readLimit) {
            try await client.query("SELECT seq FROM log_head WHERE id = 1", logger: logger).collect().first?.decode(Int64.self) ?? 0
        }
    }

    private func events(where condition: String, _ argument: some PostgresDynamicTypeEncodable) async throws -> [(seq: Int64, event: StoredEvent)] {
        var bindings = PostgresBindings()
        bindings.append(argument)
        let query = PostgresQuery(unsafeSQL: #"SELECT seq, stream, "offset", type, ts, data FROM events WHERE "# + condition, binds: bindings)
        let (client, logger) = (self.client, self.logger)
        return try await withDeadline(Self.readLimit) {
            var events: [(seq: Int64, event: StoredEvent)] = []
            for try await (seq, stream, offset, type, ts, data) in try await client.query(query, logger: logger)
                .decode((Int64, String, Int64, String, Int64, String).self) {
                guard let kind = StoredEvent.Kind(rawValue: type) else { continue }
                events.append((seq, StoredEvent(stream: stream, offset: offset, type: kind, timestamp: Timestamp(milliseconds: ts), dataJSON: data)))
            }
            return events.sorted { $0.seq < $1.seq }
        }
    }

    // MARK: Ephemeral frames

    /// Sends an ephemeral frame to the other nodes, batched with whatever else is waiting.
    func send(stream: String, payload: [UInt8]) {
        let start = relay.withLock { relay -> Bool in
            relay.frames.append((stream, payload))
            if relay.frames.count > Self.relayLimit { relay.frames.removeFirst(relay.frames.count - Self.relayLimit) }
            if relay.flushing { return false }
            relay.flushing = true
            return true
        }
        if start { Task { await flushFrames() } }
    }

    private func flushFrames() async {
        while true {
            let frames = relay.withLock { relay -> [(stream: String, payload: [UInt8])] in
                defer { relay.frames.removeAll() }
                if relay.frames.isEmpty { relay.flushing = false }
                return relay.frames
            }
            if frames.isEmpty { return }
            for payload in BusMessage.encode(frames: frames, node: nodeID) {
                // Ephemeral: lost when PostgreSQL is away, by design.
                _ = try? await client.query("SELECT pg_notify(\(location.ephemeralChannel), \(payload))", logger: logger)
            }
        }
    }

    private func receiveFrames(_ payload: String) {
        guard let message = BusMessage.decodeFrames(payload), message.node != nodeID else { return }
        for frame in message.frames { hub.publishEphemeralHere(payload: frame.payload, stream: frame.stream) }
    }
}
