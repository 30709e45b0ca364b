public import Logging
public import Persona
import Foundation
import Yams

/// What `gatewayd serve` runs with: the gateway's configuration and how it logs. Built from
/// defaults, then `gatewayd.yaml`, then `GATEWAYD_*` environment variables, then flags; each
/// source is validated like a persona file, with file, line and column in every error.
public struct ServerSettings: Sendable {
    public enum LogFormat: String, Sendable, CaseIterable { case text, json }

    public var gateway = GatewayConfiguration()
    public var logLevel = Logger.Level.info
    public var logFormat = LogFormat.text

    public init() {}

    /// The file `gatewayd` reads when none is named: `gatewayd.yaml` in the working directory.
    public static let defaultFile = "gatewayd.yaml"

    /// Applies a configuration file's text. Problems are collected, not thrown one by one.
    public mutating func apply(fileText text: String, file: String) -> [Diagnostic] {
        let root: Node
        do {
            guard let node = try YAMLSyntax.compose(text, file: file) else { return [] }
            root = node
        } catch {
            return [error]
        }
        var reader = NodeReader(file: file)
        let catalog = SettingsCatalog.all
        let sections = Dictionary(grouping: catalog, by: \.section)
        guard let fields = reader.fields(root, "", allowed: sections.keys.sorted()) else { return reader.diagnostics }
        for (section, node) in fields {
            let settings = sections[section] ?? []
            guard let values = reader.fields(node, section, allowed: settings.map(\.key)) else { continue }
            for setting in settings {
                if let value = values[setting.key] { setting.apply(value, &reader, &self) }
            }
        }
        return reader.diagnostics
    }

    /// Applies `GATEWAYD_<SECTION>_<KEY>` variables, each read as if written in the file.
    public mutating func apply(environment: [String: String]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for setting in SettingsCatalog.all {
            guard let text = environment[setting.environmentName] else { continue }
            var reader = NodeReader(file: "$\(setting.environmentName)")
            let node = (try? YAMLSyntax.compose(text, file: "$\(setting.environmentName)")) ?? nil
            setting.apply(node ?? Node(text), &reader, &self)
            diagnostics += reader.diagnostics
        }
        return diagnostics
    }

    /// Every setting and its value now, in the file's layout.
    public func describe() -> String {
        var lines: [String] = []
        var section = ""
        for setting in SettingsCatalog.all {
            if setting.section != section {
                section = setting.section
                lines.append("\(section):")
            }
            lines.append("  \(setting.key): \(setting.show(self))")
        }
        return lines.joined(separator: "\n")
    }
}

/// One setting: where it lives in the file and the environment, how it is read and shown.
struct Setting {
    let section: String
    let key: String
    /// A variable name other than `GATEWAYD_<SECTION>_<KEY>`, for settings known by a shorter one.
    var environmentOverride: String? = nil
    let apply: (Node, inout NodeReader, inout ServerSettings) -> Void
    let show: (ServerSettings) -> String

    var path: String { "\(section).\(key)" }
    var environmentName: String { environmentOverride ?? "GATEWAYD_" + "\(section)_\(key)".uppercased() }
}
