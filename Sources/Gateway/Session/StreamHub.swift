import CoreMetrics
public import NIOCore
import Synchronization
public import GatewayProtocol

/// Something that takes events for its subscriptions, on its own event loop.
public protocol StreamSubscriber: AnyObject {
    /// Writes one committed event of its streams, in offset order, without flushing. True when
    /// it wrote and had nothing unflushed before: the hub then calls `flushDeliveries` once, at
    /// once when no other commit waits on the loop, or else after the last event of the commits
    /// that reached the loop together (one flush, so one `writev`, per connection for all of them).
    func deliver(_ event: OutboundEvent) -> Bool
    /// Writes consecutive events of one of its streams, as `deliver(_:)` would one by one.
    func deliver(_ run: OutboundRun) -> Bool
    func flushDeliveries()
    /// An ephemeral frame (typing, drafts) for one of its streams; may be dropped under pressure.
    func deliverEphemeral(_ frame: ByteBuffer, stream: String)
}

/// Subscriptions and fan-out: who listens to which stream, and the delivery of each committed
/// event to all of them. Subscribers are kept by the event loop they run on, each loop's by
/// stream on that loop, so a commit is encoded once and handed to each interested loop in one
/// task, whatever the number of subscribers; the loop then writes the same bytes to each of its
/// subscribers, and each connection is flushed once for the commits that arrived together.
public final class StreamHub: EventSink {
    /// The subscribers of one event loop, by stream. Touched only on that loop.
    final class LoopSubscribers {
        private var streams: [String: [Int: any StreamSubscriber]] = [:]
        /// Subscribers written to and not flushed yet (kept between commits so that its storage is
        /// reused): commits that arrive together share one flush, one `writev` per connection.
        private var unflushed: [any StreamSubscriber] = []
        /// A `flush` task is on the loop's queue, behind the commits that were waiting.
        private var flushQueued = false

        func add(_ stream: String, key: Int, _ subscriber: any StreamSubscriber) {
            streams[stream, default: [:]][key] = subscriber
        }

        /// False when there was no such subscription.
        func remove(_ stream: String, key: Int) -> Bool {
            guard streams[stream]?.removeValue(forKey: key) != nil else { return false }
            if streams[stream]?.isEmpty == true { streams[stream] = nil }
            return true
        }

        /// Writes a commit's events to their subscribers and flushes them once, whatever the
        /// number of runs it has. A commit that finds nothing unflushed and no commit waiting
        /// behind it flushes each subscriber of its last run as soon as it is written, so that the
        /// first are on the wire while the rest are still being written. Otherwise the flushes wait
        /// for the end of the commit, and, while commits wait behind it, for a task queued behind
        /// them, which then writes those commits together in one `writev` per connection.
        func deliver(_ events: [OutboundEvent], commitsQueued: borrowing Atomic<Int>, then queueFlush: () -> Void) {
            let flushAsWritten = unflushed.isEmpty
            var start = events.startIndex
            while start < events.endIndex {
                let range = start..<OutboundRun.endOfRun(in: events, startingAt: start)
                start = range.upperBound
                // A subscriber of an earlier run may be one of the last run too: it is flushed once, at the end.
                let flushNow = flushAsWritten && start == events.endIndex
                guard let subscribers = streams[events[range.lowerBound].stream] else { continue }
                if range.count == 1 {
                    for subscriber in subscribers.values where subscriber.deliver(events[range.lowerBound]) {
                        written(subscriber, flushNow: flushNow && commitsQueued.load(ordering: .relaxed) == 0)
                    }
                } else {
                    let run = OutboundRun(events[range])
                    for subscriber in subscribers.values where subscriber.deliver(run) {
                        written(subscriber, flushNow: flushNow && commitsQueued.load(ordering: .relaxed) == 0)
                    }
                }
            }
            guard !unflushed.isEmpty else { return }
            if commitsQueued.load(ordering: .relaxed) == 0 {
                flushWritten()
            } else if !flushQueued {
                flushQueued = true
                queueFlush()
            }
        }

        private func written(_ subscriber: any StreamSubscriber, flushNow: Bool) {
            if flushNow { subscriber.flushDeliveries() } else { unflushed.append(subscriber) }
        }

        /// The queued flush task.
        func flush() {
            flushQueued = false
            flushWritten()
        }

        private func flushWritten() {
            for subscriber in unflushed { subscriber.flushDeliveries() }
            unflushed.removeAll(keepingCapacity: true)
        }

        func deliverEphemeral(_ frame: ByteBuffer, stream: String, excluding: Int?) {
            for (key, subscriber) in streams[stream] ?? [:] where key != excluding {
                subscriber.deliverEphemeral(frame, stream: stream)
            }
        }
    }

    final class Loop: Sendable {
        let loop: any EventLoop
        let subscribers: NIOLoopBound<LoopSubscribers>
        /// Commits handed to this loop whose delivery has not started: a delivery that sees one
        /// leaves its flushes for later, to share them with it.
        let commitsQueued = Atomic<Int>(0)

        init(_ loop: any EventLoop) {
            self.loop = loop
            subscribers = NIOLoopBound(LoopSubscribers(), eventLoop: loop)
        }
    }

    /// What a commit reads under the lock: the loops, and per stream how many subscribers each
    /// loop has. Changed only when a subscription starts or ends.
    private struct Index {
        var loops: [ObjectIdentifier: Loop] = [:]
        var streams: [String: [ObjectIdentifier: Int]] = [:]
    }

    private let index = Mutex(Index())
    /// Components that react to committed events (the bot runner); called after delivery is
    /// scheduled, and must not block.
    private let observers = Mutex([@Sendable ([StoredEvent]) -> Void]())
    /// Where ephemeral frames also go so that other nodes' subscribers see them (the cluster bus).
    private let ephemeralRelay = Mutex<(@Sendable (_ stream: String, _ payload: [UInt8]) -> Void)?>(nil)
    private let typingSeen = Mutex([String: Int64]())
    private let typingInterval: Int64
    private let metrics: GatewayMetrics?

    public init(typingIntervalNanoseconds: Int64 = 2_000_000_000, metrics: GatewayMetrics? = nil) {
        typingInterval = typingIntervalNanoseconds
        self.metrics = metrics
    }

    /// Subscriptions of every connection together.
    public var subscriptionCount: Int {
        index.withLock { $0.streams.values.reduce(0) { $0 + $1.values.reduce(0, +) } }
    }

    /// Starts delivering `stream`'s events to `subscriber` (identified by `key`). Called on
    /// `loop`, the subscriber's own.
    public func add(_ stream: String, key: Int, loop: any EventLoop, subscriber: any StreamSubscriber) {
        let id = ObjectIdentifier(loop)
        let entry = index.withLock { index -> Loop? in
            index.streams[stream, default: [:]][id, default: 0] += 1
            return index.loops[id]
        } ?? makeLoop(loop)
        entry.subscribers.value.add(stream, key: key, subscriber)
    }

    private func makeLoop(_ loop: any EventLoop) -> Loop {
        let made = Loop(loop)
        return index.withLock { index in
            if let existing = index.loops[ObjectIdentifier(loop)] { return existing }
            index.loops[ObjectIdentifier(loop)] = made
            return made
        }
    }

    /// Stops a subscription; called on the subscriber's loop.
    public func remove(_ stream: String, key: Int, loop: any EventLoop) {
        let id = ObjectIdentifier(loop)
        index.withLock { index in
            guard let entry = index.loops[id], entry.subscribers.value.remove(stream, key: key) else { return }
            index.streams[stream]?[id]? -= 1
            if index.streams[stream]?[id] == 0 { index.streams[stream]?[id] = nil }
            if index.streams[stream]?.isEmpty == true { index.streams[stream] = nil }
        }
    }

    public func subscriberCount(of stream: String) -> Int {
        index.withLock { $0.streams[stream]?.values.reduce(0, +) ?? 0 }
    }

    public func setEphemeralRelay(_ relay: @escaping @Sendable (_ stream: String, _ payload: [UInt8]) -> Void) {
        ephemeralRelay.withLock { $0 = relay }
    }

    public func addObserver(_ observer: @escaping @Sendable ([StoredEvent]) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    public func publish(_ events: [StoredEvent]) {
        let committed = NIODeadline.now()
        metrics?.eventsCommitted.increment(by: events.count)
        defer {
            for observer in observers.withLock({ $0 }) { observer(events) }
        }
        // Which loops listen to which of the events, taken under the lock; the encoding happens
        // outside it, once per event that has a listener.
        let (loops, listened) = index.withLock { index -> ([ObjectIdentifier: (loop: Loop, events: [Int])], [Bool]) in
            var loops: [ObjectIdentifier: (loop: Loop, events: [Int])] = [:]
            var listened = [Bool](repeating: false, count: events.count)
            for (position, event) in events.enumerated() {
                guard let counts = index.streams[event.stream] else { continue }
                listened[position] = true
                for id in counts.keys {
                    guard let loop = index.loops[id] else { continue }
                    loops[id, default: (loop, [])].events.append(position)
                }
            }
            return (loops, listened)
        }
        guard !loops.isEmpty else { return }
        let encoded: [OutboundEvent?] = events.indices.map { listened[$0] ? OutboundEvent(events[$0]) : nil }
        let metrics = self.metrics
        for (loop, positions) in loops.values {
            let batch = positions.compactMap { encoded[$0] }
            loop.commitsQueued.add(1, ordering: .relaxed)
            loop.loop.execute {
                loop.commitsQueued.subtract(1, ordering: .relaxed)
                loop.subscribers.value.deliver(batch, commitsQueued: loop.commitsQueued) {
                    loop.loop.execute { loop.subscribers.value.flush() }
                }
                metrics?.fanoutLatency.recordNanoseconds(Int64(clamping: (NIODeadline.now() - committed).nanoseconds))
            }
        }
    }

    /// Sends an ephemeral frame (its JSON payload) to a stream's subscribers except `excluding`,
    /// here and, through the relay, on the other nodes.
    public func publishEphemeral(payload: [UInt8], stream: String, excluding: Int?) {
        ephemeralRelay.withLock { $0 }?(stream, payload)
        publishEphemeralHere(payload: payload, stream: stream, excluding: excluding)
    }

    /// Sends another node's ephemeral frame to this node's subscribers.
    public func publishEphemeralHere(payload: [UInt8], stream: String, excluding: Int? = nil) {
        let loops = index.withLock { index in (index.streams[stream]?.keys).map { $0.compactMap { index.loops[$0] } } ?? [] }
        guard !loops.isEmpty else { return }
        let frame = WebSocketFraming.frame(.text, payload: payload)
        for loop in loops {
            loop.loop.execute { loop.subscribers.value.deliverEphemeral(frame, stream: stream, excluding: excluding) }
        }
    }

    /// Whether a user's typing signal in a thread may go out now: at most one per interval
    /// (PROTOCOL.md section 6); more are dropped silently.
    public func admitTyping(userID: String, stream: String, now: Int64) -> Bool {
        let key = userID + "\u{0}" + stream
        return typingSeen.withLock { seen in
            if let last = seen[key], now - last < typingInterval { return false }
            seen[key] = now
            if seen.count > 50_000 { seen = seen.filter { now - $0.value < typingInterval } }
            return true
        }
    }
}
