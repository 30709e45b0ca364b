public import Persona
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

    /// Per persona: model replies by outcome, HTTP requests, time spent and tokens.
    private let engines = Mutex([String: EngineTally]())

    struct EngineTally {
        var outcomes: [String: Int] = [:]
        var requests = 0
        var seconds = 0.0
        var firstTokenSeconds = 0.0
        var firstTokens = 0
        var promptTokens = 0
        var completionTokens = 0
    }

    public func recordEngine(_ report: EngineReport) {
        engines.withLock { tallies in
            var tally = tallies[report.persona, default: EngineTally()]
            tally.outcomes[report.failure?.rawValue ?? "ok", default: 0] += 1
            tally.requests += report.requests
            tally.seconds += report.duration.seconds
            if let firstToken = report.firstToken {
                tally.firstTokenSeconds += firstToken.seconds
                tally.firstTokens += 1
            }
            tally.promptTokens += report.promptTokens ?? 0
            tally.completionTokens += report.completionTokens ?? 0
            tallies[report.persona] = tally
        }
    }

    /// How many of a persona's model replies ended with `outcome` ("ok" or a failure kind).
    public func engineReplies(_ persona: String, outcome: String) -> Int {
        engines.withLock { $0[persona]?.outcomes[outcome] ?? 0 }
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
        renderEngines(into: &lines)
        lines.append("# HELP gatewayd_closes_total Connections closed by the server, by close code.")
        lines.append("# TYPE gatewayd_closes_total counter")
        for (code, count) in closes.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            lines.append("gatewayd_closes_total{code=\"\(code)\"} \(count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func renderEngines(into lines: inout [String]) {
        let tallies = engines.withLock { $0 }.sorted { $0.key < $1.key }
        guard !tallies.isEmpty else { return }
        func family(_ name: String, _ type: String, _ help: String, _ rows: (String, EngineTally) -> [String]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for (persona, tally) in tallies { lines += rows(persona, tally) }
        }
        family("gatewayd_engine_replies_total", "counter", "Replies asked of a language model, by persona and outcome (ok or the failure).") { persona, tally in
            tally.outcomes.sorted { $0.key < $1.key }.map { "gatewayd_engine_replies_total{persona=\"\(persona)\",outcome=\"\($0.key)\"} \($0.value)" }
        }
        family("gatewayd_engine_requests_total", "counter", "HTTP requests to language models, retries included.") { persona, tally in
            ["gatewayd_engine_requests_total{persona=\"\(persona)\"} \(tally.requests)"]
        }
        family("gatewayd_engine_reply_seconds", "summary", "Time from asking a model to the end of its reply or its failure.") { persona, tally in
            ["gatewayd_engine_reply_seconds_sum{persona=\"\(persona)\"} \(tally.seconds)",
             "gatewayd_engine_reply_seconds_count{persona=\"\(persona)\"} \(tally.outcomes.values.reduce(0, +))"]
        }
        family("gatewayd_engine_first_token_seconds", "summary", "Time from asking a model to its first piece of text.") { persona, tally in
            ["gatewayd_engine_first_token_seconds_sum{persona=\"\(persona)\"} \(tally.firstTokenSeconds)",
             "gatewayd_engine_first_token_seconds_count{persona=\"\(persona)\"} \(tally.firstTokens)"]
        }
        family("gatewayd_engine_tokens_total", "counter", "Tokens the providers reported using, where they report usage.") { persona, tally in
            ["gatewayd_engine_tokens_total{persona=\"\(persona)\",kind=\"prompt\"} \(tally.promptTokens)",
             "gatewayd_engine_tokens_total{persona=\"\(persona)\",kind=\"completion\"} \(tally.completionTokens)"]
        }
    }
}
