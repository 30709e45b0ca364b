import Foundation
import Logging
import NIOConcurrencyHelpers
import Persona
import Testing
@testable import Gateway

/// `gatewayd.yaml`, `GATEWAYD_*` and the JSON log format (issue 10).
@Suite("Configuration and logs", .stopsServers)
struct ConfigurationTests {
    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    @Test("the commented example names every setting, and its values are the defaults")
    func exampleIsComplete() throws {
        let path = Self.repositoryRoot + "/gatewayd.example.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var settings = ServerSettings()
        #expect(settings.apply(fileText: text, file: path).isEmpty)
        #expect(settings.describe() == ServerSettings().describe())
        for setting in SettingsCatalog.all {
            #expect(text.contains("\n  \(setting.key): "), "\(setting.path) is missing from gatewayd.example.yaml")
        }
    }

    @Test("values from the file are applied and shown back")
    func applies() {
        var settings = ServerSettings()
        let diagnostics = settings.apply(fileText: """
            server:
              port: 9090
              mode: production
            sessions:
              heartbeat: 40s
            writes:
              posts_per_minute: 5
            store:
              retain_age: 2d
            log:
              format: json
              level: debug
            """, file: "gatewayd.yaml")
        #expect(diagnostics.isEmpty)
        #expect(settings.gateway.port == 9090)
        #expect(settings.gateway.mode == .production)
        #expect(settings.gateway.heartbeat == .seconds(40))
        #expect(settings.gateway.writeLimits.postsPerMinute == 5)
        #expect(settings.gateway.store.retainedEventAge == .seconds(2 * 86_400))
        #expect(settings.logFormat == .json)
        #expect(settings.logLevel == .debug)
        #expect(settings.describe().contains("  heartbeat: 40s"))
    }

    @Test("errors name the file, line and column, with a suggestion for a typo; all of them at once")
    func errorsNameFileAndLine() {
        var settings = ServerSettings()
        let diagnostics = settings.apply(fileText: """
            server:
              port: 70000
              hots: 0.0.0.0
            sesions:
              heartbeat: 10s
            log:
              format: xml
            """, file: "/etc/gatewayd/gatewayd.yaml").map(\.description)
        #expect(diagnostics.contains("/etc/gatewayd/gatewayd.yaml:2:9: server.port: expected a whole number from 0 to 65535, got 70000"))
        #expect(diagnostics.contains("/etc/gatewayd/gatewayd.yaml:3:3: server.hots: unknown key (did you mean \"host\"?)"))
        #expect(diagnostics.contains { $0.hasPrefix("/etc/gatewayd/gatewayd.yaml:4:1: sesions: unknown key") && $0.contains("\"sessions\"") })
        #expect(diagnostics.contains("/etc/gatewayd/gatewayd.yaml:7:11: log.format: expected one of text, json, got \"xml\""))
        #expect(settings.gateway.port == 8080, "a bad value leaves the default")
    }

    @Test("a YAML syntax error is reported with its position")
    func syntax() {
        var settings = ServerSettings()
        let diagnostics = settings.apply(fileText: "server:\n  port: [8080\n", file: "gatewayd.yaml")
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.description.hasPrefix("gatewayd.yaml:") == true)
        #expect(diagnostics.first?.message.contains("YAML syntax") == true)
    }

    @Test("GATEWAYD_<SECTION>_<KEY> variables override the file and are validated the same way")
    func environment() {
        var settings = ServerSettings()
        _ = settings.apply(fileText: "server:\n  port: 9090\n", file: "gatewayd.yaml")
        let diagnostics = settings.apply(environment: [
            "GATEWAYD_SERVER_PORT": "9191", "GATEWAYD_SESSIONS_HEARTBEAT": "soon", "GATEWAYD_PATHS_DATA": "/var/lib/gatewayd", "HOME": "/root",
        ])
        #expect(settings.gateway.port == 9191)
        #expect(settings.gateway.dataDirectory == "/var/lib/gatewayd")
        #expect(diagnostics.map(\.description) == ["$GATEWAYD_SESSIONS_HEARTBEAT:1:1: sessions.heartbeat: expected a duration like \"30s\", \"1.5s\", \"500ms\", \"5m\" or \"2h\", got \"soon\""])
    }

    @Test("JSON logs: one object per line with time, level, message and the session and request metadata")
    func jsonLines() throws {
        let lines = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "gatewayd") { label in JSONLogHandler(label: label, write: { line in lines.withLockedValue { $0.append(line) } }) }
        logger[metadataKey: "session"] = "s_123"
        logger.info("Closing with 4009: \"heartbeat\" timeout", metadata: ["user": "u_alice", "tags": ["a", "b"]])
        let line = try #require(lines.withLockedValue { $0.first })
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["message"] as? String == "Closing with 4009: \"heartbeat\" timeout")
        #expect(object["session"] as? String == "s_123")
        #expect(object["user"] as? String == "u_alice")
        #expect(object["tags"] as? [String] == ["a", "b"])
        #expect((object["time"] as? String)?.hasSuffix("Z") == true || (object["time"] as? String)?.contains("+") == true)
    }
}
