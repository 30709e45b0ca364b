import NIOCore
import Testing
@testable import Gateway
@testable import GatewayProtocol

/// A session's subscriptions as a value: admission, the store's answer with the live events held
/// meanwhile, replay pages, and live delivery by offset; no socket, no store.
@Suite("Session subscription rules")
struct SessionSubscriptionsTests {
    let alice = User(id: "u_alice", name: "Alice", role: .user)

    func event(_ offset: Int64, on stream: String = "feed") -> StoredEvent {
        StoredEvent(stream: stream, offset: offset, type: .postCreated, timestamp: Timestamp(milliseconds: 0), dataJSON: "{}")
    }

    func start(at offset: Int64, recovered: Bool = false, replay: [Int64] = []) -> Result<SubscriptionStart, GatewayError> {
        .success(SubscriptionStart(position: StreamPosition(offset: offset, epoch: "e"), recovered: recovered, replay: replay.map { event($0) }))
    }

    @Test("a sub is admitted once per stream, up to the maximum, and a user stream only by its owner")
    func admission() throws {
        var subscriptions = SessionSubscriptions(maximum: 2)
        #expect(throws: Never.self) { try subscriptions.begin("feed", user: alice).get() }
        #expect(throws: GatewayError.self) { try subscriptions.begin("feed", user: alice).get() }
        #expect(throws: GatewayError.self) { try subscriptions.begin("user:u_bob", user: alice).get() }
        #expect(throws: GatewayError.self) { try subscriptions.begin("nowhere", user: alice).get() }
        let second = try subscriptions.begin("user:u_alice", user: alice).get()
        #expect(second.generation == 2)
        let refusal = try #require(subscriptions.begin("thread:p_1", user: alice).failure)
        #expect(refusal.code == .tooManySubscriptions)
        #expect(subscriptions.remove("feed") && !subscriptions.remove("feed"))
    }

    @Test("events held while the store answers are written after its offset; a hole among them closes (events missed)")
    func heldWhileStarting() throws {
        var subscriptions = SessionSubscriptions(maximum: 4)
        let generation = try subscriptions.begin("feed", user: nil).get().generation
        for offset: Int64 in [5, 6, 7] {
            #expect(subscriptions.deliver(OutboundEvent(event(offset))) == .skip)
        }
        guard case .live(let written) = subscriptions.started("feed", generation: generation, since: nil, start(at: 5)) else {
            Issue.record("expected live")
            return
        }
        #expect(written.map(\.offset) == [6, 7], "what the store already counted is not written twice")
        #expect(subscriptions.deliver(OutboundEvent(event(7))) == .skip)
        #expect(subscriptions.deliver(OutboundEvent(event(8))) == .write)
        #expect(subscriptions.deliver(OutboundEvent(event(10))) == .close(.eventsMissed))

        var holey = SessionSubscriptions(maximum: 4)
        let again = try holey.begin("feed", user: nil).get().generation
        _ = holey.deliver(OutboundEvent(event(6)))
        _ = holey.deliver(OutboundEvent(event(9)))
        guard case .closeAfter(let before, let why) = holey.started("feed", generation: again, since: nil, start(at: 5)) else {
            Issue.record("expected a close")
            return
        }
        #expect(before.map(\.offset) == [6], "what comes before the hole is written first")
        #expect(why == .eventsMissed)
    }

    @Test("a run of events is taken whole only by a live subscription just before it; otherwise nothing changes and its events go one by one")
    func runs() throws {
        var subscriptions = SessionSubscriptions(maximum: 4)
        func take(_ first: Int64, _ last: Int64) -> Bool { subscriptions.takeRun("feed", from: first, through: last) }
        #expect(take(1, 3) == false, "not subscribed")
        let generation = try subscriptions.begin("feed", user: nil).get().generation
        #expect(take(6, 8) == false, "still starting")
        _ = subscriptions.started("feed", generation: generation, since: nil, start(at: 5))
        #expect(take(7, 9) == false, "a gap before it")
        #expect(take(5, 7) == false, "it overlaps what was written")
        #expect(subscriptions.deliver(OutboundEvent(event(6))) == .write, "refused runs changed nothing")
        #expect(take(7, 9))
        #expect(subscriptions.deliver(OutboundEvent(event(9))) == .skip)
        #expect(subscriptions.deliver(OutboundEvent(event(10))) == .write)
    }

    @Test("a commit's events are cut into runs of one stream's consecutive offsets, the frames of each back to back")
    func runBoundaries() {
        let events = [event(1), event(2), event(3), event(1, on: "thread:p_1"), event(4), event(6), event(7)].map(OutboundEvent.init)
        var ends: [Int] = []
        var start = 0
        while start < events.count {
            start = OutboundRun.endOfRun(in: events, startingAt: start)
            ends.append(start)
        }
        #expect(ends == [3, 4, 5, 7])
        let run = OutboundRun(events[0..<3])
        #expect(run.firstOffset == 1 && run.lastOffset == 3 && run.stream == "feed")
        var joined = ByteBuffer()
        for event in events[0..<3] { joined.writeImmutableBuffer(event.frame) }
        #expect(run.frames == joined)
    }

    @Test("a stale answer is ignored and a failed one removes the subscription")
    func staleAndFailed() throws {
        var subscriptions = SessionSubscriptions(maximum: 4)
        let first = try subscriptions.begin("feed", user: nil).get().generation
        _ = subscriptions.remove("feed")
        _ = try subscriptions.begin("feed", user: nil).get()
        guard case .ignore = subscriptions.started("feed", generation: first, since: nil, start(at: 1)) else {
            Issue.record("an answer to the first sub must not start the second")
            return
        }
        let current = subscriptions.states.count
        guard case .refuse = subscriptions.started("feed", generation: first + 1, since: nil, .failure(.storeUnavailable)) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(subscriptions.states.count == current - 1)
    }

    @Test("a replay writes its page in order, waits for the socket, reads the next page, follows live events, and goes live at the target")
    func replay() throws {
        var subscriptions = SessionSubscriptions(maximum: 4)
        let generation = try subscriptions.begin("feed", user: nil).get().generation
        guard case .catchUp = subscriptions.started("feed", generation: generation, since: (2, "e"),
                                                     start(at: 6, recovered: true, replay: [3, 4])) else {
            Issue.record("expected a replay")
            return
        }
        #expect(subscriptions.nextReplay("feed") == .write(event(3)))
        subscriptions.replayed("feed")
        // The socket is full after one event: wait for it to drain.
        #expect(subscriptions.pauseCatchUp("feed") == .awaitDrain(generation: generation, waits: 1))
        #expect(subscriptions.nextReplay("feed") == .pageDone, "nothing is written while waiting")
        #expect(subscriptions.isWaiting("feed", generation: generation, waits: 1))
        #expect(subscriptions.deliver(OutboundEvent(event(7))) == .skip, "a live event moves the target")
        #expect(subscriptions.resumed("feed", generation: generation, page: nil) == .continueCatchUp)
        #expect(subscriptions.nextReplay("feed") == .write(event(4)))
        subscriptions.replayed("feed")
        #expect(subscriptions.pauseCatchUp("feed") == .readPage(generation: generation, after: 4))
        #expect(subscriptions.resumed("feed", generation: generation + 1, page: .success([event(5)])) == .stale)
        #expect(subscriptions.resumed("feed", generation: generation, page: .success([event(6), event(7)])) == .continueCatchUp)
        #expect(subscriptions.nextReplay("feed") == .gap, "offset 5 is missing: the history was pruned under the replay")

        var done = SessionSubscriptions(maximum: 4)
        let second = try done.begin("feed", user: nil).get().generation
        _ = done.started("feed", generation: second, since: (0, "e"), start(at: 1, recovered: true, replay: [1]))
        #expect(done.nextReplay("feed") == .write(event(1)))
        done.replayed("feed")
        #expect(done.pauseCatchUp("feed") == .live)
        #expect(done.isLive("feed"))
        #expect(done.deliver(OutboundEvent(event(2))) == .write)
    }

    @Test("an empty or unreadable next page closes: the history is gone or the store is down")
    func replayFailures() throws {
        for (page, why) in [(Result<[StoredEvent], GatewayError>.success([]), SessionClose.historyPruned),
                            (.failure(.storeUnavailable), .storeUnreadable)] {
            var subscriptions = SessionSubscriptions(maximum: 4)
            let generation = try subscriptions.begin("feed", user: nil).get().generation
            _ = subscriptions.started("feed", generation: generation, since: (0, "e"), start(at: 3, recovered: true))
            #expect(subscriptions.pauseCatchUp("feed") == .readPage(generation: generation, after: 0))
            #expect(subscriptions.resumed("feed", generation: generation, page: page) == .close(why))
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
