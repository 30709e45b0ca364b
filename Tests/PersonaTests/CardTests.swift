import Foundation
import Testing
@testable import Persona

/// Character cards mapped fully (issue 20): macros, greetings as openers, the lorebook as
/// knowledge, tags, and a sidecar file for what a card cannot say.
@Suite("Character cards, fully mapped")
struct CardTests {
    static func card(_ spec: String) -> [String: Any] {
        [
            "spec": spec, "spec_version": spec == "chara_card_v2" ? "2.0" : "3.0",
            "data": [
                "name": "Mira", "description": "{{char}} is a bookish night owl.\nShe reads to {{user}}.",
                "personality": "quiet, kind", "first_mes": "Hello from {{char}}! What are you reading tonight?",
                "alternate_greetings": ["{{char}} here: any good books lately?"], "tags": ["books", "cozy"],
                "character_book": ["entries": [
                    ["keys": ["library"], "content": "{{char}} works at the city library.", "enabled": true],
                    ["keys": ["secret"], "content": "A hidden entry.", "enabled": false],
                ]],
                "mes_example": "<START>\n{{user}}: Any tips?\n{{char}}: Read one chapter a night, {{user}}.",
            ],
        ]
    }

    func directory(with card: [String: Any], sidecar: String?) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cards-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: card).write(to: URL(fileURLWithPath: directory + "/mira.json"))
        if let sidecar { try sidecar.write(toFile: directory + "/mira.persona.yaml", atomically: true, encoding: .utf8) }
        return directory
    }

    @Test("V2 and V3 cards: macros replaced, greetings as openers, the book as knowledge, tags kept, talkative by default",
          arguments: ["chara_card_v2", "chara_card_v3"])
    func mapped(spec: String) throws {
        let persona = try CharacterCard.parse(try JSONSerialization.data(withJSONObject: Self.card(spec)), file: "mira.json", id: "mira").get()
        #expect(persona.bio == "Mira is a bookish night owl.")
        #expect(!persona.voice.systemPrompt.contains("{{"))
        #expect(persona.voice.systemPrompt.contains("She reads to you."))
        #expect(persona.voice.openers == ["Hello from Mira! What are you reading tonight?", "Mira here: any good books lately?"])
        #expect(persona.voice.knowledge.contains("Mira works at the city library."))
        #expect(!persona.voice.knowledge.contains("A hidden entry."), "a disabled book entry is left out")
        #expect(persona.tags == ["books", "cozy"])
        #expect(persona.voice.examples == [.init(post: "Any tips?", reply: "Read one chapter a night.")], "a name it does not know is left out")
        #expect(CharacterCard.macros("今天{{user}}有没有出去走走？", name: "Sol") == "今天你有没有出去走走？")
        #expect(CharacterCard.macros("Good to see {{user}} here", name: "Sol") == "Good to see you here")
        #expect(persona.triggers.newPost?.chance == 0.5, "SillyTavern's talkativeness when the card says none")
    }

    @Test("a sidecar sets engine, language, tone, triggers and limits for a card; its openers post on a quiet feed")
    func sidecar() async throws {
        let sidecar = """
            voice:
              language: en
              style: formal
            triggers:
              new_post: off
              quiet_feed: { after: 1h, max_per_day: 1 }
            limits:
              replies: 5/min
            tone:
              max_chars: 200
            """
        let catalog = PersonaCatalog.load(directory: try directory(with: Self.card("chara_card_v3"), sidecar: sidecar))
        let persona = try #require(catalog.personas["mira"], "\(catalog.allDiagnostics)")
        #expect(persona.voice.language == "en" && persona.voice.style == .formal)
        #expect(persona.triggers.newPost == nil && persona.triggers.quietFeed?.maxPerDay == 1)
        #expect(persona.limits.replies.count == 5)
        #expect(persona.tone.maxChars == 200)
        #expect(persona.voice.systemPrompt.contains("bookish"), "the card's own text stays")
        #expect(catalog.personas["mira.persona"] == nil, "the sidecar is no persona of its own")
        let request = ReplyRequest(persona: persona, kind: .opener, post: "", language: .english, seed: 1)
        #expect(persona.voice.openers.contains(OfflineResponder().compose(request)))
        let preview = try await PersonaPreview(persona: persona, catalog: catalog).run(post: "Any tips for reading more?", forceTrigger: true)
        #expect(preview.lines.first?.contains("persona: mira (Mira)") == true)
        #expect(preview.closestExample?.example.post == "Any tips?", "the card's example is the closest")
    }

    @Test("a sidecar's mistakes are reported in the sidecar, at their place")
    func sidecarErrors() throws {
        let catalog = PersonaCatalog.load(directory: try directory(with: Self.card("chara_card_v2"), sidecar: "voice:\n  system_prompt: no\n"))
        let problem = try #require(catalog.allDiagnostics.first { $0.severity == .error })
        #expect(problem.file.hasSuffix("mira.persona.yaml") && problem.line == 2 && problem.path == "voice.system_prompt", "\(problem)")
    }

    @Test("card fields of the wrong type are named, not ignored", arguments: [
        (#"{"name": 42}"#, "data.name"),
        (#"{"name": "Mira", "alternate_greetings": "hello there"}"#, "data.alternate_greetings"),
        (#"{"name": "Mira", "first_mes": 5}"#, "data.first_mes"),
        (#"{"name": "Mira", "extensions": {"talkativeness": "lots"}}"#, "data.extensions.talkativeness"),
    ])
    func wrongTypes(data: String, path: String) throws {
        let card = Data(#"{"spec": "chara_card_v2", "data": "#.utf8) + Data(data.utf8) + Data("}".utf8)
        guard case .failure(let errors) = CharacterCard.parse(card, file: "mira.json", id: "mira") else {
            Issue.record("accepted")
            return
        }
        #expect(errors.diagnostics.first?.path == path)
    }

    @Test("broken card JSON says where")
    func brokenJSON() throws {
        let text = "{\"spec\": \"chara_card_v2\",\n \"data\": {\"name\": tru}}"
        guard case .failure(let errors) = CharacterCard.parse(Data(text.utf8), file: "c.json", id: "card") else {
            Issue.record("accepted")
            return
        }
        let problem = try #require(errors.diagnostics.first)
        #expect(problem.line == 2, "\(problem)")
        #expect(problem.message.contains("not valid JSON"))
        // Columns count characters, not bytes, after Chinese text.
        let chinese = "{\"spec\": \"chara_card_v2\",\n \"data\": {\"name\": \"小太阳\" \"x\": 1}}"
        guard case .failure(let more) = CharacterCard.parse(Data(chinese.utf8), file: "c.json", id: "card") else {
            Issue.record("accepted")
            return
        }
        #expect(more.diagnostics.first?.line == 2)
        #expect(more.diagnostics.first?.column == 25, "at the second string, counted in characters: \(String(describing: more.diagnostics.first))")
    }
}
