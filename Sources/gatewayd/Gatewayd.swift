import ArgumentParser
import Foundation
import Gateway
import Logging
import Persona

@main
struct Gatewayd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatewayd",
        abstract: "A live social feed over WebSocket, with AI personas taking part in threads.",
        subcommands: [Serve.self, Token.self, PersonaCommand.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway (the default when no subcommand is given).")

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Directory for the SQLite database and the generated token key.")
    var data = "./data"

    @Option(help: "Directory of persona files (may be absent or empty).")
    var personas = "./personas"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        var logger = Logger(label: "gatewayd")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var configuration = GatewayConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.dataDirectory = data
        configuration.personasDirectory = personas
        let server = try await GatewayServer(configuration: configuration, logger: logger)
        try await server.run()
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a token signed with the gateway's key (GATEWAYD_JWT_SECRET, or the key in --data).")

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
        let secret = try SigningKey.load(dataDirectory: data, logger: logger)
        let authority = await TokenAuthority(secret: secret, bots: BotRoster())
        print(try await authority.sign(userID: user, name: name, role: User.Role(rawValue: role)!, lifetime: DurationSyntax.parse(ttl)!))
    }
}
