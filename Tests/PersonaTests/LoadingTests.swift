import Foundation
import Testing
@testable import Persona

@Suite("Persona files")
struct LoadingTests {
    func parse(_ yaml: String, lexicons: Set<String> = ["politics"]) -> Result<Persona, PersonaFileErrors> {
        PersonaParser.parse(yaml, file: "personas/test.yaml", lexicons: lexicons)
    }

    func errors(_ yaml: String) -> [Diagnostic] {
        guard case .failure(let errors) = parse(yaml) else {
            Issue.record("expected errors")
            return []
        }
        return errors.diagnostics
    }

    @Test("a full persona parses into typed fields")
    func full() throws {
        let yaml = """
            id: kiki
            name: Kiki
            bio: Curious.
            voice:
              style: playful
              language: zh
              examples:
                - post: hi
                  reply: hello
              knowledge: [fact one]
            triggers:
              new_post: { chance: 0.5, delay: 2s..8s }
              keywords: [天气, weather]
              quiet_feed: { after: 30m, max_per_day: 3 }
              max_depth: 4
            limits:
              replies: 30/min burst 5
              per_thread: { replies: 3, cooldown: 0s }
              per_user: 5/min
              bot_chain: 2
            tone:
              max_chars: 280
              avoid_topics: [politics]
              on_violation: trim
              fallback: 好的
            responder:
              engine: openai
              base_url: https://api.example.com/v1
              model: m1
              api_key_env: LLM_API_KEY
              timeout: 20s
            """
        let persona = try parse(yaml).get()
        #expect(persona.id == "kiki")
        #expect(persona.voice.style == .playful)
        #expect(persona.voice.language == "zh")
        #expect(persona.voice.examples == [.init(post: "hi", reply: "hello")])
        #expect(persona.triggers.newPost == .init(chance: 0.5, delay: DelayRange(.seconds(2), .seconds(8))))
        #expect(persona.triggers.quietFeed == .init(after: .seconds(1800), maxPerDay: 3))
        #expect(persona.limits.replies == Rate(count: 30, period: .seconds(60), burst: 5))
        #expect(persona.limits.perThread.cooldown == .zero)
        #expect(persona.tone.onViolation == .trim)
        #expect(persona.tone.fallback == "好的")
        #expect(persona.responder.engine == .openai)
        #expect(persona.responder.apiKeyEnvironment == "LLM_API_KEY")
    }

    @Test("every error of a file is reported at once, with its exact position, path and a suggestion")
    func allErrors() {
        let yaml = """
            id: Kiki!
            name: Kiki
            voice:
              stlye: playful
            triggers:
              new_post: { chance: 1.5 }
            limits:
              replies: thirty
              per_thread: { replies: 3, cooldown: soon }
            tone:
              on_violation: regenrate
              avoid_topics: [politcs]
              max_emoji: -1
            responder:
              engine: openai
            """
        let found = errors(yaml).map(\.description)
        #expect(found.contains(#"personas/test.yaml:1:5: id: expected 2 to 32 lowercase letters, digits or dashes, got "Kiki!""#))
        #expect(found.contains(#"personas/test.yaml:4:3: voice.stlye: unknown key (did you mean "style"?)"#))
        #expect(found.contains("personas/test.yaml:6:23: triggers.new_post.chance: expected a number from 0.0 to 1.0, got 1.5"))
        #expect(found.contains(#"personas/test.yaml:8:12: limits.replies: expected a rate like "30/min" or "5/min burst 2", got "thirty""#))
        #expect(found.contains(#"personas/test.yaml:9:39: limits.per_thread.cooldown: expected a duration like "30s", "1.5s", "500ms", "5m" or "2h", got "soon""#))
        #expect(found.contains(#"personas/test.yaml:11:17: tone.on_violation: expected one of regenerate, trim, drop, got "regenrate" (did you mean "regenerate"?)"#))
        #expect(found.contains(#"personas/test.yaml:12:18: tone.avoid_topics[0]: there is no lexicon "politcs" (personas/lexicons/politcs.txt) (did you mean "politics"?)"#))
        #expect(found.contains("personas/test.yaml:13:14: tone.max_emoji: expected a whole number from 0 to 100, got -1"))
        #expect(found.contains(where: { $0.contains("responder.base_url: is required with engine: openai") }))
        #expect(found.contains(where: { $0.contains("responder.model: is required with engine: openai") }))
        #expect(found.count == 10)
    }

    @Test("missing required fields, wrong shapes and syntax errors", arguments: [
        ("name: x", "personas/test.yaml:1:1: id: is required (2 to 32 lowercase letters, digits or dashes)"),
        ("id: ab", "personas/test.yaml:1:1: name: is required: the display name of the persona's bot account"),
        ("- a\n- b", "personas/test.yaml:1:1: expected a mapping of fields, got a list"),
        ("id: ab\nname: [1, 2]", "personas/test.yaml:2:7: name: expected text, got a list"),
        ("id: ab\nname: x\nenabled: maybe", #"personas/test.yaml:3:10: enabled: expected true or false, got "maybe""#),
        ("id: ab\nname: x\ntriggers: { mention: [1] }", "personas/test.yaml:3:22: triggers.mention: expected true or false, got a list"),
        ("id: ab\nname: x\nvoice:\n  examples:\n    - post: hi", "personas/test.yaml:5:7: voice.examples[0]: each example needs both post and reply"),
        ("id: ab\nname: 'x\n", "personas/test.yaml:3:1: YAML syntax: found unexpected end of stream while scanning a quoted scalar"),
        ("id: ab\nid: cd\nname: x", "personas/test.yaml:2:1: id: appears twice in one mapping (first on line 1); keep one"),
        ("", "personas/test.yaml:1:1: the file is empty"),
    ])
    func shapes(yaml: String, expected: String) {
        let found = errors(yaml).map(\.description)
        #expect(found.contains(expected), "\(found)")
    }

    @Test("rates and delays parse as written")
    func rates() {
        #expect(Rate.parse("30/min") == Rate(count: 30, period: .seconds(60), burst: 30))
        #expect(Rate.parse("2/s burst 4") == Rate(count: 2, period: .seconds(1), burst: 4))
        #expect(Rate.parse("100/h")?.interval == .seconds(36))
        for bad in ["30", "thirty/min", "30/week", "0/min", "5/min burst", "5/min burst 0"] { #expect(Rate.parse(bad) == nil, "\(bad)") }
        #expect(DelayRange.parse("2s..8s") == DelayRange(.seconds(2), .seconds(8)))
        #expect(DelayRange.parse("500ms") == DelayRange(.milliseconds(500), .milliseconds(500)))
        #expect(DelayRange.parse("8s..2s") == nil)
        #expect(DurationSyntax.parse("5m") == .seconds(300))
        #expect(DurationSyntax.parse("2h") == .seconds(7200))
    }

    @Test("lexicons: Latin terms match whole words, CJK terms as substrings, case ignored")
    func lexicons() {
        let lexicon = Lexicon.parse(name: "politics", text: "# comment\nElection\n  选举  # trailing\n\npolitical party\n")
        #expect(lexicon.terms == ["election", "选举", "political party"])
        #expect(lexicon.firstMatch(in: "The ELECTION is near") == "election")
        #expect(lexicon.firstMatch(in: "preelections") == nil)
        #expect(lexicon.firstMatch(in: "今年的选举结果") == "选举")
        #expect(lexicon.firstMatch(in: "a Political Party rally") == "political party")
        #expect(lexicon.firstMatch(in: "partying politically") == nil)
    }

    @Test("the policy floor tightens limits and tone, never loosens them")
    func policyFloor() throws {
        let policy = try PolicyFloor.parse("""
            limits: { replies: 10/min, per_thread: { replies: 2, cooldown: 30s }, per_user: 2/min, bot_chain: 1 }
            tone: { max_chars: 100, max_emoji: 1, banned_phrases: [nope], avoid_topics: [politics], links: false, max_attempts: 2 }
            quiet_hours: "23:00..07:00"
            """, file: "policy.yaml", lexicons: ["politics", "sports"]).get()
        var persona = Persona(id: "ab", name: "Ab")
        persona.limits.replies = Rate.parse("60/min")!
        persona.limits.perThread = .init(replies: 1, cooldown: .seconds(10))
        persona.tone.maxChars = 50
        persona.tone.links = true
        persona.tone.avoidTopics = ["sports"]
        let (merged, notes) = policy.apply(to: persona)
        #expect(merged.limits.replies == Rate(count: 10, period: .seconds(60), burst: 10))
        #expect(merged.limits.perThread.replies == 1, "the persona's stricter value stays")
        #expect(merged.limits.perThread.cooldown == .seconds(30))
        #expect(merged.limits.perUser.count == 2)
        #expect(merged.limits.botChain == 1)
        #expect(merged.tone.maxChars == 50)
        #expect(merged.tone.maxEmoji == 1)
        #expect(merged.tone.links == false)
        #expect(merged.tone.bannedPhrases == ["nope"])
        #expect(merged.tone.avoidTopics == ["sports", "politics"])
        #expect(notes.count == 6)
        #expect(policy.isQuiet(hour: 23) && policy.isQuiet(hour: 3) && !policy.isQuiet(hour: 7) && !policy.isQuiet(hour: 12))
    }

    @Test("quiet hours in the operator's time zone; an unknown zone is an error at its line")
    func quietHoursZone() throws {
        let shanghai = try PolicyFloor.parse(
            "quiet_hours: \"01:00..07:00\"\nquiet_hours_zone: Asia/Shanghai\n", file: "policy.yaml", lexicons: []).get()
        // 2026-11-30 18:30 UTC is 02:30 in Shanghai: quiet there, not in UTC.
        let evening: Int64 = 1_796_063_400_000
        #expect(shanghai.hour(atMilliseconds: evening) == 2)
        #expect(shanghai.isQuiet(hour: shanghai.hour(atMilliseconds: evening)))
        #expect(PolicyFloor().hour(atMilliseconds: evening) == 18)
        guard case .failure(let errors) = PolicyFloor.parse("quiet_hours_zone: Mars/Olympus\n", file: "policy.yaml", lexicons: []) else {
            Issue.record("accepted")
            return
        }
        #expect(errors.diagnostics.first?.line == 1 && errors.diagnostics.first?.path == "quiet_hours_zone")
    }

    @Test("character cards V2 and V3 import onto a persona", arguments: ["chara_card_v2", "chara_card_v3"])
    func cards(spec: String) throws {
        let card: [String: Any] = [
            "spec": spec, "spec_version": spec == "chara_card_v2" ? "2.0" : "3.0",
            "data": [
                "name": "Aria", "description": "A cheerful bard.\nShe sings.", "personality": "warm, witty",
                "scenario": "A tavern.", "system_prompt": "You are {{char}}.", "post_history_instructions": "Stay in character.",
                "mes_example": "<START>\n{{user}}: Sing for us!\n{{char}}: With pleasure!\n<START>\n{{user}}: 你好\n{{char}}: 你好呀",
                "extensions": ["talkativeness": "0.4"],
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: card)
        let persona = try CharacterCard.parse(data, file: "personas/aria.json", id: "aria").get()
        #expect(persona.id == "aria")
        #expect(persona.name == "Aria")
        #expect(persona.bio == "A cheerful bard.")
        #expect(persona.voice.systemPrompt.hasPrefix("You are Aria."))
        #expect(persona.voice.systemPrompt.contains("Personality: warm, witty"))
        #expect(persona.voice.systemPrompt.contains("Scenario: A tavern."))
        #expect(persona.voice.systemPrompt.contains("Stay in character."))
        #expect(persona.voice.examples == [.init(post: "Sing for us!", reply: "With pleasure!"), .init(post: "你好", reply: "你好呀")])
        #expect(persona.triggers.newPost?.chance == 0.4)
        #expect(persona.limits == Limits(), "everything else takes the defaults")
    }

    @Test("bad cards say what is wrong")
    func badCards() throws {
        let noSpec = try JSONSerialization.data(withJSONObject: ["data": ["name": "x"]])
        guard case .failure(let errors) = CharacterCard.parse(noSpec, file: "c.json", id: "card") else { Issue.record("expected failure"); return }
        #expect(errors.diagnostics.first?.description.contains("chara_card_v2") == true)
        guard case .failure = CharacterCard.parse(Data("{".utf8), file: "c.json", id: "card") else { Issue.record("expected failure"); return }
        guard case .failure = CharacterCard.parse(noSpec, file: "c.json", id: "Bad Name") else { Issue.record("expected failure"); return }
    }

    @Test("the shipped personas, policy and lexicons pass check")
    func shipped() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("personas").path
        let catalog = PersonaCatalog.load(directory: directory)
        #expect(!catalog.hasErrors, "\(catalog.allDiagnostics)")
        #expect(Set(catalog.personas.keys).isSuperset(of: ["kiki", "robo", "factcheck"]))
        #expect(Set(catalog.personas.values.map(\.voice.style)).count == 3, "they differ in voice")
        #expect(catalog.policy.tone?.bannedPhrases.isEmpty == false)
        #expect(catalog.lexicons["politics"]?.terms.contains("选举") == true)
    }
}
