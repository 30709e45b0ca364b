import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing
@testable import Gateway

/// The gateway as its own process, killed with SIGKILL while writers are busy.
@Suite("Crash safety", .serialized, .stopsServers)
struct CrashTests {
    static func token(_ user: String) async throws -> String {
        try await GatewayProcess.token(user)
    }

    /// One write as a client makes it: the same client_id and body whenever it is retried.
    struct Write: Sendable {
        var clientID: String
        var body: String
        /// Comments go to this post's thread; nil for a post.
        var postID: String?
    }

    struct Acknowledged: Sendable {
        var write: Write
        var id: String
        var offset: Int
        var stream: String
    }

    /// One writer's life on one server process: it first retries the write that was in flight
    /// when the previous process died and one it already has an ack for (both must be answered
    /// from the store, not written again), then writes as fast as acks come back until the
    /// connection dies. Returns what was acknowledged and what was in flight at the end.
    /// Acks seen by all writers of one cycle, so the kill comes while they are busy, however
    /// slowly a loaded machine starts the process.
    final class AckCount: Sendable {
        let value = Atomic(0)
    }

    static func write(port: Int, writer: Int, cycle: Int, threadPostID: String?, retry: [Write], count: AckCount) async
        -> (acked: [Acknowledged], inFlight: Write?)
    {
        var acked: [Acknowledged] = []
        var inFlight: Write?
        guard let client = try? await TestClient.connect(port: port) else { return (acked, retry.first) }
        do {
            _ = try await client.expect("hello")
            try await client.send(["op": "identify", "token": try await token("u_w\(writer)")])
            _ = try await client.expect("ready")
            var fresh = (0..<10_000).lazy.map { index in
                let clientID = "w\(writer)-c\(cycle)-\(index)"
                return Write(clientID: clientID, body: "write \(clientID)", postID: index % 2 == 1 ? threadPostID : nil)
            }.makeIterator()
            var queue = retry
            var number = 0
            while let write = queue.isEmpty ? fresh.next() : queue.removeFirst() {
                number += 1
                inFlight = write
                if let postID = write.postID {
                    try await client.send(["op": "comment", "id": number, "post_id": postID, "body": write.body, "client_id": write.clientID])
                    let result = try await client.expect("ack").object("result")
                    acked.append(Acknowledged(write: write, id: result.object("comment").string("id")!, offset: result.int("offset")!, stream: "thread:\(postID)"))
                } else {
                    try await client.send(["op": "post", "id": number, "body": write.body, "client_id": write.clientID])
                    let result = try await client.expect("ack").object("result")
                    acked.append(Acknowledged(write: write, id: result.object("post").string("id")!, offset: result.int("offset")!, stream: "feed"))
                }
                inFlight = nil
                count.value.add(1, ordering: .relaxed)
            }
        } catch {
            // The server was killed: what was acknowledged so far is what counts.
        }
        return (acked, inFlight)
    }

    /// 20 in the test suite; GATEWAYD_CRASH_CYCLES=200 for the recorded run in docs/reliability.md.
    static let cycles = ProcessInfo.processInfo.environment["GATEWAYD_CRASH_CYCLES"].flatMap(Int.init) ?? 20

    @Test("SIGKILL ×20 under write load: no acknowledged write lost, no duplicate after client retries, offsets contiguous")
    func killUnderLoad() async throws {
        let dataDirectory = TestServer.temporaryDirectory()
        var acknowledged: [Acknowledged] = []
        var threadPostID: String?
        var retries: [Int: [Write]] = [:]
        var retriedAcks = 0
        for cycle in 0..<Self.cycles {
            let gateway = try await GatewayProcess(dataDirectory: dataDirectory)
            let pending = retries
            let known = acknowledged
            let count = AckCount()
            let lives = Task { [threadPostID] in
                await withTaskGroup(of: (Int, [Acknowledged], Write?).self) { group in
                    for writer in 0..<4 {
                        // Also retry one write that was already acknowledged: it must come back the same.
                        let again = known.last { $0.write.clientID.hasPrefix("w\(writer)-") }.map { [$0.write] } ?? []
                        group.addTask {
                            let life = await CrashTests.write(
                                port: gateway.port, writer: writer, cycle: cycle, threadPostID: threadPostID, retry: (pending[writer] ?? []) + again,
                                count: count)
                            return (writer, life.acked, life.inFlight)
                        }
                    }
                    var all: [(Int, [Acknowledged], Write?)] = []
                    for await life in group { all.append(life) }
                    return all
                }
            }
            // Generous: a fresh process on a loaded machine (a build beside the suite) once took
            // longer than 10 s to acknowledge its first writes.
            let busy = ContinuousClock.now + .seconds(30)
            while count.value.load(ordering: .relaxed) < 40, ContinuousClock.now < busy { try await Task.sleep(for: .milliseconds(20)) }
            // Then a little more, a different little each time, so the kill lands anywhere in a batch.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...150)))
            await gateway.kill()
            var ackedThisCycle = 0
            retries = [:]
            for (writer, acked, inFlight) in await lives.value {
                ackedThisCycle += acked.count
                for ack in acked {
                    if let earlier = acknowledged.first(where: { $0.write.clientID == ack.write.clientID }) {
                        #expect(earlier.id == ack.id && earlier.offset == ack.offset, "a retried \(ack.write.clientID) got its first ack again")
                        retriedAcks += 1
                    } else {
                        acknowledged.append(ack)
                    }
                }
                if let inFlight { retries[writer] = [inFlight] }
            }
            #expect(ackedThisCycle > 4, "the writers were busy when the process was killed (cycle \(cycle))")
            if threadPostID == nil { threadPostID = acknowledged.first { $0.stream == "feed" }?.id }
        }

        print("Crash test: \(acknowledged.count) acknowledged writes across \(Self.cycles) SIGKILLs, \(retriedAcks) retries answered from the store.")
        #expect(retriedAcks >= Self.cycles, "retries of acknowledged writes were exercised")
        // A clean start on the same files: every acknowledged write is there, offsets have no gap,
        // and no write is there twice.
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
            var bodies: [String: Int] = [:]
            for expected in 1...latest {
                let event = try await client.expect("event")
                #expect(event.int("offset") == expected, "no gap in \(stream)")
                ids[expected] = event.object("data").string("id")
                bodies[event.object("data").string("body") ?? "", default: 0] += 1
            }
            for write in acknowledged where write.stream == stream {
                #expect(ids[write.offset] == write.id, "acknowledged \(write.id) at \(stream) offset \(write.offset) survived")
            }
            let duplicated = bodies.filter { $0.value > 1 }
            #expect(duplicated.isEmpty, "written twice in \(stream): \(duplicated.keys.sorted().prefix(5))")
            try await client.send(["op": "unsub", "id": 2, "stream": stream])
            _ = try await client.expect("unsubscribed")
        }
        #expect(await gateway.terminate().succeeded, "SIGTERM drains and exits 0")
    }

    static func epoch(port: Int) async throws -> String {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/feed?limit=1")!)
        request.httpMethod = "GET"
        let (data, _) = try await URLSession.shared.data(for: request)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return object?.string("epoch") ?? ""
    }
}
