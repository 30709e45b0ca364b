public import Foundation
public import Logging

/// Where the token signing key comes from: `GATEWAYD_JWT_SECRET`, or a random key created once and
/// kept in the data directory with mode 0600.
public enum SigningKey {
    public static let environmentVariable = "GATEWAYD_JWT_SECRET"
    public static let fileName = "jwt.key"

    public static func load(dataDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            logger: Logger) throws -> [UInt8] {
        if let secret = environment[environmentVariable], !secret.isEmpty {
            return Array(secret.utf8)
        }
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
        if let secret = environment[environmentVariable], !secret.isEmpty {
            return Array(secret.utf8)
        }
        return try await PostgresStore.sharedSigningKey(at: location, candidate: randomKey(), logger: logger)
    }

    static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    public struct KeyError: Error, CustomStringConvertible {
        public let description: String
    }
}
