import Foundation
import Synchronization

/// Runs blocking work (a `waitpid`, a socket's `recv`) on a thread of its own and awaits its
/// result, so that the test's task does not block one of the suite's threads (see `ChildProcess`).
func onThreadOfItsOwn<Value: Sendable, Failure: Error>(_ work: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, Failure>, Never>) in
        Thread.detachNewThread { continuation.resume(returning: Result(catching: work)) }
    }
    return try result.get()
}

/// A process the tests start (`gatewayd`, `mount`), awaited without blocking a thread.
///
/// The suite's tasks share as many threads as the machine has cores, two in CI. A test blocked in
/// `waitUntilExit` or in a read of the child's output holds one of them, and two such tests stop
/// every other test's task: in CI that held a test between its TCP connect and its upgrade request
/// past the server's 10 s handshake timeout, and the server rightly closed the connection. So the
/// output is read on a thread of its own and the exit is awaited through the termination handler.
final class ChildProcess: Sendable {
    /// How a process ended.
    struct Exit: CustomStringConvertible {
        /// The exit status, or the signal's number when `bySignal`.
        let status: Int32
        let bySignal: Bool

        var succeeded: Bool { !bySignal && status == 0 }
        var description: String { bySignal ? "ended by signal \(status)" : "exited with status \(status)" }
    }

    private struct State {
        /// Bytes, decoded when read: a character can be split across two reads of the pipe.
        var output: [UInt8] = []
        var outputEnded = false
        var exit: Exit?
        var exitWaiters: [CheckedContinuation<Exit, Never>] = []
    }

    /// The state, in a box of its own that the termination handler and the reading thread hold,
    /// so that neither holds this object.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let process: Process
    private let shared = Shared()

    /// Starts `executable`. Its standard output is kept (`output`); its standard error too when
    /// `keepingErrors`, else it goes to the tests' own.
    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, keepingErrors: Bool = true) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        if keepingErrors { process.standardError = pipe }
        self.process = process
        process.terminationHandler = { [shared] ended in
            let exit = Exit(status: ended.terminationStatus, bySignal: ended.terminationReason == .uncaughtSignal)
            let waiters = shared.state.withLock { state in
                state.exit = exit
                defer { state.exitWaiters = [] }
                return state.exitWaiters
            }
            for waiter in waiters { waiter.resume(returning: exit) }
        }
        try process.run()
        let handle = pipe.fileHandleForReading
        // Drained until the process closes it, so that the process never blocks on a full pipe.
        Thread.detachNewThread { [shared] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                shared.state.withLock { $0.output += data }
            }
            shared.state.withLock { $0.outputEnded = true }
        }
    }

    /// Runs `executable` to its end: how it ended and what it printed.
    static func run(_ executable: String, _ arguments: [String], keepingErrors: Bool = true) async throws -> (exit: Exit, output: String) {
        let child = try ChildProcess(executable, arguments, keepingErrors: keepingErrors)
        let exit = await child.exited()
        // The last of the output may still be in the pipe when the exit is known.
        let output = try await child.waitForOutput(within: .seconds(10)) { output, ended in ended ? output : nil }
        return (exit, output ?? child.output)
    }

    /// What the process printed so far.
    var output: String { String(decoding: shared.state.withLock { $0.output }, as: UTF8.self) }

    /// How the process ended; nil while it runs.
    var exit: Exit? { shared.state.withLock { $0.exit } }

    /// Waits for the process to end.
    func exited() async -> Exit {
        await withCheckedContinuation { continuation in
            let ended = shared.state.withLock { state -> Exit? in
                if let exit = state.exit { return exit }
                state.exitWaiters.append(continuation)
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }

    /// Sends `signal` while the process runs. Foundation reaps a process a little before it
    /// calls the termination handler, so `isRunning` is asked as well; a number freed in that
    /// moment would have to be handed to another process at once to be signalled by mistake.
    func signal(_ signal: Int32) {
        shared.state.withLock { state in
            if state.exit == nil && process.isRunning { _ = kill(process.processIdentifier, signal) }
        }
    }

    /// Waits at most `timeout` for the process to end; nil if it still runs.
    func exited(within timeout: Duration) async throws -> Exit? {
        _ = try await eventually(timeout) { exit != nil }
        return exit
    }

    /// Waits until the output holds what `match` finds, for at most `timeout`; nil if the output
    /// ended (the process closed it, usually by ending) or the time ran out first.
    /// `match` also learns whether the output has ended.
    func waitForOutput<Found>(within timeout: Duration, _ match: (_ output: String, _ ended: Bool) -> Found?) async throws -> Found? {
        var found: Found?
        _ = try await eventually(timeout) {
            let (bytes, ended) = shared.state.withLock { ($0.output, $0.outputEnded) }
            found = match(String(decoding: bytes, as: UTF8.self), ended)
            return found != nil || ended
        }
        return found
    }
}
