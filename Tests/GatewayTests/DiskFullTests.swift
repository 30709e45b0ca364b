import Foundation
import Testing
@testable import Gateway

/// The gateway's process on a filesystem that fills up (issue 9): a tmpfs of 2 MiB made for the
/// test. Needs permission to mount (root, as CI runs); without it the test says so and is skipped.
@Suite("Disk full", .serialized, .enabled(if: !TestServer.onPostgres, "fills the SQLite file's filesystem; PostgreSQL keeps its own disk"), .stopsServers)
struct DiskFullTests {
    /// Whether a tmpfs can be mounted here: a small one is mounted and unmounted.
    static func canMount() async -> Bool {
        (try? await withTmpfs(size: "64k") { _ in }) != nil
    }

    /// Runs `body` with a tmpfs of `size` mounted on a new directory, and unmounts it after,
    /// however `body` ends. Throws if it cannot be mounted.
    static func withTmpfs(size: String, _ body: (String) async throws -> Void) async throws {
        let directory = TestServer.temporaryDirectory()
        let mounted = try await ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", directory])
        guard mounted.exit.succeeded else { throw TestClientError(description: "mount \(mounted.exit): \(mounted.output)") }
        var failure: (any Error)?
        do { try await body(directory) } catch { failure = error }
        // What the body started on the filesystem stops before the filesystem goes.
        await TestServer.started?.stopAll()
        if let failure {
            _ = try? await ChildProcess.run("/bin/umount", ["-l", directory])
            throw failure
        }
        let unmounted = try await ChildProcess.run("/bin/umount", ["-l", directory])
        guard unmounted.exit.succeeded else { throw TestClientError(description: "umount \(unmounted.exit): \(unmounted.output)") }
    }

    @Test("writes on a full disk fail cleanly with unavailable, the server stays up, and writing resumes when there is room; nothing acknowledged is lost",
          .enabled("mounting a small tmpfs needs root") { await DiskFullTests.canMount() })
    func diskFull() async throws {
        try await Self.withTmpfs(size: "2m") { directory in try await fillAndRecover(directory) }
    }

    private func fillAndRecover(_ directory: String) async throws {
        let gateway = try await GatewayProcess(dataDirectory: directory + "/data")
        let client = try await TestClient.connect(port: gateway.port)
        _ = try await client.expect("hello")
        try await client.send(["op": "identify", "token": try await CrashTests.token("u_filler")])
        _ = try await client.expect("ready")

        var acknowledged: [(id: String, offset: Int)] = []
        var refusal: [String: Any]?
        let body = String(repeating: "磁盘满了 disk full ", count: 200)
        for number in 1...2000 where refusal == nil {
            try await client.send(["op": "post", "id": number, "body": "\(number) \(body)", "client_id": "fill-\(number)"])
            let answer = try await client.message(timeout: .seconds(15))
            if answer.string("op") == "ack" {
                acknowledged.append((answer.object("result").object("post").string("id")!, answer.object("result").int("offset")!))
            } else {
                refusal = answer
            }
        }
        let full = try #require(refusal, "the 2 MiB filesystem filled up")
        #expect(full.string("code") == "unavailable")
        #expect(acknowledged.count > 10)
        // Still up, still answering, still refusing cleanly.
        try await client.send(["op": "ping", "t": 1])
        _ = try await client.expect("pong")
        // A write as large as the one refused: a tiny one may still fit in the space the refused
        // batch left behind, depending on where the filesystem happened to fill.
        try await client.send(["op": "post", "id": 5000, "body": "still full \(body)", "client_id": "still-full"])
        #expect(try await client.expect("error", timeout: .seconds(15)).string("code") == "unavailable")

        // Room again: writing resumes without a restart.
        #expect(try await ChildProcess.run("/bin/mount", ["-o", "remount,size=64m", directory]).exit.succeeded)
        var resumed = false
        for attempt in 0..<50 where !resumed {
            try await client.send(["op": "post", "id": 6000 + attempt, "body": "room again", "client_id": "room-again"])
            let answer = try await client.message(timeout: .seconds(15))
            if answer.string("op") == "ack" {
                acknowledged.append((answer.object("result").object("post").string("id")!, answer.object("result").int("offset")!))
                resumed = true
            } else {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        #expect(resumed, "writes succeed once there is room")

        // Every acknowledged write is in the feed at its offset, with no gap and nothing twice.
        try await client.send(["op": "sub", "id": 1, "stream": "feed", "since": ["offset": 0, "epoch": try await CrashTests.epoch(port: gateway.port)]])
        let latest = try #require(try await client.expect("subscribed").int("offset"))
        var ids: [Int: String] = [:]
        for expected in 1...latest {
            let event = try await client.expect("event")
            #expect(event.int("offset") == expected)
            ids[expected] = event.object("data").string("id")
        }
        #expect(latest == acknowledged.count, "only acknowledged writes were stored")
        for write in acknowledged { #expect(ids[write.offset] == write.id) }
        #expect(await gateway.terminate().succeeded)
    }
}
