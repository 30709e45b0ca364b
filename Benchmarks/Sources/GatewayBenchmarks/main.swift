// Costs on the gateway's hot paths: decoding a client frame, encoding an event once (JSON and
// WebSocket header), and the store's group commit (fsync included) at batch sizes 1 and 64.
// Prints the median of several rounds per operation; compare ratios within one run.
import BenchmarkSupport
import Foundation
import Gateway
import GatewayProtocol
import Logging
import NIOCore

print("gateway hot-path costs (release build)")
let frame = Array(#"{"op":"comment","id":42,"post_id":"p_01JD8X3K4M5N6P7Q","parent_id":"c_01JD8X3K4M5N6P7R","body":"Nice work, 继续加油! 🎉","client_id":"2f1c9a7e-8b3d-4c2a-9e6f-1a2b3c4d5e6f"}"#.utf8)
measure("decode a comment frame (UTF-8, JSON, typed op)", iterations: 200_000) { _ in
    frame.withUnsafeBytes { bytes in
        guard let value = try? JSONParser.parse(bytes), let message = try? ClientMessage.decode(value, maximumBodyScalars: 4000) else { return 0 }
        if case .write = message { return 1 }
        return 0
    }
}
let author = User(id: "u_alice", name: "Alice", role: .user)
let comment = Comment(id: "c_01JD8X3K4M5N6P7R", postID: "p_01JD8X3K4M5N6P7Q", parentID: nil, author: author, body: "Nice work, 继续加油! 🎉",
                      createdAt: Timestamp(milliseconds: 1_764_403_200_123), depth: 0)
var data = JSONWriter()
comment.write(to: &data)
let event = StoredEvent(stream: "thread:p_01JD8X3K4M5N6P7Q", offset: 58, type: .commentCreated, timestamp: Timestamp(milliseconds: 1_764_403_200_123),
                        dataJSON: data.text)
measure("encode an event once: JSON + WebSocket frame", iterations: 200_000) { _ in
    WebSocketFraming.frame(.text, payload: ServerFrame.event(event)).readableBytes
}

/// The store's writer, timed from the caller's side: `concurrent` writes in flight together
/// share a transaction and its fsync (group commit).
struct NoSink: EventSink { func publish(_ events: [StoredEvent]) {} }
let directory = NSTemporaryDirectory() + "gatewayd-bench-\(UUID().uuidString)"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
let store = try SQLiteStore(path: directory + "/bench.sqlite", sink: NoSink(), ids: IDGenerator(), logger: Logger(label: "bench"))
// The writer runs as the server's service would run it; the benchmark ends the process with it.
_ = Task { await store.run() }
for concurrent in [1, 64] {
    let rounds = concurrent == 1 ? 200 : 20
    let start = ContinuousClock.now
    for round in 0..<rounds {
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<concurrent {
                group.addTask {
                    _ = try? await store.write(.post(body: "post \(round)-\(index)", clientID: "b\(concurrent)-\(round)-\(index)", botsEnabled: false, generated: nil), by: author)
                }
            }
        }
    }
    let perWrite = nanoseconds(ContinuousClock.now - start) / Double(rounds * concurrent)
    print("\(label("durable post, \(concurrent) in flight (synchronous=FULL)")) \(String(format: "%10.0f", perWrite)) ns/write  (\(String(format: "%.0f", 1e9 / perWrite)) writes/s)")
}
try? FileManager.default.removeItem(atPath: directory)
