import NIOCore
import Synchronization

/// Every open session, so that a drain can close them all, each on its own event loop.
public final class SessionRegistry: Sendable {
    private struct Entry: @unchecked Sendable {
        // Safe: `session` is only touched through `NIOLoopBound`, which traps off its loop.
        let loop: any EventLoop
        let session: NIOLoopBound<WebSocketSession>
    }

    private let entries = Mutex([Int: Entry]())
    private let nextKey = Atomic(1)

    public init() {}

    func makeKey() -> Int {
        nextKey.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    func add(_ session: WebSocketSession, key: Int, loop: any EventLoop) {
        let entry = Entry(loop: loop, session: NIOLoopBound(session, eventLoop: loop))
        entries.withLock { $0[key] = entry }
    }

    func remove(key: Int) {
        entries.withLock { _ = $0.removeValue(forKey: key) }
    }

    public var count: Int { entries.withLock { $0.count } }

    public func closeAll(code: CloseCode, reason: String) {
        let all = entries.withLock { Array($0.values) }
        for entry in all {
            entry.loop.execute { entry.session.value.close(code, reason: reason) }
        }
    }
}
