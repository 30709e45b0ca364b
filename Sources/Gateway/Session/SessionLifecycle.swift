import GatewayProtocol
import NIOCore
import Persona

/// One session's lifecycle (PROTOCOL.md section 2) as a value: its phase and deadlines, and what
/// each message, identify answer or moment leads to. The session feeds it what happened, with
/// the time, and does what it answers; nothing here touches a socket, so its rules are tested
/// without one.
struct SessionLifecycle {
    enum Phase: Equatable {
        case awaitingIdentify
        /// The token is being verified; messages pipelined behind identify wait.
        case identifying
        case ready(user: User?, readOnly: Bool)
        case closing
    }

    /// What the session does about a message.
    enum Step: Equatable {
        case pong(id: JSONValue?, t: JSONValue?)
        /// Verify this token, then call `becomeReady` or close with `authenticationFailed`.
        case verify(token: String)
        /// Become ready as an anonymous, read-only session.
        case readyAnonymous
        case handle(ClientMessage, user: User?, readOnly: Bool)
        case reply(id: JSONValue?, GatewayError)
        case close(SessionClose)
        case nothing
    }

    /// What becomes of a message under the inbound rate (PROTOCOL.md section 10).
    enum Inbound: Equatable {
        case accept
        /// Not processed; answered `rate_limited` when it has an `id`.
        case refuse(retryAfterNanoseconds: Int64)
        /// Too many refused within the flood window.
        case close(SessionClose)
    }

    /// The same for every session of a server, so sessions share one (a copy in each was about
    /// 110 bytes per connection).
    final class Limits: Sendable {
        let identifyTimeout: Duration
        /// The heartbeat interval; a connection silent for two of them is closed.
        let heartbeat: Duration
        /// Messages that may wait behind identify.
        let heldWhileIdentifying: Int
        let allowAnonymous: Bool
        let inboundRate: Rate
        /// Refused messages within `floodWindow` that close the connection.
        let floodThreshold: Int
        let floodWindow: Duration

        init(identifyTimeout: Duration, heartbeat: Duration, heldWhileIdentifying: Int, allowAnonymous: Bool, inboundRate: Rate,
             floodThreshold: Int, floodWindow: Duration) {
            self.identifyTimeout = identifyTimeout
            self.heartbeat = heartbeat
            self.heldWhileIdentifying = heldWhileIdentifying
            self.allowAnonymous = allowAnonymous
            self.inboundRate = inboundRate
            self.floodThreshold = floodThreshold
            self.floodWindow = floodWindow
        }
    }

    let limits: Limits
    let connectedAt: NIODeadline
    private(set) var phase = Phase.awaitingIdentify
    private var lastInbound: NIODeadline
    private var tokenExpiry: NIODeadline?
    private var held: [ClientMessage] = []
    private var inboundLimiter: GCRA
    private var floodWindowStart: NIODeadline
    private var floodCount = 0

    init(limits: Limits, connectedAt: NIODeadline) {
        self.limits = limits
        self.connectedAt = connectedAt
        self.lastInbound = connectedAt
        self.inboundLimiter = GCRA(rate: limits.inboundRate)
        self.floodWindowStart = connectedAt
    }

    var isClosing: Bool { phase == .closing }

    mutating func frameArrived(at now: NIODeadline) {
        lastInbound = now
    }

    /// A message arrived at `now`: within the inbound rate, refused, or one refusal too many.
    mutating func messageArrived(at now: NIODeadline) -> Inbound {
        guard case .deny(let wait) = inboundLimiter.take(now: Int64(now.uptimeNanoseconds)) else { return .accept }
        if now - floodWindowStart > .nanoseconds(limits.floodWindow.nanoseconds) {
            floodWindowStart = now
            floodCount = 0
        }
        floodCount += 1
        return floodCount >= limits.floodThreshold ? .close(.inboundFlood) : .refuse(retryAfterNanoseconds: wait)
    }

    mutating func received(_ message: ClientMessage) -> Step {
        switch (phase, message) {
        case (_, .ping(let id, let t)):
            return .pong(id: id, t: t)
        case (.awaitingIdentify, .identify(nil)):
            return limits.allowAnonymous ? .readyAnonymous : .close(.anonymousRefused)
        case (.awaitingIdentify, .identify(let token?)):
            phase = .identifying
            return .verify(token: token)
        case (.awaitingIdentify, _):
            return .close(.onlyIdentifyBeforeReady)
        case (.identifying, .identify), (.ready, .identify):
            return .close(.alreadyIdentified)
        case (.identifying, _):
            // Pipelined right behind identify: handled once identify has been answered.
            held.append(message)
            return held.count > limits.heldWhileIdentifying ? .close(.floodBeforeReady) : .nothing
        case (.ready(let user, let readOnly), _):
            return .handle(message, user: user, readOnly: readOnly)
        case (.closing, _):
            return .nothing
        }
    }

    /// A request with the right shape but a wrong field: answered when ready; before that,
    /// a bad identify is an authentication failure and anything but a ping a protocol error.
    func refused(op: String, id: JSONValue?, _ error: GatewayError) -> Step {
        switch phase {
        case .ready: .reply(id: id, error)
        case .awaitingIdentify, .identifying:
            op == "identify" ? .close(.authenticationFailed(error.message)) : (op == "ping" ? .nothing : .close(.identifyFirst))
        case .closing: .nothing
        }
    }

    /// Becomes ready (the token verified, or anonymous) and returns the messages that waited
    /// behind identify, in order; nil when the session stopped waiting for the answer (closing).
    mutating func becomeReady(user: User?, tokenExpiry: NIODeadline?) -> [ClientMessage]? {
        switch phase {
        case .awaitingIdentify where user == nil, .identifying: break
        default: return nil
        }
        phase = .ready(user: user, readOnly: user == nil)
        self.tokenExpiry = tokenExpiry
        defer { held = [] }
        return held
    }

    /// Starts closing; false when the session was closing already.
    mutating func beginClosing() -> Bool {
        guard phase != .closing else { return false }
        phase = .closing
        held = []
        return true
    }

    /// The earliest moment one of the deadlines may pass: identify (until ready), two heartbeats
    /// of silence, the token's expiry.
    func nextDeadline() -> NIODeadline {
        var next = lastInbound + .nanoseconds(limits.heartbeat.nanoseconds * 2)
        switch phase {
        case .awaitingIdentify, .identifying: next = min(next, identifyDeadline)
        case .ready, .closing: break
        }
        if let tokenExpiry { next = min(next, tokenExpiry) }
        return next
    }

    /// The close a passed deadline calls for at `now`, nil when none has passed.
    func expired(at now: NIODeadline) -> SessionClose? {
        switch phase {
        case .closing: return nil
        case .awaitingIdentify, .identifying:
            if now >= identifyDeadline { return .identifyTimeout(milliseconds: limits.identifyTimeout.milliseconds) }
        case .ready: break
        }
        if now >= lastInbound + .nanoseconds(limits.heartbeat.nanoseconds * 2) {
            return .heartbeatTimeout(milliseconds: limits.heartbeat.milliseconds * 2)
        }
        if let tokenExpiry, now >= tokenExpiry { return .tokenExpired }
        return nil
    }

    private var identifyDeadline: NIODeadline { connectedAt + .nanoseconds(limits.identifyTimeout.nanoseconds) }
}
