import Foundation
import Synchronization
import Testing
@testable import Gateway
@testable import GatewayProtocol

/// A running `gatewayd serve` process (the executable built next to the tests) and the port it
/// announced: for tests that kill the process, fill its disk, or run several nodes.
final class GatewayProcess: Sendable {
    static let secret = "process-test-secret-process-test-secret"

    let child: ChildProcess
    let port: Int
    /// The test ended the running process on purpose (`kill`, `terminate`): how it ended is no news.
    private let endedByTest = Atomic(false)
    /// The test's cleanup (`stop`) ended it, perhaps before the failure was reported.
    private let stoppedInCleanup = Atomic(false)

    /// The `gatewayd` executable built next to this test bundle.
    static func executable() throws -> String {
        let bundleDirectory = URL(fileURLWithPath: Bundle.main.bundlePath).deletingLastPathComponent().path
        let candidates = [
            bundleDirectory + "/gatewayd",
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/gatewayd",
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().deletingLastPathComponent().path + "/gatewayd",
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestClientError(description: "gatewayd was not built next to the tests (looked in \(candidates)); run `swift build` first")
        }
        return found
    }

    static func token(_ user: String, role: User.Role = .user) async throws -> String {
        try await TokenAuthority(secret: Array(secret.utf8), bots: BotRoster(), clock: .system).sign(userID: user, name: user, role: role, lifetime: .seconds(3600))
    }

    /// Starts `gatewayd serve` on a free port. The store is SQLite in `dataDirectory` unless
    /// `arguments` name one (`--store …`) or the suite runs on PostgreSQL.
    init(dataDirectory: String, arguments: [String] = [], personas: String? = nil, environment extra: [String: String] = [:]) async throws {
        let store = arguments.contains("--store") ? [] : TestServer.storeArguments(for: dataDirectory)
        var environment = ProcessInfo.processInfo.environment
        environment["GATEWAYD_JWT_SECRET"] = Self.secret
        // Load tests write faster than a person may.
        environment["GATEWAYD_WRITES_POSTS_PER_MINUTE"] = "100000"
        environment["GATEWAYD_WRITES_COMMENTS_PER_MINUTE"] = "100000"
        environment.merge(extra) { $1 }
        let child = try ChildProcess(
            try Self.executable(),
            ["serve", "--port", "0", "--data", dataDirectory, "--personas", personas ?? dataDirectory + "/no-personas"] + store + arguments,
            environment: environment)
        // The log line "listening on http://127.0.0.1:PORT (…" names the port.
        let port = try await child.waitForOutput(within: .seconds(30)) { output, _ -> Int? in
            guard let range = output.range(of: "listening on http://127.0.0.1:") else { return nil }
            let rest = output[range.upperBound...]
            let digits = rest.prefix { $0.isNumber }
            return digits.count < rest.count ? Int(digits) : nil
        }
        guard let port else {
            child.signal(SIGKILL)
            _ = await child.exited()
            throw TestClientError(description: "gatewayd did not start: \(child.output)")
        }
        self.child = child
        self.port = port
        TestServer.started?.add(self)
    }

    /// What the process printed so far (its log).
    var log: String { child.output }

    /// Whether the test did not end the process on purpose: it still runs, ended by itself, or was
    /// stopped in a cleanup.
    var endedUnasked: Bool { !endedByTest.load(ordering: .relaxed) }

    /// Whether the process still runs or how it ended, and the end of its log: for a failed test.
    var report: String {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: false).suffix(80)
        let state = child.exit.map { stoppedInCleanup.load(ordering: .relaxed) ? "was stopped by the test's cleanup (\($0))" : "\($0)" }
        return "gatewayd on port \(port) \(state ?? "is still running"). The end of its log:\n" + lines.joined(separator: "\n")
    }

    func kill() async {
        endingOnPurpose()
        child.signal(SIGKILL)
        _ = await child.exited()
    }

    /// Ends the process if it still runs (a test's cleanup, whatever happened before).
    func stop() async {
        guard child.exit == nil else { return }
        stoppedInCleanup.store(true, ordering: .relaxed)
        _ = await endGracefully()
    }

    /// SIGTERM, as an operator stops it; how it ended.
    func terminate() async -> ChildProcess.Exit {
        endingOnPurpose()
        return await endGracefully()
    }

    /// A process that died by itself before the test ended it stays news.
    private func endingOnPurpose() {
        if child.exit == nil { endedByTest.store(true, ordering: .relaxed) }
    }

    /// SIGTERM; a process that has not drained within 20 s is killed, and the test fails with its
    /// log, rather than waiting for ever.
    private func endGracefully() async -> ChildProcess.Exit {
        child.signal(SIGTERM)
        do {
            if let drained = try await child.exited(within: .seconds(20)) { return drained }
            Issue.record(Comment(rawValue: "gatewayd did not stop within 20 s of SIGTERM and was killed. " + report))
        } catch {
            // The test was cancelled: no time to wait for the drain, and nothing to blame it for.
        }
        child.signal(SIGKILL)
        return await child.exited()
    }
}
