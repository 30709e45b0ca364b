import Foundation
import Testing
@testable import Gateway

/// `gatewayd persona preview --batch` (issue 20): a file of posts previewed in one run.
@Suite("Preview at scale", .stopsServers)
struct PreviewBatchTests {
    @Test("a file of 20 posts is previewed in one run, each with its situation, decision and closest example")
    func batch() throws {
        let root = ConfigurationTests.repositoryRoot
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try GatewayProcess.executable())
        process.arguments = ["persona", "preview", "kiki", "--batch", root + "/docs/examples/posts.txt", "--personas", root + "/personas", "--json",
                             "--offline"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: output) as? [[String: Any]])
        #expect(rows.count == 20)
        let grief = try #require(rows.first { $0.string("post") == "My grandmother passed away last night." })
        #expect(grief.string("situation")?.hasPrefix("grief") == true)
        #expect(grief.string("reply")?.contains("sorry") == true)
        #expect(rows.contains { $0.object("closest_example")["similarity"] != nil }, "the closest example is shown where one shares words")
    }
}
