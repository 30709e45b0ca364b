import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing
@testable import Gateway

/// The gateway as its own process, killed with SIGKILL while writers are busy.
@Suite("Crash safety", .serialized)
struct CrashTests {
    static let secret = "crash-test-secret-crash-test-secret"

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

    /// A running `gatewayd serve` process and the port it announced.
    final class GatewayProcess: Sendable {
        let process: Process
        let port: Int

        init(dataDirectory: String) async throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try CrashTests.executable())
            process.arguments = ["serve", "--port", "0", "--data", dataDirectory, "--personas", dataDirectory + "/no-personas"]
            var environment = ProcessInfo.processInfo.environment
            environment["GATEWAYD_JWT_SECRET"] = CrashTests.secret
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            self.process = process
            // The log line "listening on http://127.0.0.1:PORT" names the port.
            let found = Mutex<Int?>(nil)
            let deadline = ContinuousClock.now + .seconds(20)
            var text = ""
            while ContinuousClock.now < deadline {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
                if let range = text.range(of: "listening on http://127.0.0.1:") {
                    let digits = text[range.upperBound...].prefix { $0.isNumber }
                    found.withLock { $0 = Int(digits) }
                    break
                }
            }
            guard let port = found.withLock({ $0 }) else {
                process.terminate()
                throw TestClientError(description: "gatewayd did not start: \(text)")
            }
            self.port = port
            // Keep draining the output so the process never blocks on a full pipe.
            let handle = output.fileHandleForReading
            Thread.detachNewThread { while !handle.availableData.isEmpty {} }
        }

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func terminate() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static func token(_ user: String) async throws -> String {
        try await TokenAuthority(secret: Array(secret.utf8), bots: BotRoster()).sign(userID: user, name: user, role: .user, lifetime: .seconds(3600))
    }

    /// Writes posts (and comments on the first post) as fast as acks come back, until the
    /// connection dies; returns what was acknowledged.
    static func write(port: Int, writer: Int, cycle: Int, threadPostID: String?) async -> [(id: String, offset: Int, stream: String)] {
        var acked: [(String, Int, String)] = []
        guard let client = try? await TestClient.connect(port: port) else { return acked }
        do {
            _ = try await client.expect("hello")
            try await client.send(["op": "identify", "token": try await token("u_w\(writer)")])
            _ = try await client.expect("ready")
            for index in 0..<10_000 {
                let clientID = "c\(cycle)-\(index)"
                if let threadPostID, index % 2 == 1 {
                    try await client.send(["op": "comment", "id": index, "post_id": threadPostID, "body": "comment \(clientID)", "client_id": clientID])
                    let result = try await client.expect("ack").object("result")
                    acked.append((result.object("comment").string("id")!, result.int("offset")!, "thread:\(threadPostID)"))
                } else {
                    try await client.send(["op": "post", "id": index, "body": "post \(clientID) by \(writer)", "client_id": clientID])
                    let result = try await client.expect("ack").object("result")
                    acked.append((result.object("post").string("id")!, result.int("offset")!, "feed"))
                }
            }
        } catch {
            // The server was killed: what was acknowledged so far is what counts.
        }
        return acked
    }

    @Test("SIGKILL under write load loses no acknowledged write; offsets stay contiguous across restarts")
    func killUnderLoad() async throws {
        let dataDirectory = TestServer.temporaryDirectory()
        var acknowledged: [(id: String, offset: Int, stream: String)] = []
        var threadPostID: String?
        for cycle in 0..<4 {
            let gateway = try await GatewayProcess(dataDirectory: dataDirectory)
            let writers = Task { [threadPostID] in
                await withTaskGroup(of: [(id: String, offset: Int, stream: String)].self) { group in
                    for writer in 0..<4 {
                        group.addTask { await CrashTests.write(port: gateway.port, writer: writer, cycle: cycle, threadPostID: threadPostID) }
                    }
                    var all: [(id: String, offset: Int, stream: String)] = []
                    for await acked in group { all += acked }
                    return all
                }
            }
            try await Task.sleep(for: .milliseconds(700))
            gateway.kill()
            let acked = await writers.value
            #expect(acked.count > 20, "the writers were busy when the process was killed")
            acknowledged += acked
            if threadPostID == nil { threadPostID = acked.first { $0.stream == "feed" }?.id }
        }

        print("Crash test: \(acknowledged.count) acknowledged writes across 4 SIGKILLs.")
        // A clean start on the same files: every acknowledged write is there, offsets have no gap.
        let gateway = try await GatewayProcess(dataDirectory: dataDirectory)
        let client = try await TestClient.connect(port: gateway.port)
        _ = try await client.expect("hello")
        try await client.send(["op": "identify", "token": try await Self.token("u_checker")])
        _ = try await client.expect("ready")
        for stream in ["feed", "thread:\(threadPostID!)"] {
            try await client.send(["op": "sub", "id": 1, "stream": stream, "since": ["offset": 0, "epoch": try await Self.epoch(port: gateway.port)]])
            let subscribed = try await client.expect("subscribed")
            #expect(subscribed["recovered"] as? Bool == true)
            let latest = subscribed.int("offset")!
            var ids: [Int: String] = [:]
            for expected in 1...latest {
                let event = try await client.expect("event")
                #expect(event.int("offset") == expected, "no gap in \(stream)")
                ids[expected] = event.object("data").string("id")
            }
            for write in acknowledged where write.stream == stream {
                #expect(ids[write.offset] == write.id, "acknowledged \(write.id) at \(stream) offset \(write.offset) survived")
            }
            try await client.send(["op": "unsub", "id": 2, "stream": stream])
            _ = try await client.expect("unsubscribed")
        }
        #expect(gateway.terminate() == 0, "SIGTERM drains and exits 0")
    }

    static func epoch(port: Int) async throws -> String {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/feed?limit=1")!)
        request.httpMethod = "GET"
        let (data, _) = try await URLSession.shared.data(for: request)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return object?.string("epoch") ?? ""
    }
}
