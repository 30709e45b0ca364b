import Synchronization
import Testing

/// Every test server and `gatewayd` process a test starts is stopped, and waited for, when the
/// test ends, however it ends: no server outlives its test to load the next one, and a test never
/// has to remember to stop one. When the test throws, the log of each process it did not end on
/// purpose is reported with the error, since the log says why a server closed a connection or
/// died. On every suite of this target (`@Suite(…, .stopsServers)`).
struct StopsServers: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }
        let started = StartedServers()
        do {
            try await TestServer.$started.withValue(started) { try await function() }
        } catch {
            for process in started.processes where process.endedUnasked { Issue.record(Comment(rawValue: process.report)) }
            await started.stopAll()
            throw error
        }
        await started.stopAll()
    }
}

extension Trait where Self == StopsServers {
    static var stopsServers: Self { StopsServers() }
}

/// The servers and processes started within one test, newest last.
final class StartedServers: Sendable {
    private let servers = Mutex<[TestServer]>([])
    private let startedProcesses = Mutex<[GatewayProcess]>([])

    func add(_ server: TestServer) {
        servers.withLock { $0.append(server) }
    }

    func add(_ process: GatewayProcess) {
        startedProcesses.withLock { $0.append(process) }
    }

    var processes: [GatewayProcess] { startedProcesses.withLock { $0 } }

    /// The processes, then the in-process servers, each newest first, as a test that restarts a
    /// server on the same data expects.
    func stopAll() async {
        for process in processes.reversed() { await process.stop() }
        for server in servers.withLock({ $0 }).reversed() {
            await server.stop()
        }
    }
}
