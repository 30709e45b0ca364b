import Testing
@testable import Gateway
@testable import GatewayProtocol

/// The pieces of the cluster that need no database: what a NOTIFY carries, and the store setting.
@Suite("Cluster bus messages and store locations", .stopsServers)
struct BusMessageTests {
    static func event(_ index: Int, dataBytes: Int = 40) -> StoredEvent {
        StoredEvent(
            stream: index % 2 == 0 ? "feed" : "thread:p_\(index)", offset: Int64(index + 1), type: .postCreated,
            timestamp: Timestamp(milliseconds: 1_700_000_000_000 + Int64(index)),
            dataJSON: "{\"body\":\"" + String(repeating: "é\\\"", count: dataBytes / 4) + "\"}")
    }

    @Test("a commit's events split into payloads under PostgreSQL's limit, in order, every seq once, exact bytes kept")
    func eventsRoundTrip() throws {
        let events = (0..<500).map { Self.event($0) }
        let payloads = BusMessage.encode(events: events, firstSeq: 1001)
        #expect(payloads.count > 1, "500 events do not fit one notification")
        var expected: Int64 = 1001
        var decoded: [StoredEvent] = []
        for payload in payloads {
            #expect(payload.utf8.count <= BusMessage.payloadLimit)
            let message = try #require(BusMessage.decodeEvents(payload))
            #expect(message.first == expected)
            #expect(message.entries.map(\.seq) == Array(message.first...message.last))
            expected = message.last + 1
            decoded += message.entries.compactMap(\.event)
        }
        #expect(expected == 1501)
        #expect(decoded == events)
    }

    @Test("an event with large data goes by reference, and the others around it inline")
    func largeByReference() throws {
        let events = [Self.event(0), Self.event(1, dataBytes: 20_000), Self.event(2)]
        let payloads = BusMessage.encode(events: events, firstSeq: 7)
        let entries = try payloads.flatMap { try #require(BusMessage.decodeEvents($0)).entries }
        #expect(entries.map(\.seq) == [7, 8, 9])
        #expect(entries.map { $0.dataJSON == nil } == [false, true, false])
        #expect(entries[2].event == events[2])
    }

    @Test("ephemeral frames travel with their node, oversized ones are dropped, and garbage is refused")
    func frames() throws {
        let frames: [(stream: String, payload: [UInt8])] = [
            ("thread:p_1", Array(#"{"op":"typing","stream":"thread:p_1"}"#.utf8)),
            ("thread:p_2", Array(String(repeating: "x", count: 9000).utf8)),
            ("thread:p_3", Array(#"{"op":"draft","delta":"你好\n"}"#.utf8)),
        ]
        let payloads = BusMessage.encode(frames: frames, node: "n_A")
        #expect(payloads.count == 1)
        let message = try #require(BusMessage.decodeFrames(payloads[0]))
        #expect(message.node == "n_A")
        #expect(message.frames.map(\.stream) == ["thread:p_1", "thread:p_3"])
        #expect(message.frames.last?.payload == frames[2].payload)
        #expect(BusMessage.decodeEvents("{\"first\":1}") == nil)
        #expect(BusMessage.decodeEvents("not json") == nil)
        #expect(BusMessage.decodeFrames("[]") == nil)
    }

    @Test("store.backend: sqlite or a PostgreSQL URL, with clear errors and the password never shown")
    func storeLocations() throws {
        #expect(try StoreLocation(parsing: "sqlite") == .sqlite)
        guard case .postgres(let location) = try StoreLocation(parsing: "postgres://gw:s%40cret@db.example:6432/feed?schema=blue&sslmode=require") else {
            Issue.record("not PostgreSQL")
            return
        }
        #expect(location.host == "db.example" && location.port == 6432 && location.database == "feed")
        #expect(location.username == "gw" && location.password == "s@cret")
        #expect(location.schema == "blue" && location.tls == .require)
        #expect(location.description == "postgres://gw:[redacted]@db.example:6432/feed?schema=blue&sslmode=require")
        #expect(location.eventsChannel == "gatewayd_events_blue")
        for (text, fragment) in [
            ("mysql://x", "expected sqlite or a postgres://"),
            ("postgres://u:pw@h/db?schema=drop%20table", "schema must be letters"),
            ("postgres://u:pw@h/db?sslmode=maybe", "sslmode must be"),
            ("postgres://u:pw@h/db?pool=3", "unknown parameter \"pool\""),
        ] {
            do {
                _ = try StoreLocation(parsing: text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description.contains(fragment), "\(error.description)")
                #expect(!error.description.contains("pw@"), "the password stays out of the message")
            }
        }
    }
}
