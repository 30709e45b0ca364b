import Foundation
import Testing
@testable import Persona

/// What `persona check` tells an author (issue 20): the exact words and the exact place, with a
/// suggestion where one exists.
@Suite("Checker messages")
struct CheckerMessageTests {
    static func firstProblem(_ body: String) -> String? {
        let text = "id: alpha\nname: Alpha\n" + body
        guard case .failure(let errors) = PersonaParser.parse(text, file: "alpha.yaml", lexicons: ["politics"]) else { return nil }
        return errors.diagnostics.first?.description
    }

    @Test("each mistake an author made is named in the author's terms, at its place", arguments: [
        ("voice:\n\tstyle: calm\n",
         "alpha.yaml:4:1: a tab character: YAML indents with spaces only; replace the tab with spaces"),
        ("voice:\n  style: calm\n  style: warm\n",
         "alpha.yaml:5:3: voice.style: appears twice in one mapping (first on line 4); keep one"),
        ("voice:\n  max_emoji: 2\n",
         "alpha.yaml:4:3: voice.max_emoji: unknown key here; max_emoji belongs under tone (tone.max_emoji)"),
        ("limits:\n  replies: 5/minute\n",
         #"alpha.yaml:4:12: limits.replies: expected a rate like "30/min" or "5/min burst 2", got "5/minute" (did you mean "5/min"?)"#),
        ("triggers:\n  new_post: { chance: 0.5, delay: 2-8s }\n",
         #"alpha.yaml:4:35: triggers.new_post.delay: expected a delay like "5s", "1.5s", "500ms" or a range like "2s..8s", got "2-8s" (did you mean "2s..8s"?)"#),
        ("triggers:\n  reply_delay: 8s..2s\n",
         #"alpha.yaml:4:16: triggers.reply_delay: the range runs backwards: the shorter delay comes first (did you mean "2s..8s"?)"#),
        ("voice:\n  language: ja\n",
         #"alpha.yaml:4:13: voice.language: "ja" is not a language the engines and the language check know; use match (answer in the language of the post) or one of en, en-GB, en-US, zh, zh-CN, zh-Hans, zh-Hant, zh-TW"#),
        ("voice:\n  language: no\n",
         #"alpha.yaml:4:13: voice.language: "no" is not a language the engines and the language check know; use match (answer in the language of the post) or one of en, en-GB, en-US, zh, zh-CN, zh-Hans, zh-Hant, zh-TW"#),
        ("tone:\n  avoid_topics: [sports]\n",
         #"alpha.yaml:4:18: tone.avoid_topics[0]: there is no lexicon "sports" (lexicons/sports.txt)"#),
    ])
    func messages(body: String, expected: String) {
        #expect(Self.firstProblem(body) == expected)
    }

    @Test("what the docs allow loads: new_post off, delays in 1.5s and 500ms")
    func allowedForms() throws {
        let text = "id: alpha\nname: Alpha\ntriggers:\n  new_post: off\n  reply_delay: 500ms..1.5s\n"
        let persona = try PersonaParser.parse(text, file: "alpha.yaml", lexicons: []).get()
        #expect(persona.triggers.newPost == nil)
        #expect(persona.triggers.replyDelay == DelayRange(.milliseconds(500), .milliseconds(1500)))
    }

    @Test("what the policy tightens is shown at the persona's own field, flow mappings included")
    func policyWarningsAtTheirField() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "limits:\n  replies: 10/min\n  per_thread: { replies: 2, cooldown: 30s }\ntone:\n  max_chars: 100\n"
            .write(toFile: directory + "/policy.yaml", atomically: true, encoding: .utf8)
        try "id: pw\nname: Pw\nlimits:\n  replies: 60/min\n  per_thread: { replies: 1, cooldown: 5s }\ntone:\n  max_chars: 300\n"
            .write(toFile: directory + "/pw.yaml", atomically: true, encoding: .utf8)
        let warnings = PersonaCatalog.load(directory: directory).allDiagnostics.filter { $0.file.hasSuffix("pw.yaml") }.map(\.description)
        #expect(warnings.contains { $0.hasSuffix("pw.yaml:4:3: warning: limits.replies: tightened to 10/min by the platform policy") })
        #expect(warnings.contains { $0.hasSuffix("pw.yaml:5:29: warning: limits.per_thread.cooldown: raised to 30s by the platform policy") })
        #expect(warnings.contains { $0.hasSuffix("pw.yaml:7:3: warning: tone.max_chars: lowered to 100 by the platform policy") })
    }

    @Test("an author's phrase the fit check would refuse is flagged by check, at its list, not first found by a grieving reader")
    func unfitPhrases() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("phrases-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/situations", withIntermediateDirectories: true)
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("personas/situations/rules.yaml").path
        try FileManager.default.copyItem(atPath: shipped, toPath: directory + "/situations/rules.yaml")
        try "id: mochi\nname: Mochi\nvoice:\n  phrases:\n    grief:\n      zh: [\"节哀！🙏\"]\n      en: [\"I am so sorry. Thinking of you.\"]\n"
            .write(toFile: directory + "/mochi.yaml", atomically: true, encoding: .utf8)
        let warnings = PersonaCatalog.load(directory: directory).allDiagnostics.filter { $0.severity == .warning }.map(\.description)
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.hasSuffix(#"mochi.yaml:6:7: warning: voice.phrases.grief.zh: "节哀！🙏" would never be posted: an emoji on a grief post (fit.careful_register)"#) == true)
    }

    @Test("a file whose name differs from its id is flagged as a warning at the id line")
    func fileNameMismatch() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("names-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "name: Alpha\nid: alpha\n".write(toFile: directory + "/my-bot.yaml", atomically: true, encoding: .utf8)
        let catalog = PersonaCatalog.load(directory: directory)
        #expect(catalog.personas["alpha"] != nil, "a warning does not stop the persona")
        let warning = try #require(catalog.allDiagnostics.first { $0.path == "id" })
        #expect(warning.severity == .warning && warning.line == 2)
        #expect(warning.message.contains("differs from the file name \"my-bot\""))
    }
}
