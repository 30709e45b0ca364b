import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import GatewayProtocol

/// The files the gateway serves from its resources (`gatewayd_Gateway.resources`, next to the
/// executable): the page and the API documents. Found without SwiftPM's `Bundle.module`, which
/// stops the process when the folder is missing; a binary copied without it answers 404 for these
/// files and says so in the log, and everything else works.
enum StaticFiles {
    static let folderName = "gatewayd_Gateway.resources"

    struct File {
        var path: String
        var subdirectory: String
        var name: String
        var contentType: String
    }

    static let files = [
        File(path: "/", subdirectory: "web", name: "index.html", contentType: "text/html; charset=utf-8"),
        File(path: "/app.js", subdirectory: "web", name: "app.js", contentType: "text/javascript; charset=utf-8"),
        File(path: "/style.css", subdirectory: "web", name: "style.css", contentType: "text/css; charset=utf-8"),
        File(path: "/v1/asyncapi.yaml", subdirectory: "protocol", name: "asyncapi.yaml", contentType: "application/yaml"),
        File(path: "/v1/openapi.yaml", subdirectory: "protocol", name: "openapi.yaml", contentType: "application/yaml"),
    ]

    static let bundle: Bundle? = {
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for directory in [Bundle.main.bundleURL, executable] {
            let url = directory.appendingPathComponent(folderName)
            if FileManager.default.fileExists(atPath: url.path), let bundle = Bundle(url: url) { return bundle }
        }
        return nil
    }()

    /// Reads every file once and serves it from memory, revalidated by clients each time so an
    /// upgrade is seen at once.
    static func add(to router: Router<GatewayRequestContext>, configuration: GatewayConfiguration, logger: Logger) {
        for file in files {
            let text = bundle?.url(forResource: file.name, withExtension: nil, subdirectory: file.subdirectory)
                .flatMap { try? String(contentsOf: $0, encoding: .utf8) }
            if text == nil {
                logger.warning("\(file.subdirectory)/\(file.name) is not in \(folderName) next to the executable; \(file.path) answers 404 until it is installed.")
            }
            let body = text.map { ByteBuffer(string: filled($0, file: file, configuration: configuration)) }
            router.get(RouterPath(file.path)) { _, _ in
                guard let body else { throw GatewayError.notFound("This build has no \(file.name); install \(folderName) next to the executable.") }
                return Response(status: .ok, headers: [.contentType: file.contentType, .cacheControl: "no-cache"], body: .init(byteBuffer: body))
            }
        }
    }

    /// The page and the OpenAPI document state the body limit as its default, so that the files
    /// as committed are valid; a server configured with another limit serves its own.
    static func filled(_ text: String, file: File, configuration: GatewayConfiguration) -> String {
        let limit = configuration.maxBodyScalars
        guard limit != 4000 else { return text }
        switch file.name {
        case "openapi.yaml", "asyncapi.yaml":
            // The body pattern counts the characters between the first and last visible ones.
            return text.replacing("{0,3998}", with: "{0,\(limit - 2)}").replacing("1–4000 characters", with: "1–\(limit) characters")
                .replacing("1 to 4000 Unicode scalars", with: "1 to \(limit) Unicode scalars")
        case "index.html":
            return text.replacing(#"<meta name="gatewayd:max-body-chars" content="4000">"#, with: #"<meta name="gatewayd:max-body-chars" content="\#(limit)">"#)
        default:
            return text
        }
    }
}
