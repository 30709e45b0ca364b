import Foundation
import Synchronization
@testable import Gateway
@testable import GatewayProtocol

/// A running `gatewayd serve` process (the executable built next to the tests) and the port it
/// announced: for tests that kill the process, fill its disk, or run several nodes.
final class GatewayProcess: Sendable {
    static let secret = "process-test-secret-process-test-secret"

    let process: Process
    let port: Int
    /// Everything the process printed so far.
    private let output = Mutex("")

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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable())
        let store = arguments.contains("--store") ? [] : TestServer.storeArguments(for: dataDirectory)
        process.arguments = ["serve", "--port", "0", "--data", dataDirectory, "--personas", personas ?? dataDirectory + "/no-personas"]
            + store + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GATEWAYD_JWT_SECRET"] = Self.secret
        // Load tests write faster than a person may.
        environment["GATEWAYD_WRITES_POSTS_PER_MINUTE"] = "100000"
        environment["GATEWAYD_WRITES_COMMENTS_PER_MINUTE"] = "100000"
        // When the whole suite starts at once on two cores, a test's task can wait seconds for a
        // thread between its hello and its identify; the server must not close the connection for
        // that (it did after 10 s in one CI run). The timeout itself is tested in-process.
        environment["GATEWAYD_SESSIONS_IDENTIFY_TIMEOUT"] = "120s"
        environment.merge(extra) { $1 }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        self.process = process
        // The log line "listening on http://127.0.0.1:PORT" names the port.
        let deadline = ContinuousClock.now + .seconds(30)
        var text = ""
        var port: Int?
        while ContinuousClock.now < deadline {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                port = Int(text[range.upperBound...].prefix { $0.isNumber })
                break
            }
        }
        guard let port else {
            process.terminate()
            throw TestClientError(description: "gatewayd did not start: \(text)")
        }
        self.port = port
        output.withLock { $0 = text }
        // Keep draining the output so the process never blocks on a full pipe.
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                output.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
    }

    /// What the process printed so far (its log).
    var log: String { output.withLock { $0 } }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Ends the process if it still runs (a test's cleanup, whatever happened before).
    func stop() {
        if process.isRunning { _ = terminate() }
    }

    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
