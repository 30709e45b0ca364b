import Foundation

/// The files the gateway serves from its resources (`gatewayd_Gateway.resources`, next to the
/// executable): the page and the API documents. Found without SwiftPM's `Bundle.module`, which
/// stops the process when the folder is missing; a binary copied without it serves 404s for
/// these files and says so in the log, and everything else works.
enum GatewayResources {
    static let folderName = "gatewayd_Gateway.resources"

    static let bundle: Bundle? = {
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for directory in [Bundle.main.bundleURL, executable] {
            let url = directory.appendingPathComponent(folderName)
            if FileManager.default.fileExists(atPath: url.path), let bundle = Bundle(url: url) { return bundle }
        }
        return nil
    }()

    /// A resource file's bytes, or nil when the resources are not installed.
    static func load(_ name: String, subdirectory: String) -> [UInt8]? {
        guard let url = bundle?.url(forResource: name, withExtension: nil, subdirectory: subdirectory), let data = try? Data(contentsOf: url) else {
            return nil
        }
        return Array(data)
    }
}

/// The AsyncAPI and OpenAPI documents, served at `/v1/asyncapi.yaml` and `/v1/openapi.yaml`.
enum ProtocolDocuments {
    static func load(_ name: String) -> [UInt8]? {
        GatewayResources.load("\(name).yaml", subdirectory: "protocol")
    }
}
