/// The error codes of PROTOCOL.md section 3, with their HTTP statuses (section 7).
public enum ErrorCode: String, Sendable, CaseIterable {
    case badRequest = "bad_request"
    case unauthorized
    case forbidden
    case notFound = "not_found"
    case rateLimited = "rate_limited"
    case tooLarge = "too_large"
    case conflict
    case alreadySubscribed = "already_subscribed"
    case tooManySubscriptions = "too_many_subscriptions"
    case unknownOp = "unknown_op"
    case unavailable
    case `internal`

    public var httpStatus: Int {
        switch self {
        case .badRequest, .alreadySubscribed, .tooManySubscriptions, .unknownOp: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .tooLarge: 413
        case .rateLimited: 429
        case .unavailable: 503
        case .internal: 500
        }
    }
}

/// A request that failed, with a message written for the person who reads it.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    /// For `rate_limited`: how long until the same request would be allowed.
    public var retryAfterMilliseconds: Int64?

    public init(_ code: ErrorCode, _ message: String, retryAfterMilliseconds: Int64? = nil) {
        self.code = code
        self.message = message
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func badRequest(_ message: String) -> GatewayError { .init(.badRequest, message) }
    public static func notFound(_ message: String) -> GatewayError { .init(.notFound, message) }
    public static func forbidden(_ message: String) -> GatewayError { .init(.forbidden, message) }
    public static let storeUnavailable = GatewayError(.unavailable, "The store cannot take writes right now; try again shortly.")
    public static let draining = GatewayError(.unavailable, "The server is shutting down; reconnect and try again.")
}

/// WebSocket close codes the server sends (PROTOCOL.md section 2).
public enum CloseCode: UInt16, Sendable, CaseIterable {
    case normal = 1000
    case protocolError = 1002
    case unsupportedData = 1003
    case invalidPayload = 1007
    case messageTooBig = 1009
    case internalError = 1011
    case notIdentified = 4001
    case notJSONObject = 4002
    case authenticationFailed = 4003
    case alreadyIdentified = 4005
    case inboundFlood = 4008
    case timeout = 4009
    case slowConsumer = 4010
    case draining = 4011
}
