// Costs on the gateway's hot paths, counted as well as timed: decoding a client frame, encoding an
// event once, one commit's fan-out to 1,000 subscribers, and the store's group commit.
import Benchmark
import Foundation
import Gateway
import GatewayProtocol
import Logging
import NIOCore
import NIOEmbedded

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .instructions, .mallocCountTotal], warmupIterations: 10, maxDuration: .seconds(2), maxIterations: 100_000)

    let mixedFrame = Array(#"{"op":"comment","id":42,"post_id":"p_01JD8X3K4M5N6P7Q","parent_id":"c_01JD8X3K4M5N6P7R","body":"Nice work, 继续加油! 🎉","client_id":"2f1c9a7e-8b3d-4c2a-9e6f-1a2b3c4d5e6f"}"#.utf8)
    let asciiFrame = Array(#"{"op":"comment","id":42,"post_id":"p_01JD8X3K4M5N6P7Q","parent_id":"c_01JD8X3K4M5N6P7R","body":"Nice work, keep going!","client_id":"2f1c9a7e-8b3d-4c2a-9e6f-1a2b3c4d5e6f"}"#.utf8)
    for (name, frame) in [("decode a comment frame, ASCII body", asciiFrame), ("decode a comment frame, Chinese and emoji in the body", mixedFrame)] {
        Benchmark(name, configuration: .init(scalingFactor: .kilo)) { benchmark in
            for _ in benchmark.scaledIterations {
                frame.withUnsafeBytes { bytes in
                    blackHole(try? ClientMessage.decode(JSONParser.parseMessage(bytes), maximumBodyScalars: 4000))
                }
            }
        }
    }

    // A post of a paragraph, as most are: the body's scan is then most of the decode.
    let englishParagraph = String(repeating: "We finally moved into the new flat today, and the kids already claimed the room with the big window. ", count: 6)
    let chineseParagraph = String(repeating: "今天终于搬进了新家，孩子们已经抢到了那间有大窗户的房间。🎉 ", count: 6)
    for (name, body) in [("decode a post frame, a paragraph of English", englishParagraph), ("decode a post frame, a paragraph of Chinese", chineseParagraph)] {
        let frame = Array(#"{"op":"post","id":7,"body":"\#(body)","client_id":"2f1c9a7e-8b3d-4c2a-9e6f-1a2b3c4d5e6f"}"#.utf8)
        Benchmark(name, configuration: .init(scalingFactor: .kilo)) { benchmark in
            for _ in benchmark.scaledIterations {
                frame.withUnsafeBytes { bytes in
                    blackHole(try? ClientMessage.decode(JSONParser.parseMessage(bytes), maximumBodyScalars: 4000))
                }
            }
        }
    }

    let author = User(id: "u_alice", name: "Alice", role: .user)
    let event = storedComment(offset: 58, by: author)
    Benchmark("encode an event once: JSON and WebSocket frame", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(OutboundEvent(event))
        }
    }

    // The hub's work for one commit, to 1,000 subscribers on one event loop: the loop's task
    // included, the sockets not (each subscriber counts what it is handed). One event per commit
    // (divide by 1,000 for the cost per delivery), and sixteen, which reach each subscriber as one
    // run in one buffer (divide by 16,000).
    for perCommit in [1, 16] {
        Benchmark("fan-out of one commit of \(perCommit) event\(perCommit == 1 ? "" : "s") to 1,000 subscribers") { benchmark in
            let loop = EmbeddedEventLoop()
            let hub = StreamHub()
            let subscribers = (0..<1000).map { _ in CountingSubscriber() }
            for (key, subscriber) in subscribers.enumerated() { hub.add("thread:p_01JD8X3K4M5N6P7Q", key: key, loop: loop, subscriber: subscriber) }
            let commits = (0...benchmark.scaledIterations.count).map { commit in
                (1...perCommit).map { storedComment(offset: Int64(commit * perCommit + $0), by: author) }
            }
            benchmark.startMeasurement()
            for index in benchmark.scaledIterations {
                hub.publish(commits[index])
                loop.run()
            }
            benchmark.stopMeasurement()
            blackHole(subscribers.reduce(0) { $0 + $1.delivered })
            try? loop.syncShutdownGracefully()
        }
    }

    // Durable posts through the store's writer (synchronous=FULL), one at a time and 64 in flight
    // (one transaction and fsync for each batch).
    for concurrent in [1, 64] {
        Benchmark("durable posts, \(concurrent) in flight", configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput], maxDuration: .seconds(3), maxIterations: 2_000)) { benchmark in
            let directory = NSTemporaryDirectory() + "gatewayd-bench-\(UUID().uuidString)"
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            guard let store = try? SQLiteStore(path: directory + "/bench.sqlite", sink: NoSink(), ids: IDGenerator(), logger: Logger(label: "bench")) else {
                return benchmark.error("The store could not be opened in \(directory).")
            }
            let writer = Task { await store.run() }
            defer { writer.cancel() }
            benchmark.startMeasurement()
            for round in benchmark.scaledIterations {
                await withTaskGroup(of: Void.self) { group in
                    for index in 0..<concurrent {
                        group.addTask {
                            _ = try? await store.write(
                                .post(body: "post \(round)-\(index)", clientID: "b\(round)-\(index)", botsEnabled: false, generated: nil), by: author)
                        }
                    }
                }
            }
            benchmark.stopMeasurement()
        }
    }
}

func storedComment(offset: Int64, by author: User) -> StoredEvent {
    let comment = Comment(id: "c_01JD8X3K4M5N6P7R", postID: "p_01JD8X3K4M5N6P7Q", parentID: nil, author: author, body: "Nice work, 继续加油! 🎉",
                          createdAt: Timestamp(milliseconds: 1_764_403_200_123), depth: 0)
    var data = JSONWriter()
    comment.write(to: &data)
    return StoredEvent(stream: "thread:p_01JD8X3K4M5N6P7Q", offset: offset, type: .commentCreated, timestamp: Timestamp(milliseconds: 1_764_403_200_123),
                       dataJSON: data.text)
}

/// A subscriber that takes every event and counts it, as a session would before its socket.
final class CountingSubscriber: StreamSubscriber {
    private(set) var delivered = 0
    private var unflushed = false

    func deliver(_ event: OutboundEvent) -> Bool {
        delivered += 1
        defer { unflushed = true }
        return !unflushed
    }

    func deliver(_ run: OutboundRun) -> Bool {
        delivered += run.events.count
        defer { unflushed = true }
        return !unflushed
    }

    func flushDeliveries() {
        unflushed = false
    }

    func deliverEphemeral(_ frame: ByteBuffer, stream: String) {}
}

struct NoSink: EventSink {
    func publish(_ events: [StoredEvent]) {}
}
