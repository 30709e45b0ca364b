import Foundation
public import Persona
import GatewayProtocol

/// Every setting of a gateway, with the defaults of PROTOCOL.md section 10. `gatewayd.yaml`,
/// the environment and the command line set them (`ServerSettings`).
public struct GatewayConfiguration: Sendable {
    /// `development` adds conveniences for one person on one machine (the page's name-only
    /// login); `production` has none of them.
    public enum Mode: String, Sendable, CaseIterable { case development, production }

    public var host = "127.0.0.1"
    public var port = 8080
    public var mode = Mode.development
    /// The SQLite database and the generated token key live here.
    public var dataDirectory = "./data"
    public var personasDirectory = "./personas"
    public var version = "0.1.0"

    /// Anonymous, read-only sessions on `feed` and `thread:` streams and HTTP reads without a token.
    public var allowAnonymous = true
    /// How often clients must show they are alive; after twice this, 4009.
    public var heartbeat: Duration = .milliseconds(25_000)
    /// The time a new connection has to identify (4009 after it).
    public var identifyTimeout: Duration = .seconds(10)
    /// Largest message a client may send, after permessage-deflate decompression (1009 over it).
    public var maxMessageBytes = 65_536
    public var maxSubscriptionsPerConnection = 100
    /// Encoded frames allowed to wait for one socket before the overflow rule applies.
    public var outboundQueueBytes = 1 << 20
    /// How long a connection that was sent a close frame may take to go away before it is cut.
    public var closeGracePeriod: Duration = .seconds(5)
    /// A replay that the socket has not taken a page of for this long is a client that stopped
    /// reading: 4010, as live.
    public var catchUpStallTimeout: Duration = .seconds(10)
    /// Per-connection inbound messages: rate per second and burst …
    public var inboundMessagesPerSecond = 60
    public var inboundBurst = 120
    /// … and how many refused messages within `inboundFloodWindow` close the connection with 4008.
    public var inboundFloodThreshold = 200
    public var inboundFloodWindow: Duration = .seconds(10)
    public var writeLimits = WriteRateLimiter.Limits()
    /// Connections per client address and how fast they may be opened.
    public var connectionLimits = ConnectionLimiter.Limits()
    /// A new connection must finish its first HTTP request or WebSocket handshake within this.
    public var handshakeTimeout: Duration = .seconds(10)
    /// An HTTP request's body must arrive in full within this after its head.
    public var requestBodyTimeout: Duration = .seconds(30)
    /// Browser origins (`https://app.example.com`) allowed to open WebSocket connections besides
    /// the page's own; `*` allows any. Clients that send no Origin (apps, tools) are not affected.
    public var allowedOrigins: [String] = []
    /// The token issuers (`iss`) accepted; empty, only tokens that name none are. The gateway's own
    /// tokens name the first.
    public var tokenIssuers: [String] = []
    /// Most Unicode scalars in a post or comment body.
    public var maxBodyScalars = 4000
    /// A typing signal per user and thread goes out at most this often.
    public var typingInterval: Duration = .seconds(2)
    /// How long a drain may take before the process exits anyway.
    public var drainDeadline: Duration = .seconds(10)
    /// How often old events and client_id records are pruned.
    public var pruneInterval: Duration = .seconds(600)
    public var store = StoreConfiguration()
    /// The SQLite file in the data directory, or a PostgreSQL database shared by several nodes.
    public var storeLocation = StoreLocation.sqlite
    /// When the store makes no progress for this long (PostgreSQL unreachable), waiting writes
    /// fail with `unavailable` instead of hanging; reads give up after it too.
    public var storeWriteTimeout: Duration = .seconds(5)
    /// With PostgreSQL: how often a node tries to take over personas no live node owns.
    public var leaseInterval: Duration = .seconds(2)
    /// The server's time (the store, the bots, the limits, the tokens); tests give one of their own.
    public var clock = GatewayClock.system
    /// How often the bots look for a quiet feed.
    public var quietFeedInterval: Duration = .seconds(15)
    /// Where personas' `api_key_env` names are looked up: the process environment.
    public var engineEnvironment: @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] }
    /// The API key variables and model hosts persona files may name.
    public var engineAccess = EngineAccess()
    /// Failed model replies in a row that make a persona fall back, and for how long.
    public var engineBreakerThreshold = 5
    public var engineBreakerCooldown: Duration = .seconds(30)

    /// Echo every WebSocket message back, text or binary, with no protocol on top: only for
    /// running Autobahn|Testsuite against this WebSocket stack (`serve --conformance-echo`).
    public var conformanceEcho = false

    public init() {}

    var serverName: String { "gatewayd/\(version)" }
}
