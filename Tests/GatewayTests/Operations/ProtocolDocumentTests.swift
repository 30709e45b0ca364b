import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import Gateway
@testable import GatewayProtocol

/// The AsyncAPI and OpenAPI documents are served, and cover what the server speaks (issue 10).
/// `.ci/run` validates them with PyPI's validators (scripts/validate-protocol-docs.py).
@Suite("Protocol documents", .stopsServers)
struct ProtocolDocumentTests {
    /// Every `op` the server writes, read from its source (written as a field, or as the start of
    /// a frame laid out by hand, as the event's is): a new frame cannot be added without this test
    /// seeing it.
    static func serverOps() throws -> Set<String> {
        let sources = ConfigurationTests.repositoryRoot + "/Sources"
        var ops: Set<String> = []
        let files = ["GatewayProtocol", "Gateway"].flatMap { target in
            (FileManager.default.enumerator(atPath: sources + "/" + target)?.compactMap { $0 as? String } ?? [])
                .filter { $0.hasSuffix(".swift") }.map { sources + "/" + target + "/" + $0 }
        }
        let pattern = try Regex(#"field\("op", "([a-z_]+)"\)|\{"op":"([a-z_]+)""#)
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            for match in text.matches(of: pattern) {
                if let op = match.output[1].substring ?? match.output[2].substring { ops.insert(String(op)) }
            }
        }
        return ops
    }

    /// Every op the decoder accepts from clients.
    static func clientOps() throws -> Set<String> {
        let text = try String(contentsOfFile: ConfigurationTests.repositoryRoot + "/Sources/GatewayProtocol/ClientMessage.swift", encoding: .utf8)
        let decode = text[text.range(of: "switch op {")!.lowerBound...]
        let pattern = try Regex(#"\n            case "([a-z_]+)":"#)
        return Set(decode.matches(of: pattern).compactMap { $0.output[1].substring.map(String.init) })
    }

    @Test("every op and event type the server can send, and every op it accepts, appears in the AsyncAPI document it serves")
    func asyncAPICoversTheServer() async throws {
        let server = try await TestServer.start()
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(server.port)/v1/asyncapi.yaml")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let document = String(decoding: data, as: UTF8.self)
        #expect(document.hasPrefix("asyncapi: 3.0.0"))
        let sent = try Self.serverOps()
        #expect(sent.isSuperset(of: ["hello", "ready", "pong", "ack", "error", "event", "subscribed", "unsubscribed", "typing", "draft"]))
        for op in sent { #expect(document.contains("op: { const: \(op) }"), "server op \(op) is not in the AsyncAPI document") }
        let accepted = try Self.clientOps()
        #expect(accepted.count >= 10)
        for op in accepted { #expect(document.contains("op: { const: \(op) }"), "client op \(op) is not in the AsyncAPI document") }
        let start = try #require(document.range(of: "    EventType:\n      enum: [")).upperBound
        let listed = Set(document[start...].prefix { $0 != "]" }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(listed == Set(StoredEvent.Kind.allCases.map(\.rawValue)))
        for code in ErrorCode.allCases { #expect(document.contains(code.rawValue), "error code \(code.rawValue)") }
    }

    @Test("the OpenAPI document is served and names every route the router has")
    func openAPICoversTheRoutes() async throws {
        let server = try await TestServer.start()
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(server.port)/v1/openapi.yaml")!)
        let document = String(decoding: data, as: UTF8.self)
        #expect(document.hasPrefix("openapi: 3.1.0"))
        let root = ConfigurationTests.repositoryRoot + "/Sources/Gateway/HTTP"
        let pattern = try Regex(#"router\.(get|post|delete|put)\("(/[^"]*)"\)"#)
        var routes = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: root) where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for match in text.matches(of: pattern) {
                // The two documents' own routes are built by name; the test above fetched them.
                guard let path = match.output[2].substring, !path.contains("\\(") else { continue }
                let documented = path.replacingOccurrences(of: #":([a-z_]+)"#, with: "{$1}", options: .regularExpression)
                routes += 1
                #expect(document.contains("\n  \(documented):"), "route \(path) is not in the OpenAPI document")
            }
        }
        #expect(routes >= 15)
    }

    @Test("docs/protocol.md, the client authors' guide, names every op, close code and error code the server has")
    func guideCoversTheProtocol() throws {
        let guide = try String(contentsOfFile: ConfigurationTests.repositoryRoot + "/docs/protocol.md", encoding: .utf8)
        for op in try Self.clientOps() { #expect(guide.contains("`\(op)`") || guide.contains("\"op\":\"\(op)\""), "client op \(op)") }
        for code in ErrorCode.allCases { #expect(guide.contains("`\(code.rawValue)`"), "error code \(code.rawValue)") }
        for code in CloseCode.allCases where code.rawValue >= 4000 { #expect(guide.contains("\(code.rawValue)"), "close code \(code.rawValue)") }
        for stream in ["`feed`", "`thread:<post_id>`", "`user:<user_id>`"] { #expect(guide.contains(stream)) }
    }
}
