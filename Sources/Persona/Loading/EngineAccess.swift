import Foundation

/// What the operator lets persona files reach (gatewayd.yaml `bots.api_key_variables` and
/// `bots.engine_hosts`). Persona files come from authors, not from root: an author must not be
/// able to name the server's own secrets as an API key, nor send a key in the clear.
public struct EngineAccess: Sendable, Equatable {
    /// Environment variables `api_key_env` may name: exact names, or patterns with one leading or
    /// trailing `*`. `GATEWAYD_*` never, whatever is listed.
    public var apiKeyVariables: [String]
    /// Hosts `base_url` may name besides loopback. Empty: any host over https; listed: only these
    /// (then over http too, for a model server on the operator's own network).
    public var hosts: [String]

    public init(apiKeyVariables: [String] = ["*_API_KEY"], hosts: [String] = []) {
        self.apiKeyVariables = apiKeyVariables
        self.hosts = hosts
    }

    /// Why `name` may not be used as `api_key_env`, or nil when it may.
    public func refusal(apiKeyVariable name: String) -> String? {
        if name.uppercased().hasPrefix("GATEWAYD_") {
            return "may not name a GATEWAYD_ variable: those are the server's own secrets (its token key among them)"
        }
        guard apiKeyVariables.contains(where: { Self.matches(name, pattern: $0) }) else {
            return "\(name) is not a variable the operator allows for API keys (\(apiKeyVariables.joined(separator: ", ")); gatewayd.yaml bots.api_key_variables)"
        }
        return nil
    }

    /// Why `url` may not be used as `base_url`, or nil when it may.
    public func refusal(baseURL url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host?.lowercased(),
            !host.isEmpty, scheme == "https" || scheme == "http"
        else {
            return "expected an http:// or https:// URL, got \"\(url)\""
        }
        let bareHost = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if Self.isLoopback(bareHost) { return nil }
        if !hosts.isEmpty {
            return hosts.contains(where: { $0.lowercased() == bareHost }) ? nil
                : "\(bareHost) is not a model host the operator allows (gatewayd.yaml bots.engine_hosts: \(hosts.joined(separator: ", ")))"
        }
        return scheme == "https" ? nil : "must be https (the API key travels with every request); plain http is only for loopback or hosts the operator lists in bots.engine_hosts"
    }

    /// An IP literal of the loopback network (IPv4, IPv6 or IPv4-mapped), or `localhost` itself;
    /// a name like `127.0.0.1.example.net` is not. The one judgement of "this machine" for model
    /// hosts, for the development login's clients and for the per-address connection limits.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let ipv4 = host.hasPrefix("::ffff:") ? String(host.dropFirst(7)) : host
        let octets = ipv4.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    static func matches(_ name: String, pattern: String) -> Bool {
        if pattern == "*" { return true }
        if pattern.hasPrefix("*") { return name.hasSuffix(pattern.dropFirst()) }
        if pattern.hasSuffix("*") { return name.hasPrefix(pattern.dropLast()) }
        return name == pattern
    }
}
