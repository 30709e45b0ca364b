import Foundation
import Testing
@testable import Gateway

/// `gatewayd persona preview --batch` (issue 20): a file of posts previewed in one run.
@Suite("Preview at scale", .stopsServers)
struct PreviewBatchTests {
    @Test("a file of 20 posts is previewed in one run, each with its situation, decision and closest example")
    func batch() async throws {
        let root = ConfigurationTests.repositoryRoot
        let preview = try await ChildProcess.run(
            try GatewayProcess.executable(),
            ["persona", "preview", "kiki", "--batch", root + "/docs/examples/posts.txt", "--personas", root + "/personas", "--json", "--offline"],
            keepingErrors: false)
        #expect(preview.exit.succeeded)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(preview.output.utf8)) as? [[String: Any]])
        #expect(rows.count == 20)
        let grief = try #require(rows.first { $0.string("post") == "My grandmother passed away last night." })
        #expect(grief.string("situation")?.hasPrefix("grief") == true)
        #expect(grief.string("reply")?.contains("sorry") == true)
        #expect(rows.contains { $0.object("closest_example")["similarity"] != nil }, "the closest example is shown where one shares words")
    }

    @Test("with --post, each line of the batch is a comment under that post, read in its thread; --parent with --batch is refused")
    func batchUnderAPost() async throws {
        let root = ConfigurationTests.repositoryRoot
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("comments-\(UUID().uuidString).txt").path
        try "@kiki at least it was early, right?\n@kiki are you a bot?\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let arguments = ["persona", "preview", "kiki", "--batch", file, "--post", "We lost the baby at 9 weeks.", "--personas", root + "/personas",
                         "--json", "--offline", "--force-trigger"]
        let preview = try await ChildProcess.run(try GatewayProcess.executable(), arguments, keepingErrors: false)
        #expect(preview.exit.succeeded)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(preview.output.utf8)) as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(rows.first?.string("decision")?.contains("careful_thread") == true, "\(rows.first ?? [:])")
        #expect(rows.last?.string("reply")?.contains("AI") == true, "\(rows.last ?? [:])")
        let refused = try await ChildProcess.run(try GatewayProcess.executable(), arguments + ["--parent", "a comment"], keepingErrors: true)
        #expect(!refused.exit.succeeded)
        #expect(refused.output.contains("--parent names one comment"), "\(refused.output)")
    }
}
