import NIOCore
import Synchronization
public import GatewayProtocol

/// Every open session, so that a drain can close them all, each on its own event loop, and an
/// admin can count, list and kick them. What the admin API reads is a copy of each session's
/// lifecycle kept here, taken when its phase changes (a handful of times per connection, never per
/// message), so that a count never has to visit every event loop.
public final class SessionRegistry: Sendable {
    public enum State: String, Sendable, CaseIterable {
        /// Connected, not yet identified.
        case connecting
        /// Identified with a token.
        case identified
        /// Read-only without a token.
        case anonymous
        /// Sent or received a close.
        case closing
    }

    /// One session as the admin API shows it.
    public struct Info: Sendable {
        public var id: String
        public var state: State
        public var userID: String?
        public var connectedAt: Timestamp
        public var remoteAddress: String?

        init(id: String, lifecycle: SessionLifecycle, connectedAt: Timestamp, remoteAddress: String?) {
            self.id = id
            (state, userID) = Self.read(lifecycle)
            self.connectedAt = connectedAt
            self.remoteAddress = remoteAddress
        }

        static func read(_ lifecycle: SessionLifecycle) -> (State, userID: String?) {
            switch lifecycle.phase {
            case .awaitingIdentify, .identifying: (.connecting, nil)
            case .ready(let user?, _): (.identified, user.id)
            case .ready(nil, _): (.anonymous, nil)
            case .closing: (.closing, nil)
            }
        }
    }

    private struct Entry: Sendable {
        /// Touched only on its loop: `NIOLoopBound` traps elsewhere.
        let session: NIOLoopBound<WebSocketSession>
        var info: Info
    }

    private let entries = Mutex([Int: Entry]())
    private let nextKey = Atomic(1)

    public init() {}

    func makeKey() -> Int {
        nextKey.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    func add(_ session: WebSocketSession, key: Int, loop: any EventLoop, info: Info) {
        let entry = Entry(session: NIOLoopBound(session, eventLoop: loop), info: info)
        entries.withLock { $0[key] = entry }
    }

    /// Takes the session's state from its lifecycle; a closing session keeps the user it had.
    func update(key: Int, _ lifecycle: SessionLifecycle) {
        let (state, userID) = Info.read(lifecycle)
        entries.withLock { entries in
            entries[key]?.info.state = state
            if let userID { entries[key]?.info.userID = userID }
        }
    }

    func remove(key: Int) {
        entries.withLock { _ = $0.removeValue(forKey: key) }
    }

    public var count: Int { entries.withLock { $0.count } }

    public func countsByState() -> [State: Int] {
        entries.withLock { entries in
            var counts: [State: Int] = [:]
            for entry in entries.values { counts[entry.info.state, default: 0] += 1 }
            return counts
        }
    }

    /// Sessions, oldest first, optionally only one user's.
    public func list(userID: String? = nil, limit: Int) -> [Info] {
        let all = entries.withLock { entries in entries.values.map(\.info).filter { userID == nil || $0.userID == userID } }
        return Array(all.sorted { $0.connectedAt.milliseconds < $1.connectedAt.milliseconds }.prefix(limit))
    }

    /// Closes the sessions that match; returns how many.
    @discardableResult
    public func close(where matches: (Info) -> Bool, _ why: SessionClose) -> Int {
        let chosen = entries.withLock { entries in entries.values.filter { matches($0.info) } }
        for entry in chosen {
            entry.session.eventLoop.execute { entry.session.value.close(why) }
        }
        return chosen.count
    }

    public func closeAll(_ why: SessionClose) {
        close(where: { _ in true }, why)
    }

    /// Waits until every session has ended, for at most `limit` (or until the task is
    /// cancelled); returns how many are still open.
    public func waitUntilEmpty(within limit: Duration) async -> Int {
        let deadline = ContinuousClock.now + limit
        while count > 0, ContinuousClock.now < deadline {
            guard (try? await Task.sleep(for: Self.emptyCheckInterval)) != nil else { break }
        }
        return count
    }

    /// How often a drain looks whether the sessions have closed: a close takes a round trip.
    private static let emptyCheckInterval = Duration.milliseconds(20)

    /// Closes every session with `draining` once it has answered the writes it took.
    public func drainAll() {
        let all = entries.withLock { Array($0.values) }
        for entry in all {
            entry.session.eventLoop.execute { entry.session.value.closeAfterAnsweringWrites(.draining) }
        }
    }
}
