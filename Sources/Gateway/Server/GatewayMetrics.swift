public import Synchronization

/// Counters behind `/metrics` (Prometheus text format).
public final class GatewayMetrics: Sendable {
    public let connectionsOpened = Atomic<Int>(0)
    public let connectionsClosed = Atomic<Int>(0)
    public let messagesReceived = Atomic<Int>(0)
    public let eventsDelivered = Atomic<Int>(0)
    public let writes = Atomic<Int>(0)
    public let rateLimited = Atomic<Int>(0)
    public let ephemeralDropped = Atomic<Int>(0)
    private let closes = Mutex([UInt16: Int]())
    /// The last bot turns' overhead from a post's commit to the first draft frame, delay excluded.
    private let botOverhead = Mutex((samples: [Int64](), next: 0))

    public func recordBotOverhead(milliseconds: Int64) {
        botOverhead.withLock { state in
            if state.samples.count < 4096 {
                state.samples.append(milliseconds)
            } else {
                state.samples[state.next] = milliseconds
                state.next = (state.next + 1) % 4096
            }
        }
    }

    /// The p50 and p99 of the recorded bot overheads, in milliseconds.
    public func botOverheadQuantiles() -> (p50: Int64, p99: Int64, count: Int)? {
        let samples = botOverhead.withLock { $0.samples }.sorted()
        guard !samples.isEmpty else { return nil }
        return (samples[samples.count / 2], samples[min(samples.count - 1, samples.count * 99 / 100)], samples.count)
    }

    public init() {}

    public func recordClose(_ code: CloseCode) {
        closes.withLock { $0[code.rawValue, default: 0] += 1 }
    }

    public func closeCount(_ code: CloseCode) -> Int {
        closes.withLock { $0[code.rawValue] ?? 0 }
    }

    public func render(sessions: Int) -> String {
        var lines: [String] = []
        func counter(_ name: String, _ help: String, _ value: Int) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) counter")
            lines.append("\(name) \(value)")
        }
        lines.append("# HELP gatewayd_sessions WebSocket sessions open now.")
        lines.append("# TYPE gatewayd_sessions gauge")
        lines.append("gatewayd_sessions \(sessions)")
        counter("gatewayd_connections_opened_total", "WebSocket connections accepted.", connectionsOpened.load(ordering: .relaxed))
        counter("gatewayd_connections_closed_total", "WebSocket connections ended.", connectionsClosed.load(ordering: .relaxed))
        counter("gatewayd_messages_received_total", "Client messages received.", messagesReceived.load(ordering: .relaxed))
        counter("gatewayd_events_delivered_total", "Events written to subscribers.", eventsDelivered.load(ordering: .relaxed))
        counter("gatewayd_writes_total", "Writes committed.", writes.load(ordering: .relaxed))
        counter("gatewayd_rate_limited_total", "Writes refused by the per-user rate limits.", rateLimited.load(ordering: .relaxed))
        counter("gatewayd_ephemeral_dropped_total", "Typing and draft frames dropped under backpressure.", ephemeralDropped.load(ordering: .relaxed))
        if let quantiles = botOverheadQuantiles() {
            lines.append("# HELP gatewayd_bot_first_draft_overhead_ms Commit of a post to a bot's first draft frame, configured delay excluded.")
            lines.append("# TYPE gatewayd_bot_first_draft_overhead_ms summary")
            lines.append("gatewayd_bot_first_draft_overhead_ms{quantile=\"0.5\"} \(quantiles.p50)")
            lines.append("gatewayd_bot_first_draft_overhead_ms{quantile=\"0.99\"} \(quantiles.p99)")
            lines.append("gatewayd_bot_first_draft_overhead_ms_count \(quantiles.count)")
        }
        lines.append("# HELP gatewayd_closes_total Connections closed by the server, by close code.")
        lines.append("# TYPE gatewayd_closes_total counter")
        for (code, count) in closes.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            lines.append("gatewayd_closes_total{code=\"\(code)\"} \(count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
