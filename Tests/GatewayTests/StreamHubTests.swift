import GatewayProtocol
import NIOCore
import NIOEmbedded
import Testing
@testable import Gateway

/// The hub's flushing on one event loop: how many times each subscriber is flushed for the
/// commits that reach its loop, which is how many `writev` calls its connection costs.
@Suite("Stream hub flushes")
struct StreamHubTests {
    /// Keeps what a session keeps: whether it has written since its last flush.
    final class RecordingSubscriber: StreamSubscriber {
        var delivered: [Int64] = []
        var flushes = 0
        var flushedThrough: Int64 = 0
        private var awaitingFlush = false

        func deliver(_ event: OutboundEvent) -> Bool {
            delivered.append(event.offset)
            defer { awaitingFlush = true }
            return !awaitingFlush
        }

        func deliver(_ run: OutboundRun) -> Bool {
            delivered += run.events.map(\.offset)
            defer { awaitingFlush = true }
            return !awaitingFlush
        }

        func flushDeliveries() {
            awaitingFlush = false
            flushes += 1
            flushedThrough = delivered.last ?? 0
        }

        func deliverEphemeral(_ frame: ByteBuffer, stream: String) {}
    }

    static func event(_ stream: String, _ offset: Int64) -> StoredEvent {
        StoredEvent(stream: stream, offset: offset, type: .postCreated, timestamp: Timestamp(milliseconds: 0), dataJSON: "{}")
    }

    static func feedSubscribers(_ count: Int, of hub: StreamHub, on loop: EmbeddedEventLoop) -> [RecordingSubscriber] {
        let subscribers = (0..<count).map { _ in RecordingSubscriber() }
        for (key, subscriber) in subscribers.enumerated() { hub.add("feed", key: key, loop: loop, subscriber: subscriber) }
        return subscribers
    }

    @Test("a lone commit flushes each subscriber once, and everything it wrote")
    func loneCommit() {
        let loop = EmbeddedEventLoop()
        let hub = StreamHub()
        let subscribers = Self.feedSubscribers(3, of: hub, on: loop)
        hub.publish([Self.event("feed", 1)])
        loop.run()
        for subscriber in subscribers {
            #expect(subscriber.delivered == [1])
            #expect(subscriber.flushes == 1)
            #expect(subscriber.flushedThrough == 1)
        }
    }

    @Test("a commit of several runs flushes a subscriber of several of them once, after the last")
    func severalRuns() {
        let loop = EmbeddedEventLoop()
        let hub = StreamHub()
        let both = RecordingSubscriber()
        let feedOnly = RecordingSubscriber()
        hub.add("feed", key: 1, loop: loop, subscriber: both)
        hub.add("user:u_a", key: 1, loop: loop, subscriber: both)
        hub.add("feed", key: 2, loop: loop, subscriber: feedOnly)
        // Posts and the replies they cause, interleaved as a batch commits them: four runs.
        hub.publish([Self.event("feed", 1), Self.event("user:u_a", 1), Self.event("feed", 2), Self.event("user:u_a", 2)])
        loop.run()
        #expect(both.delivered == [1, 1, 2, 2])
        #expect(both.flushes == 1)
        #expect(both.flushedThrough == 2)
        #expect(feedOnly.delivered == [1, 2])
        #expect(feedOnly.flushes == 1)
    }

    @Test("commits that wait on the loop together are flushed together, once per subscriber")
    func commitsTogether() {
        let loop = EmbeddedEventLoop()
        let hub = StreamHub()
        let subscribers = Self.feedSubscribers(3, of: hub, on: loop)
        for offset in 1...3 { hub.publish([Self.event("feed", Int64(offset))]) }
        loop.run()
        for subscriber in subscribers {
            #expect(subscriber.delivered == [1, 2, 3])
            #expect(subscriber.flushes == 1)
            #expect(subscriber.flushedThrough == 3)
        }
        // And a commit after them, alone again, is flushed at once.
        hub.publish([Self.event("feed", 4)])
        loop.run()
        for subscriber in subscribers {
            #expect(subscriber.flushes == 2)
            #expect(subscriber.flushedThrough == 4)
        }
    }
}
