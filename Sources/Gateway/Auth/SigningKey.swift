public import Foundation
public import Logging

/// Where the token signing key comes from: `GATEWAYD_JWT_SECRET`, or a random key created once and
/// kept in the data directory with mode 0600.
public enum SigningKey {
    public static let environmentVariable = "GATEWAYD_JWT_SECRET"
    public static let fileName = "jwt.key"

    public static func load(dataDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            logger: Logger) throws -> [UInt8] {
        if let secret = try secret(in: environment) { return secret }
        let path = (dataDirectory as NSString).appendingPathComponent(fileName)
        if let existing = FileManager.default.contents(atPath: path) {
            let text = String(decoding: existing, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.count >= 32 else {
                throw KeyError(description: "The token key file \(path) is shorter than 32 characters; delete it to have a new one made.")
            }
            return Array(text.utf8)
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let key = randomKey()
        guard FileManager.default.createFile(atPath: path, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyError(description: "Could not write the token key file \(path); check that the data directory is writable.")
        }
        logger.notice(
            "\(environmentVariable) is not set, so a new random token signing key was created in \(path) (mode 0600). Tokens from `gatewayd token` with the same --data use it."
        )
        return Array(key.utf8)
    }

    /// For a cluster: `GATEWAYD_JWT_SECRET`, or a random key kept in the PostgreSQL store and made
    /// by the first node that needs it, so that every node accepts every node's tokens.
    public static func load(sharedIn location: PostgresLocation, environment: [String: String] = ProcessInfo.processInfo.environment,
                            logger: Logger) async throws -> [UInt8] {
        if let secret = try secret(in: environment) { return secret }
        return try await PostgresStore.sharedSigningKey(at: location, candidate: randomKey(), logger: logger)
    }

    /// The shortest key accepted: an HMAC-SHA256 key shorter than its 32-byte output is easier to
    /// guess offline from one token than the signature is to forge.
    public static let minimumBytes = 32

    /// `GATEWAYD_JWT_SECRET` when it is set; refused when it is too short to be safe.
    static func secret(in environment: [String: String]) throws -> [UInt8]? {
        guard let secret = environment[environmentVariable], !secret.isEmpty else { return nil }
        guard secret.utf8.count >= minimumBytes else {
            throw KeyError(description: """
                \(environmentVariable) is \(secret.utf8.count) bytes long; it must be at least \(minimumBytes) bytes, since anyone who guesses \
                it can sign admin tokens. Make one with `openssl rand -base64 48`, or unset it to have the gateway keep a random key \
                in its data directory.
                """)
        }
        return Array(secret.utf8)
    }

    static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    public struct KeyError: Error, CustomStringConvertible {
        public let description: String
    }
}
