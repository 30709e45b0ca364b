import Foundation
import Testing
@testable import Gateway

/// A drain as a client that reads slowly sees it (PROTOCOL.md section 10): every frame the server
/// queued for it arrives whole, then its 4011, before the process exits.
@Suite("Drain of a slow reader")
struct DrainTests {
    /// The server's frames in `bytes`, as (opcode, payload); a frame cut short ends the list.
    static func frames(_ bytes: [UInt8]) -> (frames: [(opcode: UInt8, payload: [UInt8])], cut: Bool) {
        var frames: [(UInt8, [UInt8])] = []
        var index = 0
        while index + 2 <= bytes.count {
            var length = Int(bytes[index + 1] & 0x7F)
            var start = index + 2
            if length == 126 {
                guard start + 2 <= bytes.count else { return (frames, true) }
                length = Int(bytes[start]) << 8 | Int(bytes[start + 1])
                start += 2
            } else if length == 127 {
                guard start + 8 <= bytes.count else { return (frames, true) }
                length = bytes[start..<start + 8].reduce(0) { $0 << 8 | Int($1) }
                start += 8
            }
            guard start + length <= bytes.count else { return (frames, true) }
            frames.append((bytes[index] & 0x0F, Array(bytes[start..<start + length])))
            index = start + length
        }
        return (frames, index != bytes.count)
    }

    @Test("on SIGTERM a subscriber with frames queued gets all of them, then 4011, and the process exits 0")
    func slowReaderGetsItsClose() async throws {
        let gateway = try await GatewayProcess(
            dataDirectory: TestServer.temporaryDirectory(),
            environment: [
                "GATEWAYD_SESSIONS_INBOUND_PER_SECOND": "10000", "GATEWAYD_SESSIONS_INBOUND_BURST": "10000",
                // Room for what the kernel's buffers do not take, so that the reader is not closed 4010 first.
                "GATEWAYD_SESSIONS_OUTBOUND_QUEUE_BYTES": "\(64 << 20)",
                // A loaded machine may take longer than the default 5 s grace to read 5 MB; a
                // reader too slow for the grace is cut, as it should be, but that is not this test.
                "GATEWAYD_SESSIONS_CLOSE_GRACE": "30s", "GATEWAYD_SHUTDOWN_DRAIN_DEADLINE": "60s",
            ])
        // A failure before the SIGTERM below must not leave the process running.
        do {
            try await drainWithSlowReader(gateway)
        } catch {
            await gateway.stop()
            throw error
        }
    }

    private func drainWithSlowReader(_ gateway: GatewayProcess) async throws {
        let slow = try RawSocket(port: gateway.port, receiveBuffer: 4096)
        slow.send(HandshakeTests.request(HandshakeTests.plain))
        var received: [UInt8] = []
        while !String(decoding: received, as: UTF8.self).contains(#""op":"hello""#), let more = await slow.read() { received += more }
        received = Array(received[(received.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? 0)...])
        slow.sendFrame(Array(#"{"op":"identify","token":"\#(try await GatewayProcess.token("u_slow"))"}"#.utf8))
        slow.sendFrame(Array(#"{"op":"sub","id":1,"stream":"feed"}"#.utf8))
        while !String(decoding: received, as: UTF8.self).contains(#""op":"subscribed""#), let more = await slow.read() { received += more }

        // About 5 MB: more than the kernel's buffers (4 MB at most for a socket's sending side
        // here) take for a reader that does not read, so that the server holds the rest queued.
        let writer = try await TestClient.connect(port: gateway.port)
        _ = try await writer.expect("hello")
        try await writer.send(["op": "identify", "token": try await GatewayProcess.token("u_writer")])
        _ = try await writer.expect("ready")
        let posts = 1200
        for number in 1...posts {
            try await writer.send(["op": "post", "id": number, "body": "\(number) " + String(repeating: "x", count: 3900), "client_id": "p\(number)"])
        }
        for _ in 1...posts { _ = try await writer.expect("ack") }

        let exit = Task { await gateway.terminate() }
        var closeCode: Int?
        var frames: [(opcode: UInt8, payload: [UInt8])] = []
        let deadline = ContinuousClock.now + .seconds(40)
        while closeCode == nil, ContinuousClock.now < deadline, let more = await slow.read() {
            received += more
            frames = Self.frames(received).frames
            if let close = frames.last, close.opcode == 8, close.payload.count >= 2 {
                closeCode = Int(close.payload[0]) << 8 | Int(close.payload[1])
                slow.sendFrame(close.payload, opcode: 0x8)
            }
        }
        let events = frames.compactMap { frame -> Int? in
            guard frame.opcode == 1, let object = try? JSONSerialization.jsonObject(with: Data(frame.payload)) as? [String: Any],
                object["op"] as? String == "event" else { return nil }
            return object["offset"] as? Int
        }
        // Every event acknowledged before SIGTERM was committed, and on SQLite handed to the
        // subscriber's loop before its ack; on PostgreSQL it comes back through the bus, and the
        // last may not have reached the session when it closes: those are the resume's to fetch.
        let contiguous = events == Array(1...max(1, events.count)) && (TestServer.onPostgres || events.count == posts)
        #expect(contiguous, "the queued events, whole and in order (got \(events.count), the last \(events.last ?? 0))")
        #expect(events.count > posts / 2, "most of the events were queued and delivered (got \(events.count))")
        #expect(closeCode == 4011, "the close came after them")
        #expect(await exit.value.succeeded, "SIGTERM drains and exits 0")
    }
}
