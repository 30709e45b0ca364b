import CoreMetrics
public import NIOCore
import Synchronization
public import GatewayProtocol

/// A committed event encoded once: `frame` holds the finished WebSocket frame that every
/// subscriber is written, compressing or not (PerMessageDeflate sends uncompressed).
public struct OutboundEvent: Sendable {
    public let stream: String
    public let offset: Int64
    public let frame: ByteBuffer

    public init(_ event: StoredEvent) {
        stream = event.stream
        offset = event.offset
        frame = WebSocketFraming.frame(.text, payload: ServerFrame.event(event))
    }
}

/// Something that takes events for its subscriptions, on its own event loop.
public protocol StreamSubscriber: AnyObject {
    /// Called on the subscriber's event loop with every event of its streams from one commit, in
    /// offset order.
    func deliver(_ events: [OutboundEvent])
    /// An ephemeral frame (typing, drafts) for one of its streams; may be dropped under pressure.
    func deliverEphemeral(_ frame: ByteBuffer, stream: String)
}

/// Subscriptions and fan-out: who listens to which stream, and the delivery of each committed
/// event to all of them. Each event is encoded once; the subscribers of one event loop get one task
/// per commit for all their events, so that nothing hops per message per connection.
public final class StreamHub: EventSink {
    /// A subscriber as the hub keeps it: usable only on its event loop, which `NIOLoopBound` checks.
    struct Entry: @unchecked Sendable {
        // Safe: `subscriber` is only touched through `NIOLoopBound`, which traps off its loop.
        let key: Int
        let loop: any EventLoop
        let subscriber: NIOLoopBound<any StreamSubscriber>
    }

    private let streams = Mutex([String: [Int: Entry]]())
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
        streams.withLock { $0.values.reduce(0) { $0 + $1.count } }
    }

    /// Starts delivering `stream`'s events to `subscriber` (identified by `key`).
    public func add(_ stream: String, key: Int, loop: any EventLoop, subscriber: any StreamSubscriber) {
        let entry = Entry(key: key, loop: loop, subscriber: NIOLoopBound(subscriber, eventLoop: loop))
        streams.withLock { $0[stream, default: [:]][key] = entry }
    }

    public func remove(_ stream: String, key: Int) {
        streams.withLock { streams in
            streams[stream]?[key] = nil
            if streams[stream]?.isEmpty == true { streams[stream] = nil }
        }
    }

    public func subscriberCount(of stream: String) -> Int {
        streams.withLock { $0[stream]?.count ?? 0 }
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
        // Who listens, taken under the lock; encoding happens outside it, once per event that
        // has a listener.
        let listeners: [[Entry]] = streams.withLock { streams in
            events.map { event in streams[event.stream].map { Array($0.values) } ?? [] }
        }
        // Per event loop, per subscriber, the events it takes, in order.
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, deliveries: [Int: (entry: Entry, events: [OutboundEvent])])] = [:]
        for (event, entries) in zip(events, listeners) where !entries.isEmpty {
            let encoded = OutboundEvent(event)
            for entry in entries {
                let loopID = ObjectIdentifier(entry.loop)
                if byLoop[loopID] == nil { byLoop[loopID] = (entry.loop, [:]) }
                byLoop[loopID]!.deliveries[entry.key, default: (entry, [])].events.append(encoded)
            }
        }
        let metrics = self.metrics
        for (_, group) in byLoop {
            let deliveries = Array(group.deliveries.values)
            group.loop.execute {
                for (entry, events) in deliveries {
                    entry.subscriber.value.deliver(events)
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
        let frame = WebSocketFraming.frame(.text, payload: payload)
        let entries = streams.withLock { streams in streams[stream].map { Array($0.values) } ?? [] }
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, entries: [Entry])] = [:]
        for entry in entries where entry.key != excluding {
            byLoop[ObjectIdentifier(entry.loop), default: (entry.loop, [])].entries.append(entry)
        }
        for (_, group) in byLoop {
            let entries = group.entries
            group.loop.execute {
                for entry in entries { entry.subscriber.value.deliverEphemeral(frame, stream: stream) }
            }
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
