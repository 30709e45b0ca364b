import Foundation
import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization
import UnixSignals
import Persona
import GatewayProtocol
import PersonaEngines

/// A whole gateway: store, fan-out, sessions and HTTP on one port, as services that start and
/// drain together.
public final class GatewayServer: Sendable {
    public let runtime: GatewayRuntime
    public let runner: BotRunner
    private let watcher: PersonaWatcher
    /// The PostgreSQL store when this node is one of a cluster; its bus and leases run as a service.
    private let cluster: PostgresStore?
    private let boundPort = Mutex<(port: Int?, waiters: [CheckedContinuation<Int, Never>])>((nil, []))

    /// Opens the store (the SQLite file in the data directory, or PostgreSQL) and prepares the
    /// server; `run` serves.
    public init(configuration: GatewayConfiguration, bots: BotRoster = BotRoster(), logger: Logger) async throws {
        // The data directory holds the feed and the token key: its owner's alone.
        try FileManager.default.createDirectory(
            atPath: configuration.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let metrics = GatewayMetrics()
        let hub = StreamHub(typingIntervalNanoseconds: configuration.typingInterval.nanoseconds, metrics: metrics)
        let clock = configuration.clock
        let ids = IDGenerator(now: clock.now)
        var storeConfiguration = configuration.store
        storeConfiguration.maximumBodyScalars = configuration.maxBodyScalars
        let store: any FeedStore & BotStore
        let secret: [UInt8]
        switch configuration.storeLocation {
        case .sqlite:
            let databasePath = (configuration.dataDirectory as NSString).appendingPathComponent("gatewayd.sqlite")
            let sqlite = try SQLiteStore(
                path: databasePath, configuration: storeConfiguration, sink: hub, ids: ids, clock: clock, metrics: metrics, logger: logger)
            logger.info("Store: \(databasePath) (SQLite, WAL, synchronous=FULL), epoch \(sqlite.epoch).")
            store = sqlite
            secret = try SigningKey.load(dataDirectory: configuration.dataDirectory, logger: logger)
            cluster = nil
        case .postgres(let location):
            let postgres = try await PostgresStore(
                location: location, configuration: storeConfiguration, hub: hub, ids: ids, clock: clock, metrics: metrics,
                writeTimeout: configuration.storeWriteTimeout, logger: logger)
            logger.info("Store: \(location) (PostgreSQL, schema \(location.schema)), epoch \(postgres.epoch), node \(postgres.bus.nodeID).")
            store = postgres
            secret = try await SigningKey.load(sharedIn: location, logger: logger)
            hub.setEphemeralRelay { [bus = postgres.bus] stream, payload in bus.send(stream: stream, payload: payload) }
            cluster = postgres
        }
        let tokens = await TokenAuthority(secret: secret, issuers: configuration.tokenIssuers, bots: bots, clock: clock)
        runtime = GatewayRuntime(
            configuration: configuration, store: store, hub: hub, tokens: tokens, bots: bots, ids: ids, metrics: metrics, logger: logger)
        watcher = PersonaWatcher(directory: configuration.personasDirectory, engineAccess: configuration.engineAccess)
        let engineAccess = configuration.engineAccess
        let environment = configuration.engineEnvironment
        let engines = ModelEngines(
            // The file check refuses such names already; this holds even for a file that slipped by.
            environment: { name in engineAccess.refusal(apiKeyVariable: name) == nil ? environment(name) : nil }, breakerThreshold: configuration.engineBreakerThreshold,
            breakerCooldown: configuration.engineBreakerCooldown, logger: logger, report: { metrics.recordEngine($0) })
        runner = BotRunner(store: store, hub: hub, ids: ids, roster: bots, logger: logger, metrics: metrics, engines: engines,
                           ownsEveryPersona: cluster == nil, clock: clock)
        await runner.start(with: watcher.current)
        runtime.setBotWriteGate(runner)
        if let cluster {
            let sessions = runtime.sessions
            cluster.bus.onGap { sessions.closeAll(.nodeMissedEvents) }
        }
    }

    /// The port the server listens on, once it does (useful with port 0).
    public func port() async -> Int {
        await withCheckedContinuation { continuation in
            let known = boundPort.withLock { state -> Int? in
                if let port = state.port { return port }
                state.waiters.append(continuation)
                return nil
            }
            if let known { continuation.resume(returning: known) }
        }
    }

    /// The services to run in one `ServiceGroup`, in start order. On graceful shutdown the group
    /// stops them in reverse: the drain first (4011 to every session, writes made durable), then
    /// the bots, the pruner and the HTTP server, the cluster's bus and leases, and the store's
    /// writer and pool last.
    public func services() -> [any Service] {
        services(exitWhenStuck: false)
    }

    private func services(exitWhenStuck: Bool) -> [any Service] {
        let runtime = self.runtime
        let configuration = runtime.configuration
        let application = Application(
            router: HTTPRoutes.router(runtime: runtime, runner: runner),
            server: HTTPServerBuilder { responder in GatewayChannel(responder: responder, runtime: runtime) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? configuration.port
                runtime.logger.notice("gatewayd listening on http://\(configuration.host):\(port) (the page at /, WebSocket at /v1/ws).")
                if configuration.mode == .development, !["127.0.0.1", "::1", "localhost"].contains(configuration.host) {
                    runtime.logger.warning(
                        "Development mode on \(configuration.host): anyone who can reach this port can sign in under any name. Use server.mode: production beyond your own machine.")
                }
                let waiters = self.boundPort.withLock { state in
                    state.port = port
                    defer { state.waiters = [] }
                    return state.waiters
                }
                waiters.forEach { $0.resume(returning: port) }
            },
            logger: runtime.logger
        )
        let clusterServices: [any Service] = cluster.map { [ClusterService(store: $0, runner: runner, leaseInterval: configuration.leaseInterval)] } ?? []
        return [StoreService(store: runtime.store)] + clusterServices + [
            application, PruneService(runtime: runtime), PersonaReloadService(watcher: watcher, runner: runner, metrics: runtime.metrics, logger: runtime.logger),
            BotService(runner: runner, quietFeedInterval: configuration.quietFeedInterval), DrainService(runtime: runtime, exitWhenStuck: exitWhenStuck),
        ]
    }

    /// Serves until SIGTERM or SIGINT, then drains and returns.
    public func run() async throws {
        var configuration = ServiceGroupConfiguration(
            services: services(exitWhenStuck: true).map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: runtime.logger
        )
        // PROTOCOL.md section 10: the process exits within this even if something hangs.
        configuration.maximumGracefulShutdownDuration = runtime.configuration.drainDeadline
        try await ServiceGroup(configuration: configuration).run()
    }
}

/// Waits for graceful shutdown, then drains the gateway. As the process's own group it also
/// makes sure the process ends: if something cannot be cancelled (a database that vanished
/// mid-call), the process exits a little after the drain deadline anyway (PROTOCOL.md section 10).
struct DrainService: Service {
    let runtime: GatewayRuntime
    let exitWhenStuck: Bool

    func run() async throws {
        try? await gracefulShutdown()
        if exitWhenStuck {
            let limit = runtime.configuration.drainDeadline + .seconds(2)
            let logger = runtime.logger
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18)
                logger.critical("Shutdown did not finish within \(limit); exiting now.")
                exit(1)
            }
        }
        await runtime.drain()
    }
}

/// Hands persona files changed on disk to the running bots, within the watcher's interval.
struct PersonaReloadService: Service {
    let watcher: PersonaWatcher
    let runner: BotRunner
    let metrics: GatewayMetrics
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await watcher.run { snapshot in
                let failed = snapshot.catalog.diagnostics.filter { $0.value.contains { $0.severity == .error } }.keys.sorted()
                metrics.recordReload(outcome: failed.isEmpty && snapshot.staleErrors.isEmpty ? "ok" : "error")
                await runner.apply(snapshot)
                // One line per reload, whatever changed; the errors themselves are logged by the runner.
                logger.notice(
                    "Personas reloaded: \(snapshot.personas.count) running (\(snapshot.personas.keys.sorted().joined(separator: ", "))), \(snapshot.staleErrors.count) on their last good version, \(failed.count) files with errors.")
            }
        }
    }
}

/// The store's writer and, on PostgreSQL, its connection pool. First in the group, so that it
/// stops last: after the drain has made every write it took durable.
struct StoreService: Service {
    let store: any FeedStore

    func run() async throws {
        await store.run()
    }
}

/// The bots' own work: first what they restore from the store once it runs (pauses, the last
/// day's replies that rebuild their limits), then a look for a quiet feed now and then, so that
/// bots can start conversations.
struct BotService: Service {
    let runner: BotRunner
    let quietFeedInterval: Duration

    func run() async throws {
        await runner.restore()
        while !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: quietFeedInterval) }
            if Task.isShuttingDownGracefully { break }
            await runner.tickQuietFeed()
        }
    }
}

/// A cluster node's link to the others: the bus (events and ephemeral frames from every node)
/// and the persona leases. Right after the store in the group, so it stops after the drain: the leases go
/// with their connection and another node takes the personas over.
struct ClusterService: Service {
    let store: PostgresStore
    let runner: BotRunner
    let leaseInterval: Duration

    func run() async throws {
        let leases = PersonaLeases(location: store.location, runner: runner, interval: leaseInterval, logger: store.logger)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await store.bus.run() }
                group.addTask { await leases.run() }
                await group.waitForAll()
            }
        }
    }
}

/// Deletes events and `client_id` records past their retention, now and then.
struct PruneService: Service {
    let runtime: GatewayRuntime

    func run() async throws {
        let store = runtime.store
        let interval = runtime.configuration.pruneInterval
        while !Task.isShuttingDownGracefully {
            do {
                try await store.prune()
            } catch {
                runtime.logger.warning("Pruning old events failed; will try again: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
