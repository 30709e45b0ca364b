public import Persona
public import AsyncHTTPClient
public import Foundation
public import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The reply engines of all personas: the offline one, or a model behind an OpenAI-compatible
/// API with one circuit breaker and one concurrency cap per persona. A persona keeps its breaker
/// across reloads unless its `responder` settings change.
public final class ModelEngines: Sendable {
    private let client: HTTPClient
    private let environment: @Sendable (String) -> String?
    private let breakerThreshold: Int
    private let breakerCooldown: Duration
    private let logger: Logger
    private let report: @Sendable (EngineReport) -> Void
    private let gates = NIOLockedValueBox<[String: (settings: ResponderSettings, gate: EngineGate)]>([:])
    /// Tokens each persona spent on the current UTC day (`max_tokens_per_day`); kept in memory, so
    /// a restart starts the day's count again.
    private let spending = NIOLockedValueBox<[String: (day: Int64, tokens: Int)]>([:])
    private let now: @Sendable () -> Date

    /// The client every engine request goes through. It never follows a redirect, so a model host
    /// cannot send the API key on to another host; and it does not retry a connection that
    /// cannot be made, so a model that is down fails over at once (`engine.connection`) instead
    /// of after the whole deadline: the engine's own retry policy decides. Alive for the whole
    /// process, never shut down, like `HTTPClient.shared`.
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// - Parameters:
    ///   - environment: where `api_key_env` is looked up; the process environment by default.
    ///   - breakerThreshold: failed replies in a row that open a persona's circuit.
    ///   - report: every model reply's outcome, for metrics.
    ///   - now: the clock that tells the UTC day, for the token budgets.
    public init(client: HTTPClient = ModelEngines.client, environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] },
                breakerThreshold: Int = 5, breakerCooldown: Duration = .seconds(30), logger: Logger = Logger(label: "gatewayd.engine"),
                now: @escaping @Sendable () -> Date = Date.init, report: @escaping @Sendable (EngineReport) -> Void = { _ in }) {
        self.now = now
        self.client = client
        self.environment = environment
        self.breakerThreshold = breakerThreshold
        self.breakerCooldown = breakerCooldown
        self.logger = logger
        self.report = report
    }

    /// The persona's own engine.
    public func responder(for persona: Persona) -> any Responder {
        switch persona.responder.engine {
        case .offline:
            return OfflineResponder()
        case .openai:
            let (report, spending, now) = (self.report, self.spending, self.now)
            let id = persona.id
            return OpenAIResponder(
                personaID: persona.id, settings: persona.responder, gate: gate(for: persona), client: client, environment: environment,
                report: { outcome in
                    let used = (outcome.promptTokens ?? 0) + (outcome.completionTokens ?? 0)
                    if used > 0 {
                        let day = Self.day(now())
                        spending.withLockedValue { spending in
                            let today = spending[id].flatMap { $0.day == day ? $0.tokens : nil } ?? 0
                            spending[id] = (day, today + used)
                        }
                    }
                    report(outcome)
                },
                tokensToday: { [self] in tokensToday(id) }, logger: logger)
        }
    }

    /// What replies while the persona's model is failing (`fallback_engine`): the offline
    /// engine, or nil for silence.
    public func fallback(for persona: Persona) -> (any Responder)? {
        persona.responder.engine == .openai && persona.responder.fallbackEngine == .offline ? OfflineResponder() : nil
    }

    /// Tokens the persona's model used today (UTC), as the provider reported them.
    public func tokensToday(_ personaID: String) -> Int {
        let day = Self.day(now())
        return spending.withLockedValue { $0[personaID].flatMap { $0.day == day ? $0.tokens : nil } ?? 0 }
    }

    static func day(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// Whether the persona's model is being skipped after repeated failures.
    public func isCircuitOpen(_ personaID: String) async -> Bool {
        guard let gate = gates.withLockedValue({ $0[personaID]?.gate }) else { return false }
        return await gate.isOpen
    }

    private func gate(for persona: Persona) -> EngineGate {
        gates.withLockedValue { gates in
            if let existing = gates[persona.id], existing.settings == persona.responder { return existing.gate }
            let gate = EngineGate(capacity: persona.responder.maxConcurrency, breakerThreshold: breakerThreshold, breakerCooldown: breakerCooldown)
            gates[persona.id] = (persona.responder, gate)
            return gate
        }
    }
}
