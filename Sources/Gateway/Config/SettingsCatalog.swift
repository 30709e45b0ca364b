import Logging
import Persona
import Yams

/// Every setting of `gatewayd.yaml`, in the order the example file and `config check` show them.
enum SettingsCatalog {
    static var all: [Setting] {
        [
            text("server", "host", \.gateway.host),
            integer("server", "port", \.gateway.port, 0...65_535),
            choice("server", "mode", \.gateway.mode),
            flag("server", "allow_anonymous", \.gateway.allowAnonymous),
            text("paths", "data", \.gateway.dataDirectory),
            integer("connections", "per_address", \.gateway.connectionLimits.maximumPerAddress, 0...10_000_000),
            rate("connections", "rate_per_address", \.gateway.connectionLimits.rate),
            duration("connections", "handshake_timeout", \.gateway.handshakeTimeout, .seconds(1) ... .seconds(600)),
            duration("connections", "request_body_timeout", \.gateway.requestBodyTimeout, .seconds(1) ... .seconds(600)),
            strings("connections", "trusted_proxies", \.gateway.connectionLimits.trustedProxies),
            text("connections", "forwarded_header", \.gateway.connectionLimits.forwardedHeader),
            choice("connections", "limit_loopback", \.gateway.connectionLimits.loopback),
            strings("connections", "allowed_origins", \.gateway.allowedOrigins),
            strings("auth", "issuers", \.gateway.tokenIssuers),
            text("paths", "personas", \.gateway.personasDirectory),
            duration("sessions", "heartbeat", \.gateway.heartbeat, .seconds(1) ... .seconds(600)),
            duration("sessions", "identify_timeout", \.gateway.identifyTimeout, .seconds(1) ... .seconds(600)),
            integer("sessions", "max_message_bytes", \.gateway.maxMessageBytes, 1024...16 << 20),
            integer("sessions", "max_subscriptions", \.gateway.maxSubscriptionsPerConnection, 1...10_000),
            integer("sessions", "outbound_queue_bytes", \.gateway.outboundQueueBytes, 16 << 10...1 << 30),
            duration("sessions", "close_grace", \.gateway.closeGracePeriod, .milliseconds(100) ... .seconds(60)),
            integer("sessions", "inbound_per_second", \.gateway.inboundMessagesPerSecond, 1...100_000),
            integer("sessions", "inbound_burst", \.gateway.inboundBurst, 1...100_000),
            integer("sessions", "flood_refusals", \.gateway.inboundFloodThreshold, 1...1_000_000),
            duration("sessions", "flood_window", \.gateway.inboundFloodWindow, .seconds(1) ... .seconds(600)),
            duration("sessions", "typing_interval", \.gateway.typingInterval, .zero ... .seconds(60)),
            integer("writes", "posts_per_minute", \.gateway.writeLimits.postsPerMinute, 1...100_000),
            integer("writes", "comments_per_minute", \.gateway.writeLimits.commentsPerMinute, 1...100_000),
            integer("writes", "reactions_per_minute", \.gateway.writeLimits.reactionsPerMinute, 1...100_000),
            integer("writes", "mutes_per_minute", \.gateway.writeLimits.mutesPerMinute, 1...100_000),
            integer("writes", "deletes_per_minute", \.gateway.writeLimits.deletesPerMinute, 1...100_000),
            integer("writes", "max_body_chars", \.gateway.maxBodyScalars, 2...100_000),
            storeBackend(),
            duration("store", "write_timeout", \.gateway.storeWriteTimeout, .milliseconds(100) ... .seconds(600)),
            integer("store", "max_batch", \.gateway.store.maximumBatch, 1...10_000),
            integer("store", "retain_events", \.gateway.store.retainedEventsPerStream, 1...100_000_000),
            duration("store", "retain_age", \.gateway.store.retainedEventAge, .seconds(60) ... .seconds(365 * 86_400)),
            duration("store", "idempotency_age", \.gateway.store.idempotencyAge, .seconds(24 * 3600) ... .seconds(365 * 86_400)),
            duration("store", "decision_age", \.gateway.store.decisionAge, .seconds(3600) ... .seconds(365 * 86_400)),
            duration("store", "prune_interval", \.gateway.pruneInterval, .seconds(1) ... .seconds(86_400)),
            duration("cluster", "lease_interval", \.gateway.leaseInterval, .milliseconds(200) ... .seconds(600)),
            strings("bots", "api_key_variables", \.gateway.engineAccess.apiKeyVariables),
            strings("bots", "engine_hosts", \.gateway.engineAccess.hosts),
            duration("bots", "quiet_feed_interval", \.gateway.quietFeedInterval, .seconds(1) ... .seconds(3600)),
            integer("bots", "engine_breaker_failures", \.gateway.engineBreakerThreshold, 1...1000),
            duration("bots", "engine_breaker_cooldown", \.gateway.engineBreakerCooldown, .seconds(1) ... .seconds(3600)),
            duration("shutdown", "drain_deadline", \.gateway.drainDeadline, .seconds(1) ... .seconds(600)),
            choice("log", "level", \.logLevel),
            choice("log", "format", \.logFormat),
        ]
    }

    /// `sqlite` or a PostgreSQL URL; read from `GATEWAYD_STORE` in the environment.
    private static func storeBackend() -> Setting {
        Setting(section: "store", key: "backend", environmentOverride: "GATEWAYD_STORE", apply: { node, reader, settings in
            guard let text = reader.string(node, "store.backend", allowEmpty: false, maxLength: 4096) else { return }
            do throws(StoreLocationError) {
                settings.gateway.storeLocation = try StoreLocation(parsing: text)
            } catch {
                reader.error(node, "store.backend", error.description)
            }
        }, show: { "\"\($0.gateway.storeLocation)\"" })
    }

    private static func text(_ section: String, _ key: String, _ field: WritableKeyPath<ServerSettings, String>) -> Setting {
        Setting(section: section, key: key, apply: { node, reader, settings in
            if let value = reader.string(node, "\(section).\(key)", allowEmpty: false, maxLength: 4096) { settings[keyPath: field] = value }
        }, show: { $0[keyPath: field] })
    }

    private static func integer<T: BinaryInteger>(_ section: String, _ key: String, _ field: WritableKeyPath<ServerSettings, T>,
                                                  _ range: ClosedRange<Int>) -> Setting {
        Setting(section: section, key: key, apply: { node, reader, settings in
            if let value = reader.integer(node, "\(section).\(key)", range: range) { settings[keyPath: field] = T(value) }
        }, show: { "\($0[keyPath: field])" })
    }

    private static func strings(_ section: String, _ key: String, _ field: WritableKeyPath<ServerSettings, [String]>) -> Setting {
        Setting(section: section, key: key, apply: { node, reader, settings in
            if let value = reader.strings(node, "\(section).\(key)", maxLength: 512) { settings[keyPath: field] = value }
        }, show: { "[" + $0[keyPath: field].map { "\"\($0)\"" }.joined(separator: ", ") + "]" })
    }

    private static func rate(_ section: String, _ key: String, _ field: WritableKeyPath<ServerSettings, Rate>) -> Setting {
        Setting(section: section, key: key, apply: { node, reader, settings in
            if let value = reader.rate(node, "\(section).\(key)") { settings[keyPath: field] = value }
        }, show: { "\"\($0[keyPath: field])\"" })
    }

    private static func flag(_ section: String, _ key: String, _ field: WritableKeyPath<ServerSettings, Bool>) -> Setting {
        Setting(section: section, key: key, apply: { node, reader, settings in
            if let value = reader.bool(node, "\(section).\(key)") { settings[keyPath: field] = value }
        }, show: { "\($0[keyPath: field])" })
    }

    private static func duration(_ section: String, _ key: String, _ field: WritableKeyPath<ServerSettings, Duration>,
                                 _ range: ClosedRange<Duration>) -> Setting {
        Setting(section: section, key: key, apply: { node, reader, settings in
            if let value = reader.duration(node, "\(section).\(key)", range: range) { settings[keyPath: field] = value }
        }, show: { DurationSyntax.format($0[keyPath: field]) })
    }

    private static func choice<T: RawRepresentable & CaseIterable>(_ section: String, _ key: String, _ field: WritableKeyPath<ServerSettings, T>) -> Setting
    where T.RawValue == String {
        Setting(section: section, key: key, apply: { node, reader, settings in
            if let value = reader.choice(node, "\(section).\(key)", as: T.self) { settings[keyPath: field] = value }
        }, show: { $0[keyPath: field].rawValue })
    }
}
