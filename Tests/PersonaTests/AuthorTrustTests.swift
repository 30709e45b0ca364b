import Foundation
import Testing
@testable import Persona

/// Persona files come from authors, not from root (issue 17): no YAML aliases, no server
/// secrets as API keys, no keys over plain http, no huge files.
@Suite("Persona files and trust")
struct AuthorTrustTests {
    @Test("anchors and aliases are found where a node starts, and only there", arguments: [
        ("a: &x 1\nb: *x\n", YAMLAnchors.Found(line: 1, column: 4, isAlias: false, name: "x")),
        ("list:\n  - *ref\n", YAMLAnchors.Found(line: 2, column: 5, isAlias: true, name: "ref")),
        ("flow: [a, &b c]\n", YAMLAnchors.Found(line: 1, column: 11, isAlias: false, name: "b")),
        ("k: !!str &t v\n", YAMLAnchors.Found(line: 1, column: 10, isAlias: false, name: "t")),
        // Every YAML line break ends a comment and a line, not only LF; a BOM is no text.
        ("# persona\r\nb: &a [x]\r\n", YAMLAnchors.Found(line: 2, column: 4, isAlias: false, name: "a")),
        ("a: 1 #\rb: &x [lol]\rc: *x\n", YAMLAnchors.Found(line: 2, column: 4, isAlias: false, name: "x")),
        ("a: 1 #\u{2028}b: &x [lol]\n", YAMLAnchors.Found(line: 2, column: 4, isAlias: false, name: "x")),
        ("\u{FEFF}[&a [lol], *a]\n", YAMLAnchors.Found(line: 1, column: 2, isAlias: false, name: "a")),
        // A block scalar ends where its content's indentation ends, not at its header line's.
        ("x:\n- a: |\n    t\n  b: &a [lol]\n", YAMLAnchors.Found(line: 4, column: 6, isAlias: false, name: "a")),
        ("x:\n- a: |\n  b: &a [lol]\n", YAMLAnchors.Found(line: 3, column: 6, isAlias: false, name: "a")),
    ])
    func anchorsFound(text: String, expected: YAMLAnchors.Found) {
        #expect(YAMLAnchors.first(in: text) == expected)
    }

    @Test("ampersands and asterisks in text are text", arguments: [
        "terms: [call 911, a&e, R&D]\n",
        "reply: this is *great* news & more\n",
        "quoted: \"&not an anchor\"\nsingle: '*nor an alias'\n",
        "block: |\n  &literal text\n  *also text\nnext: 1\n",
        "# &comment\nkey: value # *comment\n",
        "multi: \"starts here\n  &still quoted\"\n",
    ])
    func textIsText(text: String) {
        #expect(YAMLAnchors.first(in: text) == nil)
    }

    @Test("the shipped persona directory has no anchors")
    func shippedFilesPass() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let catalog = PersonaCatalog.load(directory: root.appendingPathComponent("personas").path)
        #expect(!catalog.hasErrors, "\(catalog.allDiagnostics)")
    }

    @Test("api_key_env may not name GATEWAYD_ variables nor any outside the allowlist; base_url is https unless loopback or allowed")
    func engineAccess() {
        let standard = EngineAccess()
        #expect(standard.refusal(apiKeyVariable: "LLM_API_KEY") == nil)
        #expect(standard.refusal(apiKeyVariable: "GATEWAYD_JWT_SECRET") != nil)
        #expect(standard.refusal(apiKeyVariable: "GATEWAYD_OPENAI_API_KEY") != nil, "GATEWAYD_ is refused even when it matches")
        #expect(standard.refusal(apiKeyVariable: "HOME") != nil)
        #expect(standard.refusal(baseURL: "https://api.example.com/v1") == nil)
        #expect(standard.refusal(baseURL: "http://api.example.com/v1") != nil)
        #expect(standard.refusal(baseURL: "http://127.0.0.1:8081/v1") == nil)
        #expect(standard.refusal(baseURL: "http://[::1]:8081/v1") == nil)
        #expect(standard.refusal(baseURL: "ftp://example.com") != nil)
        #expect(standard.refusal(baseURL: "http://127.0.0.1.nip.io/v1") != nil, "a name that starts like loopback is not loopback")
        #expect(standard.refusal(baseURL: "http://127.evil.example/v1") != nil)
        #expect(standard.refusal(baseURL: "http://127.0.0.1@evil.example/v1") != nil, "userinfo does not make a host")
        #expect(standard.refusal(baseURL: "HTTP://evil.example/v1") != nil)
        let allowed = EngineAccess(apiKeyVariables: ["MODEL_TOKEN"], hosts: ["models.lan"])
        #expect(allowed.refusal(apiKeyVariable: "MODEL_TOKEN") == nil)
        #expect(allowed.refusal(apiKeyVariable: "LLM_API_KEY") != nil)
        #expect(allowed.refusal(baseURL: "http://models.lan:8000/v1") == nil)
        #expect(allowed.refusal(baseURL: "https://api.example.com/v1") != nil, "listed hosts only, once the operator lists any")
    }

    @Test("a persona naming the server's secret is refused with the line and column of api_key_env")
    func secretRefusedAtCheck() throws {
        let text = "id: thief\nname: Thief\nresponder:\n  engine: openai\n  base_url: https://x.example/v1\n  model: m\n  api_key_env: GATEWAYD_JWT_SECRET\n"
        guard case .failure(let errors) = PersonaParser.parse(text, file: "thief.yaml", lexicons: []) else {
            Issue.record("the file was accepted")
            return
        }
        let diagnostic = try #require(errors.diagnostics.first)
        #expect(diagnostic.line == 7 && diagnostic.path == "responder.api_key_env", "\(diagnostic)")
    }

    @Test("an alias bomb is refused before it is composed")
    func aliasBomb() {
        var text = "id: bomb\nname: Bomb\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (previous, name) in zip("abcdefgh", "bcdefghi") {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        guard case .failure(let errors) = PersonaParser.parse(text, file: "bomb.yaml", lexicons: []) else {
            Issue.record("the file was accepted")
            return
        }
        #expect(errors.diagnostics.first?.line == 3)
    }

    @Test("files over 1 MiB in the personas directory are refused, character cards included")
    func hugeFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let card = #"{"spec":"chara_card_v2","data":{"name":"Huge","description":""# + String(repeating: "x", count: 1 << 20) + #""}}"#
        try card.write(toFile: directory + "/huge.json", atomically: true, encoding: .utf8)
        let catalog = PersonaCatalog.load(directory: directory)
        #expect(catalog.personas["huge"] == nil)
        #expect(catalog.allDiagnostics.contains { $0.message.contains("at most 1024 KiB") })
    }
}
