public import ArgumentParser
import Foundation
import Gateway
import Logging
import Persona
import GatewayProtocol

@main
struct Gatewayd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatewayd",
        abstract: "A live social feed over WebSocket, with AI personas taking part in threads.",
        subcommands: [Serve.self, Token.self, PersonaCommand.self, ConfigCommand.self, Backup.self, Restore.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway (the default when no subcommand is given).",
        discussion: """
            Settings come from defaults, then the configuration file, then GATEWAYD_<SECTION>_<KEY> \
            environment variables (GATEWAYD_SERVER_PORT=9000), then these flags. \
            gatewayd.example.yaml lists every setting with its default.
            """)

    @OptionGroup var source: SettingsSource

    @Option(help: "Address to listen on (server.host).")
    var host: String?

    @Option(help: "Port to listen on, 0 picks a free one (server.port).")
    var port: Int?

    @Option(help: "development or production (server.mode).")
    var mode: GatewayConfiguration.Mode?

    @Option(help: "Directory for the SQLite database and the generated token key (paths.data).")
    var data: String?

    @Option(help: "Directory of persona files, may be absent or empty (paths.personas).")
    var personas: String?

    @Option(help: ArgumentHelp(
        "sqlite, or postgres://user:password@host:5432/database[?schema=name&sslmode=require] to run as one node of a cluster (store.backend, GATEWAYD_STORE).",
        valueName: "backend"))
    var store: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (log.level).")
    var logLevel: Logger.Level?

    @Option(help: "text for people, json for log shippers (log.format).")
    var logFormat: ServerSettings.LogFormat?

    @Flag(help: .hidden)
    var conformanceEcho = false

    func run() async throws {
        var settings = try source.load()
        if let host { settings.gateway.host = host }
        if let port { settings.gateway.port = port }
        if let mode { settings.gateway.mode = mode }
        if let data { settings.gateway.dataDirectory = data }
        if let personas { settings.gateway.personasDirectory = personas }
        if let store {
            do throws(StoreLocationError) {
                settings.gateway.storeLocation = try StoreLocation(parsing: store)
            } catch {
                throw ValidationError("--store: \(error.description)")
            }
        }
        if let logLevel { settings.logLevel = logLevel }
        if let logFormat { settings.logFormat = logFormat }
        if conformanceEcho {
            // Autobahn sends messages of up to 16 MiB and many at once; the echo is its only user.
            settings.gateway.conformanceEcho = true
            settings.gateway.maxMessageBytes = 64 << 20
            settings.gateway.outboundQueueBytes = 256 << 20
        }
        let level = settings.logLevel
        switch settings.logFormat {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        let logger = Logger(label: "gatewayd")
        if let file = source.configFile { logger.info("Configuration: \(file).") }
        let server = try await GatewayServer(configuration: settings.gateway, logger: logger)
        try await server.run()
    }
}

/// Where settings come from: the file named by --config (or GATEWAYD_CONFIG, or ./gatewayd.yaml
/// when it exists) and the environment.
struct SettingsSource: ParsableArguments {
    @Option(help: "The configuration file (default: $GATEWAYD_CONFIG, or ./gatewayd.yaml when present).")
    var config: String?

    var configFile: String? {
        if let config { return config }
        if let named = ProcessInfo.processInfo.environment["GATEWAYD_CONFIG"], !named.isEmpty { return named }
        return FileManager.default.fileExists(atPath: ServerSettings.defaultFile) ? ServerSettings.defaultFile : nil
    }

    /// The settings from file and environment, or every problem found in either.
    func load() throws -> ServerSettings {
        var settings = ServerSettings()
        var diagnostics: [Diagnostic] = []
        if let file = configFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError(description: "cannot read the configuration file \(file)")
            }
            diagnostics += settings.apply(fileText: text, file: file)
        }
        diagnostics += settings.apply(environment: ProcessInfo.processInfo.environment)
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else {
            let listed = errors.sorted { ($0.file, $0.line, $0.column) < ($1.file, $1.line, $1.column) }.map(\.description)
            throw ConfigurationError(description: "the configuration has \(errors.count) error\(errors.count == 1 ? "" : "s"):\n" + listed.joined(separator: "\n"))
        }
        return settings
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database to a new file, consistently, while the gateway runs (SQLite online backup).")

    @Option(help: "The gateway's data directory.")
    var data = "./data"

    @Option(help: "The new file to write, like backups/gatewayd-2026-11-29.sqlite.")
    var to: String

    func run() async throws {
        let report = try SQLiteBackup.copy(dataDirectory: data, to: to)
        print("Copied \(report.pages) pages (\(report.bytes / 1024) KiB) to \(to).")
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a backup in place as the database of an empty data directory, under a new epoch (so clients reload instead of resuming).")

    @Option(help: "The backup file written by `gatewayd backup`.")
    var from: String

    @Option(help: "The data directory to restore into; it must have no gatewayd.sqlite.")
    var data = "./data"

    func run() async throws {
        let epoch = try SQLiteBackup.restore(from: from, dataDirectory: data)
        print("Restored \(from) into \(data) with the new epoch \(epoch).")
    }
}

/// A configuration that cannot be used; printed without the usage text a flag error gets.
struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check the configuration.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration file and GATEWAYD_* variables, and print the settings that would be used.")

        @OptionGroup var source: SettingsSource

        func run() async throws {
            let settings = try source.load()
            print("# \(source.configFile.map { "\($0) and the environment" } ?? "defaults and the environment (no configuration file)"): OK")
            print(settings.describe())
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension GatewayConfiguration.Mode: ExpressibleByArgument {}
extension ServerSettings.LogFormat: ExpressibleByArgument {}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a token signed with the gateway's key (GATEWAYD_JWT_SECRET, or the key in --data, or the cluster's key in --store).")

    @Option(help: "The user id (the token's sub).")
    var user: String

    @Option(help: "The display name.")
    var name: String

    @Option(help: "user, moderator, admin or bot.")
    var role = "user"

    @Option(help: "How long the token is valid, like 30m, 24h or 7d.")
    var ttl = "24h"

    @Option(help: "The data directory whose key signs the token, when GATEWAYD_JWT_SECRET is unset.")
    var data = "./data"

    @Option(help: "A cluster's PostgreSQL URL (or GATEWAYD_STORE): its shared key signs the token, when GATEWAYD_JWT_SECRET is unset.")
    var store: String?

    @Option(help: "The issuer the token names (iss), for a gateway whose auth.issuers lists it; none by default.")
    var issuer: String?

    func validate() throws {
        guard User.Role(rawValue: role) != nil else {
            throw ValidationError("--role must be one of user, moderator, admin, bot; got \"\(role)\".")
        }
        guard DurationSyntax.parse(ttl) != nil else {
            throw ValidationError("--ttl must be a duration like 30m, 24h or 7d; got \"\(ttl)\".")
        }
    }

    func run() async throws {
        let logger = Logger(label: "gatewayd")
        let secret: [UInt8]
        let backend = store ?? ProcessInfo.processInfo.environment["GATEWAYD_STORE"]
        if let backend, case .postgres(let location) = try StoreLocation(parsing: backend) {
            secret = try await SigningKey.load(sharedIn: location, logger: logger)
        } else {
            secret = try SigningKey.load(dataDirectory: data, logger: logger)
        }
        let authority = await TokenAuthority(secret: secret, issuers: issuer.map { [$0] } ?? [], bots: BotRoster(), clock: .system)
        print(try await authority.sign(userID: user, name: name, role: User.Role(rawValue: role)!, lifetime: DurationSyntax.parse(ttl)!))
    }
}
