import Foundation

/// The address of the client behind a connection: its peer, or, when the peer is one of
/// `connections.trusted_proxies`, the address the proxy says it forwarded for, read from the one
/// header the operator names (`connections.forwarded_header`, `X-Forwarded-For` by default, or
/// `Forwarded`): the rightmost hop that is not itself a trusted proxy. Other forwarding headers,
/// and forwarding headers from anyone but a trusted proxy, are ignored, so a client cannot choose
/// its own address.
enum ClientAddress {
    /// What a trusted proxy's request stands for when its header names no client but proxies:
    /// one shared, limited address that is never loopback.
    static let unknown = "unknown"

    /// - Parameter forwarded: the values of the configured header.
    static func resolve(peer: String?, header: String, values: [String], trustedProxies: [String]) -> String? {
        guard let peer, trustedProxies.contains(peer) else { return peer }
        guard !values.isEmpty else { return peer }
        let hops = header.lowercased() == "forwarded" ? values.flatMap(forwardedHops) : values.flatMap { $0.split(separator: ",").map(clean) }
        return hops.last { !$0.isEmpty && !trustedProxies.contains($0) } ?? unknown
    }

    /// The `for=` addresses of a `Forwarded` header (RFC 7239), in order.
    private static func forwardedHops(_ header: String) -> [String] {
        header.split(separator: ",").compactMap { element in
            element.split(separator: ";").lazy.map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.lowercased().hasPrefix("for=") }
                .map { clean($0.dropFirst(4)) }
        }
    }

    /// An address as written in a header, without quotes, IPv6 brackets or port.
    private static func clean(_ text: Substring) -> String {
        var value = text.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        if value.hasPrefix("[") {
            // "[2001:db8::1]:4711"
            value = String(value.dropFirst().prefix { $0 != "]" })
        } else if value.filter({ $0 == ":" }).count == 1 {
            // "192.0.2.60:4711"
            value = String(value.prefix { $0 != ":" })
        }
        return value.lowercased()
    }
}
