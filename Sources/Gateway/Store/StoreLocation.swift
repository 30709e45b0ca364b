import Foundation

/// Which store a gateway uses: the embedded SQLite file in the data directory (one node), or a
/// PostgreSQL database shared by every node of a cluster (`store.backend`, `--store`,
/// `GATEWAYD_STORE`).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite
    case postgres(PostgresLocation)

    /// `sqlite`, or `postgres://user:password@host:port/database?schema=…&sslmode=…`.
    public init(parsing text: String) throws(StoreLocationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "sqlite" {
            self = .sqlite
        } else if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(url: trimmed))
        } else {
            throw StoreLocationError(description: "expected sqlite or a postgres://user@host:port/database URL, found \"\(Self.redacted(trimmed))\"")
        }
    }

    /// The location with any password replaced, fit for logs and `config check`.
    public var description: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres(let location): location.description
        }
    }

    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound < at,
            let colon = text[scheme.upperBound..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<text.index(after: colon)]) + "[redacted]" + String(text[at...])
    }
}

public struct StoreLocationError: Error, CustomStringConvertible {
    public let description: String
}

/// Where a PostgreSQL store lives. `schema` lets several clusters (or test runs) share one
/// database; every table, notification channel and lock of one cluster is scoped by it.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, CaseIterable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var schema: String
    public var tls: TLSMode

    public init(url text: String) throws(StoreLocationError) {
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw StoreLocationError(description: "\"\(StoreLocation.redacted(text))\" is not a URL like postgres://user@host:5432/database")
        }
        self.host = host
        port = components.port ?? 5432
        username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? username : path
        schema = "public"
        tls = .prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "schema":
                guard let value = item.value, Self.isPlainName(value) else {
                    throw StoreLocationError(description: "schema must be letters, digits and _ (at most 40), starting with a letter or _")
                }
                schema = value
            case "sslmode":
                guard let value = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw StoreLocationError(description: "sslmode must be disable, prefer or require")
                }
                tls = value
            default:
                throw StoreLocationError(description: "unknown parameter \"\(item.name)\" in the PostgreSQL URL; known: schema, sslmode")
            }
        }
    }

    /// A schema name used unquoted in SQL and in channel names, so it is kept to a safe alphabet.
    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 40 else { return false }
        let allowed = { (scalar: Unicode.Scalar) in scalar.isASCII && (scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) }
        return allowed(first) && !("0"..."9").contains(first) && name.unicodeScalars.allSatisfy(allowed)
    }

    public var description: String {
        let user = password == nil ? username : "\(username):[redacted]"
        let schemaPart = schema == "public" ? "" : "schema=\(schema)"
        let tlsPart = tls == .prefer ? "" : "sslmode=\(tls.rawValue)"
        let query = [schemaPart, tlsPart].filter { !$0.isEmpty }.joined(separator: "&")
        return "postgres://\(user)@\(host):\(port)/\(database)" + (query.isEmpty ? "" : "?" + query)
    }
}
