import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import Gateway

/// The per-loop deadline wheel on a real event loop: deadlines are met never early and about a
/// tick late, in order, across turns of the wheel; removed and moved deadlines do not fire.
@Suite("Deadline wheel")
struct DeadlineWheelTests {
    /// Records when its deadline passed, on the loop.
    final class Member: DeadlineWheelMember {
        let name: String
        let deadline: NIODeadline
        var wheelSlot: DeadlineWheel.Slot?
        let log: Log

        init(_ name: String, deadline: NIODeadline, log: Log) {
            (self.name, self.deadline, self.log) = (name, deadline, log)
        }

        func deadlinePassed() {
            let now = NIODeadline.now()
            log.passed.withLock { $0.append((name, now)) }
        }
    }

    final class Log: Sendable {
        let passed = Mutex<[(String, NIODeadline)]>([])
    }

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    /// Runs `body` on a one-thread loop with a wheel of `tick` and `buckets`, then waits until
    /// `expected` deadlines passed (at most five seconds).
    func run(tick: TimeAmount, buckets: Int, expected: Int,
             _ body: @escaping @Sendable (DeadlineWheel, Log) -> [Member]) async throws -> (members: [String: NIODeadline], passed: [(String, NIODeadline)]) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let log = Log()
        let members = try await loop.submit {
            let wheel = DeadlineWheel(loop: loop, tick: tick, bucketCount: buckets)
            return Dictionary(uniqueKeysWithValues: body(wheel, log).map { ($0.name, $0.deadline) })
        }.get()
        let until = ContinuousClock.now + .seconds(5)
        while log.passed.withLock({ $0.count }) < expected && ContinuousClock.now < until {
            try await Task.sleep(for: .milliseconds(10))
        }
        // A little longer, so that a deadline that should not pass has its chance to.
        try await Task.sleep(for: .milliseconds(150))
        try await group.shutdownGracefully()
        return (members, log.passed.withLock { $0 })
    }

    @Test("deadlines pass in order, never early, within a few ticks; later turns of the wheel wait for theirs")
    func order() async throws {
        let tick = TimeAmount.milliseconds(10)
        // Four buckets of 10 ms: a turn is 40 ms, so the later deadlines are passed over first.
        let (members, passed) = try await run(tick: tick, buckets: 4, expected: 6) { wheel, log in
            let now = NIODeadline.now()
            let deadlines: [(String, Int64)] = [("d", 95), ("a", 5), ("c", 47), ("b", 12), ("f", 210), ("e", 130)]
            return deadlines.map { name, milliseconds in
                let member = Member(name, deadline: now + .milliseconds(milliseconds), log: log)
                wheel.schedule(member, at: member.deadline)
                return member
            }
        }
        #expect(passed.map(\.0) == ["a", "b", "c", "d", "e", "f"])
        for (name, at) in passed {
            let deadline = try #require(members[name])
            #expect(at >= deadline, "\(name) passed early")
            // A few ticks, with room for a loaded machine; a missed turn of the wheel is the
            // order's and the never-early check's to catch.
            #expect(at - deadline < .milliseconds(500), "\(name) passed \(at - deadline) late")
        }
    }

    @Test("a removed deadline does not pass; a moved one passes once, at its new time; the timer stops when the wheel is empty")
    func removeAndMove() async throws {
        let (members, passed) = try await run(tick: .milliseconds(10), buckets: 8, expected: 2) { wheel, log in
            let now = NIODeadline.now()
            let gone = Member("gone", deadline: now + .milliseconds(30), log: log)
            let moved = Member("moved", deadline: now + .milliseconds(60), log: log)
            let stays = Member("stays", deadline: now + .milliseconds(30), log: log)
            let neighbours = (0..<5).map { Member("n\($0)", deadline: now + .seconds(60), log: log) }
            for member in [gone] + neighbours + [moved, stays] { wheel.schedule(member, at: now + .milliseconds(30)) }
            wheel.remove(gone)
            wheel.schedule(moved, at: moved.deadline)
            for neighbour in neighbours { wheel.remove(neighbour) }
            #expect(wheel.count == 2)
            return [gone, moved, stays]
        }
        #expect(passed.map(\.0) == ["stays", "moved"])
        #expect(try passed[1].1 >= #require(members["moved"]))
    }

    @Test("a member that schedules itself again from its callback, with a deadline already passed, waits a tick")
    func reschedulePassed() async throws {
        final class Again: DeadlineWheelMember {
            var wheelSlot: DeadlineWheel.Slot?
            let wheel: DeadlineWheel
            let count: Counter
            init(wheel: DeadlineWheel, count: Counter) { (self.wheel, self.count) = (wheel, count) }
            func deadlinePassed() {
                let again = count.value.withLock { $0 += 1; return $0 < 5 }
                if again { wheel.schedule(self, at: .now() - .seconds(1)) }
            }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let count = Counter()
        let box = try await loop.submit {
            let wheel = DeadlineWheel(loop: loop, tick: .milliseconds(10), bucketCount: 4)
            let member = Again(wheel: wheel, count: count)
            wheel.schedule(member, at: .now())
            return NIOLoopBound(member, eventLoop: loop)
        }.get()
        let until = ContinuousClock.now + .seconds(5)
        while count.value.withLock({ $0 }) < 5 && ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(10)) }
        #expect(count.value.withLock { $0 } == 5)
        #expect(try await loop.submit { box.value.wheel.count }.get() == 0)
        try await group.shutdownGracefully()
    }
}
