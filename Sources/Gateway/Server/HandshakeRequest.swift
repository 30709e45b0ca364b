import NIOHTTP1

/// A WebSocket opening handshake as `GatewayWebSocketUpgrader.judge` reads it, from either path's
/// parse of the request head (NIO's, or `HandshakeHead` on the fast path), so that both paths are
/// judged alike. Each header keeps every value it was sent with, since a field that must appear
/// once (Host, the key, the version) is refused when repeated. Values are trimmed of the spaces
/// and tabs around them: RFC 9110 section 5.5 makes them no part of the value, and a key hashed
/// with its trailing space gives an accept value the client refuses.
struct HandshakeRequest {
    let method: String
    /// The target's path, without the query, whether sent in origin form (`/v1/ws`) or in
    /// absolute form (`http://host/v1/ws`), which RFC 6455 section 4.2.1 allows.
    let path: String
    let isHTTP11OrLater: Bool
    let host: [String]
    let upgrade: [String]
    let connection: [String]
    let key: [String]
    let version: [String]
    let origin: [String]
    let extensionOffers: [String]

    /// `values` gives every value of a header by its lowercase name, as the head was sent.
    init(method: String, target: String, isHTTP11OrLater: Bool, values: (String) -> [String]) {
        self.method = method
        self.path = Self.path(ofTarget: target)
        self.isHTTP11OrLater = isHTTP11OrLater
        func trimmedValues(_ name: String) -> [String] { values(name).map(Self.trimmed) }
        host = trimmedValues("host")
        upgrade = trimmedValues("upgrade")
        connection = trimmedValues("connection")
        key = trimmedValues("sec-websocket-key")
        version = trimmedValues("sec-websocket-version")
        origin = trimmedValues("origin")
        extensionOffers = trimmedValues("sec-websocket-extensions")
    }

    init(_ head: HTTPRequestHead) {
        self.init(
            method: head.method.rawValue, target: head.uri,
            isHTTP11OrLater: head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1),
            values: { head.headers[$0] })
    }

    /// Whether a comma-separated list header (Upgrade, Connection) names `token` (lowercase) in
    /// any of its values, ignoring case and the spaces around each element.
    static func lists(_ token: String, in values: [String]) -> Bool {
        values.contains { value in
            value.utf8.split(separator: UInt8(ascii: ",")).contains { element in
                let trimmed = withoutOWS(element)
                return trimmed.count == token.utf8.count
                    && zip(trimmed, token.utf8).allSatisfy { byte, expected in (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == expected }
            }
        }
    }

    /// The value without RFC 9110's OWS around it; the same string, unallocated, when it has none.
    static func trimmed(_ value: String) -> String {
        let trimmed = withoutOWS(value.utf8)
        return trimmed.count == value.utf8.count ? value : String(Substring(trimmed))
    }

    private static func withoutOWS<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bytes.SubSequence {
        let isOWS = { (byte: UInt8) in byte == 0x20 || byte == 9 }
        guard let first = bytes.firstIndex(where: { !isOWS($0) }), let last = bytes.lastIndex(where: { !isOWS($0) }) else { return bytes[bytes.endIndex...] }
        return bytes[first...last]
    }

    static func path(ofTarget target: String) -> String {
        let withoutQuery = target.prefix { $0 != "?" }
        if withoutQuery.hasPrefix("/") { return String(withoutQuery) }
        // Absolute form: the path starts at the first slash after the authority.
        let lowercased = withoutQuery.lowercased()
        guard let scheme = ["http://", "https://"].first(where: lowercased.hasPrefix) else { return String(withoutQuery) }
        let afterScheme = withoutQuery.dropFirst(scheme.count)
        return afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? "/"
    }
}
