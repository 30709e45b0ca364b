public import Foundation
import Crypto
public import JWTKit
public import GatewayProtocol

/// The claims of a gateway token (PROTOCOL.md section 8).
public struct TokenClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    /// The display name; the user id when absent.
    public var name: String?
    /// `user` when absent.
    public var role: String?
    public var exp: ExpirationClaim
    /// Not valid before this time, when present.
    public var nbf: NotBeforeClaim?
    /// Who issued the token: absent, or one of the issuers the gateway is told to accept.
    public var iss: IssuerClaim?

    /// How far a token's `nbf` may be ahead of this server's clock (clocks differ a little).
    static let notBeforeLeeway: TimeInterval = 60

    public init(userID: String, name: String, role: User.Role, expires: Date, issuer: String? = nil) {
        self.sub = SubjectClaim(value: userID)
        self.name = name
        self.role = role.rawValue
        self.exp = ExpirationClaim(value: expires)
        self.iss = issuer.map(IssuerClaim.init(value:))
    }

    /// Nothing to check here: `exp` and `nbf` are judged by `TokenAuthority` on the server's
    /// clock, once the signature is known to be good.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Why a token was refused, in words for the person holding it.
public struct TokenRejection: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Signs and verifies tokens with the gateway's HS256 key, and turns verified claims into a user.
public struct TokenAuthority: Sendable {
    private let keys: JWTKeyCollection
    /// The `iss` values accepted (`auth.issuers`). Empty: only tokens that name no issuer, as the
    /// protocol's claims do; a token naming one the gateway was never told of is refused
    /// (PROTOCOL.md section 2, "unknown issuer").
    private let issuers: [String]
    private let bots: any BotDirectory
    private let clock: GatewayClock

    public init(secret: [UInt8], issuers: [String] = [], bots: any BotDirectory, clock: GatewayClock) async {
        self.keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(key: SymmetricKey(data: secret)), digestAlgorithm: .sha256)
        self.issuers = issuers
        self.bots = bots
        self.clock = clock
    }

    /// A token for `userID`, naming the first accepted issuer when the gateway has any.
    public func sign(userID: String, name: String, role: User.Role, lifetime: Duration) async throws -> String {
        let seconds = Double(lifetime.components.seconds) + Double(lifetime.components.attoseconds) / 1e18
        // Whole seconds: `exp` is a NumericDate, and clients parse it as an integer.
        let expires = Date(timeIntervalSince1970: (clock.date().timeIntervalSince1970 + seconds).rounded(.down))
        let claims = TokenClaims(userID: userID, name: name, role: role, expires: expires, issuer: issuers.first)
        return try await keys.sign(claims)
    }

    /// The user a token stands for, and when the token expires.
    public func verify(_ token: String) async throws(TokenRejection) -> (user: User, expires: Date) {
        guard Self.algorithm(of: token) == Self.algorithm else {
            throw TokenRejection(description: "The token must be signed with \(Self.algorithm); its header names another algorithm.")
        }
        let claims: TokenClaims
        do {
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch {
            throw TokenRejection(description: "The token is not valid: its signature, format or claims are wrong.")
        }
        try checkIssuer(claims.iss?.value)
        let now = clock.date()
        do {
            try claims.exp.verifyNotExpired(currentDate: now)
        } catch {
            throw TokenRejection(description: "The token has expired; get a new one.")
        }
        do {
            try claims.nbf?.verifyNotBefore(currentDate: now.addingTimeInterval(TokenClaims.notBeforeLeeway))
        } catch {
            throw TokenRejection(description: "The token is not valid yet (its nbf is in the future).")
        }
        let roleName = claims.role ?? User.Role.user.rawValue
        guard let role = User.Role(rawValue: roleName) else {
            throw TokenRejection(description: "The token's role \"\(roleName)\" is not one of user, moderator, admin, bot.")
        }
        let userID = claims.sub.value
        guard !userID.isEmpty, userID.utf8.count <= 256 else {
            throw TokenRejection(description: "The token's subject (sub) must be 1 to 256 bytes.")
        }
        // Swift compares text by canonical equivalence, the stores and clients by bytes: an id with
        // a decomposed accent ("e" + U+0301) would be another user's id in one place and the same
        // id in another (their user stream, their cached rows). Form C spells each text one way.
        guard userID.utf8.allSatisfy({ $0 < 0x80 }) || userID.precomposedStringWithCanonicalMapping.utf8.elementsEqual(userID.utf8) else {
            throw TokenRejection(description: "The token's subject (sub) must be in Unicode normalization form C (accents composed, as most systems write them).")
        }
        if role == .bot {
            guard userID.hasPrefix("b_"), let account = bots.botAccount(persona: String(userID.dropFirst(2))) else {
                throw TokenRejection(description: "A bot token is valid only for a loaded persona's account (b_<persona id>).")
            }
            return (account, claims.exp.value)
        }
        guard !userID.hasPrefix("b_") else {
            throw TokenRejection(description: "User ids starting with b_ are reserved for persona bots.")
        }
        return (User(id: userID, name: claims.name ?? userID, role: role), claims.exp.value)
    }
}

extension TokenAuthority {
    private func checkIssuer(_ issuer: String?) throws(TokenRejection) {
        switch issuer {
        case nil where issuers.isEmpty:
            return
        case nil:
            throw TokenRejection(description: "The token names no issuer (iss); auth.issuers accepts only \(Self.list(issuers)).")
        case let issuer? where issuers.contains(issuer):
            return
        case let issuer? where issuers.isEmpty:
            throw TokenRejection(description: "The token's issuer \"\(issuer)\" is unknown here; an operator who trusts it lists it in auth.issuers.")
        case let issuer?:
            throw TokenRejection(description: "The token's issuer \"\(issuer)\" is unknown here; auth.issuers accepts only \(Self.list(issuers)).")
        }
    }

    private static func list(_ issuers: [String]) -> String {
        issuers.map { "\"\($0)\"" }.joined(separator: ", ")
    }

    /// The one algorithm tokens are signed and verified with.
    static let algorithm = "HS256"

    /// The `alg` a token's header names, if it can be read.
    static func algorithm(of token: String) -> String? {
        guard let header = token.split(separator: ".", maxSplits: 1).first else { return nil }
        // base64url to base64 byte by byte: Foundation's replacingOccurrences cost about as much
        // CPU as checking the signature.
        var base64 = String(decoding: header.utf8.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "+") : $0 == UInt8(ascii: "_") ? UInt8(ascii: "/") : $0 },
            as: UTF8.self)
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let value = try? JSONParser.parse(String(decoding: data, as: UTF8.self)) else { return nil }
        return value["alg"]?.stringValue
    }
}

/// The bot accounts of the loaded personas.
public protocol BotDirectory: Sendable {
    func botAccount(persona: String) -> User?
}
