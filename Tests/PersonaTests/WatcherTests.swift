import Foundation
import Testing
@testable import Persona

@Suite("Live reload", .serialized)
struct WatcherTests {
    func directory() throws -> String {
        let path = NSTemporaryDirectory() + "personas-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path + "/lexicons", withIntermediateDirectories: true)
        return path
    }

    func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Polls until the watcher reports a change, within 2 s as promised to authors.
    func change(_ watcher: PersonaWatcher) async throws -> PersonaWatcher.Snapshot? {
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline {
            if let snapshot = watcher.poll() { return snapshot }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test("changed, added, invalid and removed files are picked up; an invalid file keeps the last good persona")
    func reload() async throws {
        let root = try directory()
        try write("id: kiki\nname: Kiki\n", to: root + "/kiki.yaml")
        let watcher = PersonaWatcher(directory: root)
        #expect(watcher.current.personas["kiki"]?.name == "Kiki")

        try write("id: kiki\nname: Kiki Two\n", to: root + "/kiki.yaml")
        #expect(try await change(watcher)?.personas["kiki"]?.name == "Kiki Two")

        try write("id: robo\nname: Robo\n", to: root + "/robo.yaml")
        #expect(try await change(watcher)?.personas.keys.sorted() == ["kiki", "robo"])

        try write("id: kiki\nname: Kiki Three\ntone: { max_chars: lots }\n", to: root + "/kiki.yaml")
        let broken = try await change(watcher)
        #expect(broken?.personas["kiki"]?.name == "Kiki Two", "the last good version keeps running")
        #expect(broken?.staleErrors["kiki"]?.first?.description.contains("tone.max_chars") == true)

        try FileManager.default.removeItem(atPath: root + "/robo.yaml")
        #expect(try await change(watcher)?.personas["robo"] == nil)

        try write("politics\n", to: root + "/lexicons/politics.txt")
        try write("id: kiki\nname: Kiki Four\ntone: { avoid_topics: [politics] }\n", to: root + "/kiki.yaml")
        let fixed = try await change(watcher)
        #expect(fixed?.personas["kiki"]?.tone.avoidTopics == ["politics"])
        #expect(fixed?.staleErrors.isEmpty == true)
        #expect(watcher.poll() == nil, "nothing changed since")
    }
}
