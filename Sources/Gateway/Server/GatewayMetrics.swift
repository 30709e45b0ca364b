import CoreMetrics
import Persona
public import Prometheus
import Synchronization
import GatewayProtocol
public import PersonaEngines

/// What `/metrics` shows, recorded through swift-metrics into a swift-prometheus registry of this
/// gateway's own (not the process-wide `MetricsSystem`, so several gateways in one test process
/// keep separate figures). Hot paths touch pre-made handles: one atomic add each; labelled
/// families (by close code, persona, outcome) are looked up in the registry when they move.
public final class GatewayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    let connectionsOpened: CoreMetrics.Counter
    let connectionsClosed: CoreMetrics.Counter
    let messagesReceived: CoreMetrics.Counter
    let eventsCommitted: CoreMetrics.Counter
    let eventsDelivered: CoreMetrics.Counter
    let writes: CoreMetrics.Counter
    let writesRateLimited: CoreMetrics.Counter
    let inboundRefused: CoreMetrics.Counter
    let ephemeralDropped: CoreMetrics.Counter
    let outboundOverflows: CoreMetrics.Counter
    /// From the store's commit to the subscribers' socket writes, per event loop batch.
    let fanoutLatency: CoreMetrics.Timer
    let storeBatchSize: CoreMetrics.Recorder
    let storeCommitLatency: CoreMetrics.Timer
    /// Commit of a post to an offline bot's first draft frame, the configured delay excluded.
    let botFirstDraftOverhead: CoreMetrics.Timer
    /// The cluster bus (PostgreSQL): notifications and events received, events read back from
    /// the log to fill a gap, reconnections, and the time from an event's commit to its arrival.
    let busNotifications: CoreMetrics.Counter
    let busEvents: CoreMetrics.Counter
    let busCatchUpEvents: CoreMetrics.Counter
    let busReconnects: CoreMetrics.Counter
    let busLatency: CoreMetrics.Timer
    private let connectionsOpen: CoreMetrics.Gauge
    private let subscriptions: CoreMetrics.Gauge
    private let sessionGauges: [SessionRegistry.State: CoreMetrics.Gauge]

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(5),
        ]
        factory.durationHistogramBuckets = [
            "gatewayd_fanout_latency_seconds": latencyBuckets,
            "gatewayd_store_commit_seconds": latencyBuckets,
            "gatewayd_bus_latency_seconds": latencyBuckets,
            "gatewayd_engine_reply_seconds": [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(20), .seconds(45), .seconds(90)],
            "gatewayd_engine_first_token_seconds": [.milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(20)],
        ]
        factory.valueHistogramBuckets = ["gatewayd_store_batch_size": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]]
        self.factory = factory
        connectionsOpened = CoreMetrics.Counter(label: "gatewayd_connections_opened_total", factory: factory)
        connectionsClosed = CoreMetrics.Counter(label: "gatewayd_connections_closed_total", factory: factory)
        messagesReceived = CoreMetrics.Counter(label: "gatewayd_messages_received_total", factory: factory)
        eventsCommitted = CoreMetrics.Counter(label: "gatewayd_events_committed_total", factory: factory)
        eventsDelivered = CoreMetrics.Counter(label: "gatewayd_events_delivered_total", factory: factory)
        writes = CoreMetrics.Counter(label: "gatewayd_writes_total", factory: factory)
        writesRateLimited = CoreMetrics.Counter(label: "gatewayd_rate_limited_total", dimensions: [("limit", "writes")], factory: factory)
        inboundRefused = CoreMetrics.Counter(label: "gatewayd_rate_limited_total", dimensions: [("limit", "inbound")], factory: factory)
        ephemeralDropped = CoreMetrics.Counter(label: "gatewayd_ephemeral_dropped_total", factory: factory)
        outboundOverflows = CoreMetrics.Counter(label: "gatewayd_outbound_overflows_total", factory: factory)
        fanoutLatency = CoreMetrics.Timer(label: "gatewayd_fanout_latency_seconds", factory: factory)
        storeBatchSize = CoreMetrics.Recorder(label: "gatewayd_store_batch_size", factory: factory)
        storeCommitLatency = CoreMetrics.Timer(label: "gatewayd_store_commit_seconds", factory: factory)
        botFirstDraftOverhead = CoreMetrics.Timer(label: "gatewayd_bot_first_draft_overhead_seconds", factory: factory)
        busNotifications = CoreMetrics.Counter(label: "gatewayd_bus_notifications_total", factory: factory)
        busEvents = CoreMetrics.Counter(label: "gatewayd_bus_events_total", factory: factory)
        busCatchUpEvents = CoreMetrics.Counter(label: "gatewayd_bus_catchup_events_total", factory: factory)
        busReconnects = CoreMetrics.Counter(label: "gatewayd_bus_reconnects_total", factory: factory)
        busLatency = CoreMetrics.Timer(label: "gatewayd_bus_latency_seconds", factory: factory)
        connectionsOpen = CoreMetrics.Gauge(label: "gatewayd_connections", factory: factory)
        subscriptions = CoreMetrics.Gauge(label: "gatewayd_subscriptions", factory: factory)
        var sessionGauges: [SessionRegistry.State: CoreMetrics.Gauge] = [:]
        for state in SessionRegistry.State.allCases {
            sessionGauges[state] = CoreMetrics.Gauge(label: "gatewayd_sessions", dimensions: [("state", state.rawValue)], factory: factory)
        }
        self.sessionGauges = sessionGauges
    }

    func recordClose(_ code: CloseCode) {
        count("gatewayd_closes_total", [("code", "\(code.rawValue)")])
    }

    func recordBotDecision(persona: String, outcome: String) {
        count("gatewayd_bot_decisions_total", [("persona", persona), ("outcome", outcome)])
    }

    func recordFlag(situation: String, reason: String) {
        count("gatewayd_moderation_flags_total", [("situation", situation), ("reason", reason)])
    }

    func recordReload(outcome: String) {
        count("gatewayd_persona_reloads_total", [("outcome", outcome)])
    }

    public func recordEngine(_ report: EngineReport) {
        let persona = [("persona", report.persona)]
        count("gatewayd_engine_replies_total", persona + [("outcome", report.failure?.rawValue ?? "ok")])
        count("gatewayd_engine_requests_total", persona, by: report.requests)
        time("gatewayd_engine_reply_seconds", persona, report.duration)
        if let firstToken = report.firstToken { time("gatewayd_engine_first_token_seconds", persona, firstToken) }
        if let prompt = report.promptTokens { count("gatewayd_engine_tokens_total", persona + [("kind", "prompt")], by: prompt) }
        if let completion = report.completionTokens { count("gatewayd_engine_tokens_total", persona + [("kind", "completion")], by: completion) }
    }

    /// A labelled series, looked up in the registry when it moves: these move rarely (closes,
    /// decisions, model replies), so no handle is kept per label value.
    private func count(_ label: String, _ dimensions: [(String, String)], by amount: Int = 1) {
        CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory).increment(by: amount)
    }

    private func time(_ label: String, _ dimensions: [(String, String)], _ duration: Duration) {
        CoreMetrics.Timer(label: label, dimensions: dimensions, factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    /// The Prometheus text, with the gauges read now.
    func render(sessions: SessionRegistry, hub: StreamHub) -> [UInt8] {
        let counts = sessions.countsByState()
        for (state, gauge) in sessionGauges { gauge.record(counts[state] ?? 0) }
        connectionsOpen.record(counts.values.reduce(0, +))
        subscriptions.record(hub.subscriptionCount)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
