import NIOCore
import Synchronization

/// Something with a deadline on an event loop's `DeadlineWheel`: a session's identify,
/// heartbeat and token-expiry deadlines.
protocol DeadlineWheelMember: AnyObject {
    /// Where the member sits in its wheel; only the wheel sets it.
    var wheelSlot: DeadlineWheel.Slot? { get set }
    /// The member's deadline has passed. It is off the wheel now; it schedules itself again if
    /// it still has a deadline.
    func deadlinePassed()
}

/// The deadlines of one event loop's sessions, in buckets of one tick each (a hashed timer
/// wheel): scheduling, moving and removing a deadline cost O(1) and no allocation, and the loop
/// has one scheduled task for all its sessions, armed while any deadline waits. A
/// scheduled task per session cost a heap entry, a closure and a promise for each idle
/// connection.
///
/// A deadline is met up to one tick late, never early. A deadline further away than one turn of
/// the wheel stays in its bucket when the wheel passes by before it is due.
///
/// Used only on its event loop.
final class DeadlineWheel {
    struct Slot {
        var bucket: Int32
        var index: Int32
    }

    private struct Entry {
        let member: any DeadlineWheelMember
        let deadline: NIODeadline
    }

    private let loop: any EventLoop
    private let tick: Int64
    private let origin: NIODeadline
    private var buckets: [[Entry]]
    /// The last tick whose bucket was visited.
    private var visitedTick: Int64
    private var timer: Scheduled<Void>?
    /// Counts the timers armed: a turn NIO already took to run cannot be cancelled, and must
    /// not take the place of a timer armed after it.
    private var timerGeneration = 0
    /// A turn is visiting buckets; it arms the next one itself when it ends.
    private var turning = false
    private(set) var count = 0

    init(loop: any EventLoop, tick: TimeAmount, bucketCount: Int = 512) {
        // Two buckets at least, so that a deadline moved while a bucket is visited lands in another.
        precondition(tick.nanoseconds > 0 && bucketCount > 1 && bucketCount.nonzeroBitCount == 1)
        self.loop = loop
        self.tick = tick.nanoseconds
        self.origin = .now()
        self.buckets = Array(repeating: [], count: bucketCount)
        self.visitedTick = 0
    }

    /// Puts `member` on the wheel for `deadline`, moving it if it was on it already.
    func schedule(_ member: any DeadlineWheelMember, at deadline: NIODeadline) {
        loop.preconditionInEventLoop()
        remove(member)
        // Never into a bucket already visited, so that a visit cannot meet its own insertions.
        let tickIndex = max(ticks(until: deadline), visitedTick + 1)
        let bucket = Int(tickIndex & Int64(buckets.count - 1))
        member.wheelSlot = Slot(bucket: Int32(bucket), index: Int32(buckets[bucket].count))
        buckets[bucket].append(Entry(member: member, deadline: deadline))
        count += 1
        if timer == nil && !turning { arm() }
    }

    /// Takes `member` off the wheel; nothing when it is not on it.
    func remove(_ member: any DeadlineWheelMember) {
        guard let slot = member.wheelSlot else { return }
        member.wheelSlot = nil
        let (bucket, index) = (Int(slot.bucket), Int(slot.index))
        let last = buckets[bucket].count - 1
        if index != last {
            let moved = buckets[bucket][last]
            buckets[bucket][index] = moved
            moved.member.wheelSlot = Slot(bucket: slot.bucket, index: slot.index)
        }
        buckets[bucket].removeLast()
        count -= 1
        if count == 0 {
            timer?.cancel()
            timer = nil
        }
    }

    /// The tick at or after `deadline` (rounded up, so a visit is never early).
    private func ticks(until deadline: NIODeadline) -> Int64 {
        let elapsed = (deadline - origin).nanoseconds
        return elapsed <= 0 ? 0 : (elapsed + tick - 1) / tick
    }

    private func arm() {
        let wheel = NIOLoopBound(self, eventLoop: loop)
        let next = origin + .nanoseconds((visitedTick + 1) * tick)
        timerGeneration += 1
        let generation = timerGeneration
        timer = loop.scheduleTask(deadline: next) { wheel.value.turn(generation) }
    }

    /// Visits every bucket whose tick has come since the last visit (at most one turn's worth).
    private func turn(_ generation: Int) {
        guard generation == timerGeneration, timer != nil else { return }
        timer = nil
        turning = true
        defer { turning = false }
        let now = NIODeadline.now()
        let nowTick = max(visitedTick, (now - origin).nanoseconds / tick)
        let first = max(visitedTick + 1, nowTick - Int64(buckets.count) + 1)
        if first <= nowTick {
            for tickIndex in first...nowTick {
                visitedTick = tickIndex
                visit(bucket: Int(tickIndex & Int64(buckets.count - 1)), now: now)
            }
        }
        visitedTick = nowTick
        if count > 0 { arm() }
    }

    private func visit(bucket: Int, now: NIODeadline) {
        var index = 0
        while index < buckets[bucket].count {
            let entry = buckets[bucket][index]
            guard entry.deadline <= now else {
                // Due on a later turn of the wheel.
                index += 1
                continue
            }
            // The last entry moves into `index`, which is visited next.
            remove(entry.member)
            entry.member.deadlinePassed()
        }
    }
}

/// Each event loop's `DeadlineWheel`, made on the loop's first use.
final class DeadlineWheels: Sendable {
    private let tick: TimeAmount
    private let wheels = Mutex([ObjectIdentifier: NIOLoopBound<DeadlineWheel>]())

    /// `tick` is the wheel's precision: a deadline is met up to one tick late.
    init(tick: TimeAmount) {
        self.tick = tick
    }

    /// The wheel of `loop`; call on that loop.
    func wheel(for loop: any EventLoop) -> DeadlineWheel {
        let id = ObjectIdentifier(loop)
        if let wheel = wheels.withLock({ $0[id] }) { return wheel.value }
        let made = NIOLoopBound(DeadlineWheel(loop: loop, tick: tick), eventLoop: loop)
        return wheels.withLock { wheels in
            if let existing = wheels[id] { return existing }
            wheels[id] = made
            return made
        }.value
    }
}
