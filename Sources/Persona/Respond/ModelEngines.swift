public import AsyncHTTPClient
public import Foundation
public import Logging
import NIOConcurrencyHelpers

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

    /// - Parameters:
    ///   - environment: where `api_key_env` is looked up; the process environment by default.
    ///   - breakerThreshold: failed replies in a row that open a persona's circuit.
    ///   - report: every model reply's outcome, for metrics.
    /// The client every engine request goes through: it never follows a redirect, so a model
    /// host cannot send the API key on to another host. Alive for the whole process, never shut
    /// down, like `HTTPClient.shared`.
    public static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    public init(client: HTTPClient = ModelEngines.client, environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] },
                breakerThreshold: Int = 5, breakerCooldown: Duration = .seconds(30), logger: Logger = Logger(label: "gatewayd.engine"),
                report: @escaping @Sendable (EngineReport) -> Void = { _ in }) {
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
            return OpenAIResponder(
                personaID: persona.id, settings: persona.responder, gate: gate(for: persona), client: client, environment: environment,
                report: report, logger: logger)
        }
    }

    /// What replies while the persona's model is failing (`fallback_engine`): the offline
    /// engine, or nil for silence.
    public func fallback(for persona: Persona) -> (any Responder)? {
        persona.responder.engine == .openai && persona.responder.fallbackEngine == .offline ? OfflineResponder() : nil
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
