import Foundation
import Persona
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import Gateway
import Logging
import ServiceLifecycle
@testable import GatewayProtocol

/// A real gateway on a free loopback port with its own temporary data directory.
final class TestServer: Sendable {
    let server: GatewayServer
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int
    let dataDirectory: String
    let personasDirectory: String
    let storeLocation: StoreLocation

    var runtime: GatewayRuntime { server.runtime }

    /// The servers the running test started, which `.stopsServers` stops when it ends.
    @TaskLocal static var started: StartedServers?

    /// - Parameter personas: persona files to write, by file name (`kiki.yaml`), into the
    ///   server's own personas directory (empty otherwise, never the shipped one).
    /// - Parameter logger: where the server logs; by default critical lines only, or the level in
    ///   GATEWAYD_TEST_LOG.
    static func start(dataDirectory: String? = nil, personas: [String: String] = [:], personasDirectory: String? = nil, logger: Logger? = nil,
                      configure: (inout GatewayConfiguration) -> Void = { _ in }) async throws -> TestServer {
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.dataDirectory = dataDirectory ?? Self.temporaryDirectory()
        configuration.storeLocation = try Self.storeLocation(for: configuration.dataDirectory)
        // A loaded CI machine can starve PostgreSQL for seconds; only the cluster tests, which
        // stop it on purpose, want writes to give up quickly.
        configuration.storeWriteTimeout = .seconds(15)
        configuration.personasDirectory = personasDirectory ?? Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: configuration.personasDirectory + "/lexicons", withIntermediateDirectories: true)
        for (name, text) in personas {
            try text.write(toFile: configuration.personasDirectory + "/" + name, atomically: true, encoding: .utf8)
        }
        try installSituationRules(in: configuration.personasDirectory)
        configure(&configuration)
        var logger = logger ?? Logger(label: "test-gateway")
        if logger.logLevel != .trace {
            logger.logLevel = ProcessInfo.processInfo.environment["GATEWAYD_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        }
        let server = try await GatewayServer(configuration: configuration, logger: logger)
        var groupConfiguration = ServiceGroupConfiguration(services: server.services().map { .init(service: $0) }, logger: logger)
        // Stopping is awaited at the end of every test: a shutdown that hangs is cut, not waited on.
        groupConfiguration.maximumGracefulShutdownDuration = configuration.drainDeadline + .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        let task = Task { try await group.run() }
        let port = await server.port()
        if onPostgres {
            // A cluster node takes clients once its bus listens and its leases ran once.
            for _ in 0..<200 {
                let personas = await server.runner.personaIDs()
                var owned = true
                for persona in personas where await !server.runner.owns(persona) { owned = false }
                if owned, await server.runtime.store.isHealthy() { break }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let started = TestServer(server: server, group: group, task: task, port: port, dataDirectory: configuration.dataDirectory,
                                 personasDirectory: configuration.personasDirectory, storeLocation: configuration.storeLocation)
        Self.started?.add(started)
        return started
    }

    /// The shipped situation rules, which every personas directory needs for bots to answer
    /// (left alone where a test put its own).
    static func installSituationRules(in directory: String) throws {
        guard !FileManager.default.fileExists(atPath: directory + "/" + PersonaDirectory.situationRules) else { return }
        try FileManager.default.createDirectory(atPath: directory + "/situations", withIntermediateDirectories: true)
        let shipped = ConfigurationTests.repositoryRoot + "/personas/" + PersonaDirectory.situationRules
        try FileManager.default.copyItem(atPath: shipped, toPath: directory + "/" + PersonaDirectory.situationRules)
    }

    private init(server: GatewayServer, group: ServiceGroup, task: Task<Void, any Error>, port: Int, dataDirectory: String, personasDirectory: String,
                 storeLocation: StoreLocation) {
        self.personasDirectory = personasDirectory
        self.storeLocation = storeLocation
        self.server = server
        self.group = group
        self.task = task
        self.port = port
        self.dataDirectory = dataDirectory
    }

    /// `GATEWAYD_TEST_STORE=postgres://…` runs every test server on PostgreSQL instead of SQLite
    /// (the same suite, both backends); each data directory gets a schema of its own, so a server
    /// restarted on the same directory finds its data again and tests never see each other's.
    static let postgresURL: String? = ProcessInfo.processInfo.environment["GATEWAYD_TEST_STORE"].flatMap { $0.hasPrefix("postgres") ? $0 : nil }

    static var onPostgres: Bool { postgresURL != nil }

    static func storeLocation(for dataDirectory: String) throws -> StoreLocation {
        guard let url = postgresURL else { return .sqlite }
        return try StoreLocation(parsing: url + (url.contains("?") ? "&" : "?") + "schema=" + schemaName(for: dataDirectory))
    }

    /// The `--store` arguments a `gatewayd serve` process on this data directory needs.
    static func storeArguments(for dataDirectory: String) -> [String] {
        guard let url = postgresURL else { return [] }
        return ["--store", url + (url.contains("?") ? "&" : "?") + "schema=" + schemaName(for: dataDirectory)]
    }

    private static func schemaName(for dataDirectory: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in dataDirectory.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return "t_" + String(hash, radix: 16)
    }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "gatewayd-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Drains and stops the server, as SIGTERM would; again is harmless (`.stopsServers` stops
    /// every server at the end of its test, also those the test stopped itself).
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    func token(_ userID: String, name: String? = nil, role: User.Role = .user, lifetime: Duration = .seconds(3600)) async throws -> String {
        try await runtime.tokens.sign(userID: userID, name: name ?? userID.capitalized, role: role, lifetime: lifetime)
    }

    /// A token signed with this server's key by another issuer (`iss`), as a separate login
    /// service sharing the key would sign it.
    func token(_ userID: String, issuer: String?) async throws -> String {
        let secret: [UInt8]
        switch storeLocation {
        case .sqlite: secret = try SigningKey.load(dataDirectory: dataDirectory, logger: Logger(label: "test-key"))
        case .postgres(let location): secret = try await SigningKey.load(sharedIn: location, logger: Logger(label: "test-key"))
        }
        let issuers = issuer.map { [$0] } ?? []
        return try await TokenAuthority(secret: secret, issuers: issuers, bots: BotRoster(), clock: .system)
            .sign(userID: userID, name: userID, role: .user, lifetime: .seconds(600))
    }

    /// A connected client that has read `hello`.
    func connect() async throws -> TestClient {
        let client = try await TestClient.connect(port: port)
        _ = try await client.expect("hello")
        return client
    }

    /// A connected, identified client.
    func identified(_ userID: String, role: User.Role = .user) async throws -> TestClient {
        let client = try await connect()
        try await client.send(["op": "identify", "token": try await token(userID, role: role)])
        _ = try await client.expect("ready")
        return client
    }

    // MARK: HTTP

    /// `/metrics` scraped: each sample's value by its name and labels as printed
    /// (`gatewayd_closes_total{code="4010"}`).
    /// The first scrape, within 15 s, in which `condition` holds (or the last one): metrics move
    /// a moment after what moves them, later on a loaded machine.
    func scrape(until condition: ([String: Double]) -> Bool) async throws -> [String: Double] {
        var samples: [String: Double] = [:]
        _ = try await eventually {
            samples = try await scrape()
            return condition(samples)
        }
        return samples
    }

    func scrape() async throws -> [String: Double] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        var samples: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    struct HTTPAnswer {
        let status: Int
        let headers: [String: String]
        let json: [String: Any]
    }

    func http(_ method: String, _ path: String, token: String? = nil, body: [String: Any]? = nil, rawBody: Data? = nil,
              headers: [String: String] = [:]) async throws -> HTTPAnswer {
        try await Self.http(port: port, method, path, token: token, body: body, rawBody: rawBody, headers: headers)
    }

    /// A request to any gateway on this machine (a server process too).
    static func http(port: Int, _ method: String, _ path: String, token: String? = nil, body: [String: Any]? = nil,
                     rawBody: Data? = nil, headers: [String: String] = [:]) async throws -> HTTPAnswer {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let rawBody {
            request.httpBody = rawBody
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers[String(describing: key).lowercased()] = String(describing: value) }
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return HTTPAnswer(status: http.statusCode, headers: headers, json: json)
    }
}

extension [String: Any] {
    func object(_ key: String) -> [String: Any] { self[key] as? [String: Any] ?? [:] }
    func int(_ key: String) -> Int? { (self[key] as? NSNumber)?.intValue }
    func string(_ key: String) -> String? { self[key] as? String }
}
