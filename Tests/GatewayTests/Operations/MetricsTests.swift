import Foundation
import NIOWebSocket
import Testing
@testable import Gateway

/// `/metrics` moves as traffic flows (issue 10): scrape, act, scrape again.
@Suite("Metrics", .serialized, .stopsServers)
struct MetricsTests {
    func delta(_ before: [String: Double], _ after: [String: Double], _ key: String) -> Double {
        (after[key] ?? 0) - (before[key] ?? 0)
    }

    @Test("connections, sessions by state, subscriptions, commits, deliveries, fan-out latency, store batches, refusals, bot decisions, reloads")
    func moveWithTraffic() async throws {
        let server = try await TestServer.start(personas: ["kiki.yaml": BotTests.greeter, "lexicons/politics.txt": BotTests.politics]) {
            $0.writeLimits = .init(postsPerMinute: 2, commentsPerMinute: 100)
        }
        let before = try await server.scrape()

        let alice = try await server.identified("u_alice")
        let reader = try await server.connect()
        try await reader.send(["op": "identify"])
        _ = try await reader.expect("ready")
        try await reader.send(["op": "sub", "id": 1, "stream": "feed"])
        _ = try await reader.expect("subscribed")
        try await alice.send(["op": "post", "id": 1, "body": "Metrics should move!", "client_id": "m1"])
        _ = try await alice.expect("ack")
        _ = try await reader.expect("event")
        try await alice.send(["op": "post", "id": 2, "body": "Second post, lovely day!", "client_id": "m2"])
        _ = try await alice.expect("ack")
        try await alice.send(["op": "post", "id": 3, "body": "Third post is over the limit", "client_id": "m3"])
        #expect(try await alice.expect("error").string("code") == "rate_limited")
        // Kiki answers each post after a second; then an edit of its file is reloaded.
        let replied = #"gatewayd_bot_decisions_total{persona="kiki",outcome="replied"}"#
        _ = try await server.scrape(until: { delta(before, $0, replied) >= 2 })
        try String(BotTests.greeter + "\nbio: edited\n").write(toFile: server.personasDirectory + "/kiki.yaml", atomically: true, encoding: .utf8)
        let after = try await server.scrape(until: { delta(before, $0, #"gatewayd_persona_reloads_total{outcome="ok"}"#) >= 1 })
        #expect(delta(before, after, "gatewayd_connections_opened_total") == 2)
        #expect(after[#"gatewayd_sessions{state="identified"}"#] == 1)
        #expect(after[#"gatewayd_sessions{state="anonymous"}"#] == 1)
        #expect(after["gatewayd_connections"] == 2)
        #expect(after["gatewayd_subscriptions"] == 1)
        #expect(delta(before, after, "gatewayd_writes_total") == 2, "clients' writes that were applied")
        #expect(delta(before, after, "gatewayd_events_committed_total") >= 4)
        #expect(delta(before, after, "gatewayd_events_delivered_total") >= 2)
        #expect(delta(before, after, "gatewayd_fanout_latency_seconds_count") >= 1)
        #expect(delta(before, after, "gatewayd_store_batch_size_count") >= 1)
        #expect(delta(before, after, "gatewayd_store_commit_seconds_count") >= 1)
        #expect(delta(before, after, #"gatewayd_rate_limited_total{limit="writes"}"#) == 1)
        #expect(delta(before, after, #"gatewayd_bot_decisions_total{persona="kiki",outcome="replied"}"#) == 2)
        #expect(delta(before, after, #"gatewayd_persona_reloads_total{outcome="ok"}"#) >= 1)
        #expect(delta(before, after, "gatewayd_messages_received_total") >= 6)

        try await reader.sendFrame(.connectionClose, [0x03, 0xE8])
        _ = try await reader.expectClose()
        let last = try await server.scrape(until: { $0["gatewayd_connections"] == 1 && $0["gatewayd_subscriptions"] == 0 })
        #expect(last["gatewayd_connections"] == 1)
        #expect(last["gatewayd_subscriptions"] == 0)
        #expect(delta(after, last, "gatewayd_connections_closed_total") == 1)
    }
}
