import Foundation

/// The AsyncAPI and OpenAPI documents, served at `/v1/asyncapi.yaml` and `/v1/openapi.yaml`
/// from the package's resources (next to the executable as `gatewayd_Gateway.resources`).
enum ProtocolDocuments {
    static func load(_ name: String) -> [UInt8]? {
        guard let url = Bundle.module.url(forResource: name, withExtension: "yaml", subdirectory: "protocol"),
            let data = try? Data(contentsOf: url)
        else { return nil }
        return Array(data)
    }
}
