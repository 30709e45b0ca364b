/// Why a language model did not give a reply. The description is for the decision log and the
/// operator's log: it never contains the API key (provider messages are redacted first).
public struct EngineFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The request or the stream took longer than `timeout`, or all tries longer than `deadline`.
        case timeout
        /// Could not connect, or the connection broke before a response.
        case connection
        /// 429 from the provider, still so after the retries.
        case rateLimited = "rate_limited"
        /// 5xx from the provider, still so after the retries.
        case serverError = "server_error"
        /// A 4xx that no retry can fix: a bad key (401/403), a bad request (400/404/422), no credit (402).
        case rejected
        /// The response or a chunk was not what the API specifies.
        case malformed
        /// The stream ended before the model said it was done.
        case cut
        /// The provider reported an error inside the stream.
        case streamError = "stream_error"
        /// The environment variable named by `api_key_env` is not set.
        case missingKey = "missing_key"
        /// The circuit breaker is open after repeated failures; no request was made.
        case circuitOpen = "circuit_open"
        /// The persona spent its `max_tokens_per_day`; no request was made.
        case budget
    }

    public var kind: Kind
    public var detail: String
    /// The provider's `Retry-After`, when it sent one.
    public var retryAfter: Duration?
    /// No connection could be made at all (refused, no such host): the model is down, and
    /// trying again within this reply only delays the fallback.
    public var unreachable = false

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "engine \(kind.rawValue): \(detail)" }

    /// Whether trying again may help. 4xx other than 429 will fail the same way again.
    package var isRetryable: Bool {
        switch kind {
        case .connection: !unreachable
        case .timeout, .rateLimited, .serverError, .cut: true
        case .rejected, .malformed, .streamError, .missingKey, .circuitOpen, .budget: false
        }
    }
}
