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
}
