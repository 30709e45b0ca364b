/// Every reason the server closes a WebSocket session, each with its close code (RFC 6455 and
/// PROTOCOL.md section 9) and the reason text its close frame carries: one catalogue, so that a
/// code always comes with the same words, and a reader of the protocol finds every close here.
public enum SessionClose: Sendable, Equatable {
    // MARK: RFC 6455 framing
    case frameTooBig(limit: Int)
    case messageTooBig(limit: Int)
    case invalidControlFrame
    case unmaskedFrame
    case reservedBits
    case compressedWithoutDeflate
    case binaryFrame
    case interleavedMessage
    case orphanContinuation
    case unknownOpcode
    case notInflatable
    case invalidUTF8

    // MARK: The protocol
    /// The text is not a JSON object; the reason says what is wrong with it.
    case notJSONObject(String)
    /// The frame before `identify` (or instead of it) was not one.
    case identifyFirst
    /// An op other than `identify` or `ping` before `ready`.
    case onlyIdentifyBeforeReady
    case alreadyIdentified
    /// The token was refused; the reason says why.
    case authenticationFailed(String)
    case anonymousRefused
    case tokenExpired
    case closedByAdmin
    case inboundFlood
    case floodBeforeReady
    case identifyTimeout(milliseconds: Int64)
    case heartbeatTimeout(milliseconds: Int64)

    // MARK: Delivery
    case eventsMissed
    case historyPruned
    case stoppedReadingDuringCatchUp
    case outboundOverflow

    // MARK: The server
    case draining
    case storeUnreadable
    case nodeMissedEvents

    public var code: CloseCode {
        switch self {
        case .frameTooBig, .messageTooBig: .messageTooBig
        case .invalidControlFrame, .unmaskedFrame, .reservedBits, .compressedWithoutDeflate, .interleavedMessage, .orphanContinuation, .unknownOpcode:
            .protocolError
        case .binaryFrame: .unsupportedData
        case .notInflatable, .invalidUTF8: .invalidPayload
        case .notJSONObject: .notJSONObject
        case .identifyFirst, .onlyIdentifyBeforeReady: .notIdentified
        case .alreadyIdentified: .alreadyIdentified
        case .authenticationFailed, .anonymousRefused, .tokenExpired, .closedByAdmin: .authenticationFailed
        case .inboundFlood, .floodBeforeReady: .inboundFlood
        case .identifyTimeout, .heartbeatTimeout: .timeout
        case .eventsMissed, .historyPruned, .stoppedReadingDuringCatchUp, .outboundOverflow: .slowConsumer
        case .draining, .storeUnreadable, .nodeMissedEvents: .draining
        }
    }

    /// The close frame's reason, for the person reading a client's log.
    public var reason: String {
        switch self {
        case .frameTooBig(let limit): "frame larger than max_message_bytes (\(limit))"
        case .messageTooBig(let limit): "message larger than max_message_bytes (\(limit))"
        case .invalidControlFrame: "invalid control frame"
        case .unmaskedFrame: "client frames must be masked"
        case .reservedBits: "reserved bits set"
        case .compressedWithoutDeflate: "RSV1 set without permessage-deflate"
        case .binaryFrame: "binary frames are not part of this protocol; send JSON text"
        case .interleavedMessage: "new message before the last one ended"
        case .orphanContinuation: "continuation frame without a message"
        case .unknownOpcode: "unknown opcode"
        case .notInflatable: "the compressed message could not be inflated"
        case .invalidUTF8: "text frame is not valid UTF-8"
        case .notJSONObject(let reason): reason
        case .identifyFirst: "identify first"
        case .onlyIdentifyBeforeReady: "identify first: only identify and ping are allowed before it"
        case .alreadyIdentified: "this connection is already identified"
        case .authenticationFailed(let reason): reason
        case .anonymousRefused: "anonymous sessions are not allowed here; identify with a token"
        case .tokenExpired: "the token expired; identify again with a new one"
        case .closedByAdmin: "closed by an admin"
        case .inboundFlood: "too many messages; back off before reconnecting"
        case .floodBeforeReady: "too many messages before ready"
        case .identifyTimeout(let milliseconds): "no identify within \(milliseconds) ms"
        case .heartbeatTimeout(let milliseconds): "no heartbeat for \(milliseconds) ms"
        case .eventsMissed: "events were missed; reconnect and resume"
        case .historyPruned: "history was pruned while catching up; resume again"
        case .stoppedReadingDuringCatchUp: "the connection stopped reading while catching up; reconnect and resume"
        case .outboundOverflow: "outbound queue overflowed; reconnect and resume"
        case .draining: "server draining; reconnect and resume"
        case .storeUnreadable: "the store could not be read; reconnect and resume"
        case .nodeMissedEvents: "this node missed events; reconnect and resume"
        }
    }
}
