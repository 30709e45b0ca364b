import Foundation
public import Yams

/// Turns a persona file's text into a `Persona`, or into every problem the file has.
public enum PersonaParser {
    static let topKeys = ["id", "name", "bio", "enabled", "voice", "triggers", "limits", "tone", "responder", "situations"]
    static let voiceKeys = ["style", "language", "system_prompt", "examples", "knowledge", "phrases"]
    static let triggerKeys = ["new_post", "mention", "reply_to_me", "keywords", "reply_delay", "quiet_feed", "ignore_bots", "max_depth"]
    static let limitKeys = ["replies", "per_thread", "per_user", "bot_chain"]
    static let toneKeys = ["max_chars", "max_emoji", "banned_phrases", "avoid_topics", "links", "on_violation", "max_attempts", "fallback"]
    /// Each section's keys by key, for pointing a misplaced key to its section.
    static let keyHomes: [String: String] = {
        var homes: [String: String] = [:]
        for (section, keys) in [("voice", voiceKeys), ("triggers", triggerKeys), ("limits", limitKeys), ("tone", toneKeys), ("responder", responderKeys)] {
            for key in keys { homes[key] = homes[key] ?? section }
        }
        for key in topKeys { homes[key] = "" }
        return homes.filter { !$0.value.isEmpty }
    }()

    static let responderKeys = [
        "engine", "base_url", "model", "api_key_env", "temperature", "max_tokens", "timeout", "deadline", "max_retries", "max_concurrency",
        "context_chars", "fallback_engine", "extra_body", "max_tokens_per_day",
    ]

    /// Parses a persona file. `lexicons` are the names `tone.avoid_topics` may use.
    public static func parse(_ text: String, file: String, lexicons: Set<String>,
                             engineAccess: EngineAccess = EngineAccess()) -> Result<Persona, PersonaFileErrors> {
        var reader: NodeReader
        let root: Node
        let fields: [String: Node]
        switch topLevel(text, file: file, allowed: topKeys) {
        case .success(let top): (reader, root, fields) = top
        case .failure(let errors): return .failure(errors)
        }
        var persona = Persona(id: "", name: "", source: file)

        if let node = fields["id"] {
            if let id = reader.string(node, "id"), isValidID(id) {
                persona.id = id
            } else if let id = node.scalar?.string {
                reader.error(node, "id", "expected 2 to 32 lowercase letters, digits or dashes, got \"\(id)\"")
            }
        } else {
            reader.error(root, "id", "is required (2 to 32 lowercase letters, digits or dashes)")
        }
        if let node = fields["name"] {
            persona.name = reader.string(node, "name", allowEmpty: false, maxLength: 64) ?? ""
        } else {
            reader.error(root, "name", "is required: the display name of the persona's bot account")
        }
        if let node = fields["bio"] { persona.bio = reader.string(node, "bio", maxLength: 500) ?? "" }
        if let node = fields["voice"] { persona.voice = parseVoice(node, &reader) }
        applySections(fields, to: &persona, &reader, lexicons: lexicons, engineAccess: engineAccess)

        let errors = reader.diagnostics.filter { $0.severity == .error }
        return errors.isEmpty ? .success(persona) : .failure(PersonaFileErrors(reader.diagnostics))
    }

    /// A persona-shaped file's top-level fields, with the reader (which knows where keys live)
    /// that read them.
    private static func topLevel(_ text: String, file: String, allowed: [String]) -> Result<(NodeReader, Node, [String: Node]), PersonaFileErrors> {
        var reader = NodeReader(file: file)
        reader.homes = keyHomes
        switch YAMLSyntax.document(text, file: file) {
        case .failure(let errors):
            return .failure(errors)
        case .success(let root):
            guard let fields = reader.fields(root, "", allowed: allowed) else { return .failure(PersonaFileErrors(reader.diagnostics)) }
            return .success((reader, root, fields))
        }
    }

    /// The sections a persona file and a card's sidecar file share.
    static func applySections(_ fields: [String: Node], to persona: inout Persona, _ reader: inout NodeReader, lexicons: Set<String>,
                              engineAccess: EngineAccess) {
        if let node = fields["enabled"] { persona.enabled = reader.bool(node, "enabled") ?? true }
        if let node = fields["triggers"] { persona.triggers = parseTriggers(node, &reader) }
        if let node = fields["limits"] { persona.limits = parseLimits(node, "limits", &reader, defaults: Limits()) }
        if let node = fields["tone"] { persona.tone = parseTone(node, "tone", &reader, lexicons: lexicons, defaults: Tone()) }
        if let node = fields["responder"] { persona.responder = parseResponder(node, &reader, access: engineAccess) }
        if let node = fields["situations"] { persona.situations = SituationPolicy.parseActions(node, "situations", &reader) }
    }

    /// The keys of a card's sidecar file (`<card>.persona.yaml`): what a card cannot say.
    static let sidecarKeys = ["enabled", "voice", "triggers", "limits", "tone", "responder", "situations"]
    /// The voice fields a sidecar may set; the card's own text stays the card's.
    static let sidecarVoiceKeys = ["style", "language", "phrases"]

    /// Applies a card's sidecar file on top of the persona the card made.
    public static func applySidecar(_ text: String, file: String, to card: Persona, lexicons: Set<String>,
                                    engineAccess: EngineAccess = EngineAccess()) -> Result<Persona, PersonaFileErrors> {
        var reader: NodeReader
        let fields: [String: Node]
        switch topLevel(text, file: file, allowed: sidecarKeys) {
        case .success(let top): (reader, _, fields) = top
        case .failure(let errors): return .failure(errors)
        }
        var persona = card
        if let node = fields["voice"], let voiceFields = reader.fields(node, "voice", allowed: sidecarVoiceKeys) {
            let parsed = parseVoice(node, &reader)
            if voiceFields["style"] != nil { persona.voice.style = parsed.style }
            if voiceFields["language"] != nil { persona.voice.language = parsed.language }
            if voiceFields["phrases"] != nil { persona.voice.phrases = parsed.phrases }
        }
        applySections(fields, to: &persona, &reader, lexicons: lexicons, engineAccess: engineAccess)
        let errors = reader.diagnostics.filter { $0.severity == .error }
        return errors.isEmpty ? .success(persona) : .failure(PersonaFileErrors(reader.diagnostics))
    }

    public static func isValidID(_ id: String) -> Bool {
        (2...32).contains(id.count) && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    static func parseVoice(_ node: Node, _ reader: inout NodeReader) -> Voice {
        var voice = Voice()
        guard let fields = reader.fields(node, "voice", allowed: voiceKeys) else { return voice }
        if let node = fields["style"] { voice.style = reader.choice(node, "voice.style", as: Voice.Style.self) ?? .neutral }
        if let node = fields["language"], let language = reader.string(node, "voice.language") {
            if language == "match" || Voice.languages[language] != nil {
                voice.language = language
            } else {
                // YAML 1.1 reads a bare `no` (Norwegian) as false; either way it is not one we speak.
                let known = Voice.languages.keys.sorted().joined(separator: ", ")
                reader.error(
                    node, "voice.language",
                    "\"\(language)\" is not a language the engines and the language check know; use match (answer in the language of the post) or one of \(known)",
                    suggestion: Spelling.suggestion(for: language, among: ["match"] + Voice.languages.keys.sorted()))
            }
        }
        if let node = fields["system_prompt"] { voice.systemPrompt = reader.string(node, "voice.system_prompt", maxLength: 8000) ?? "" }
        if let node = fields["knowledge"] { voice.knowledge = reader.strings(node, "voice.knowledge") ?? [] }
        if let node = fields["phrases"] { voice.phrases = parsePhrases(node, &reader) }
        if let node = fields["examples"] {
            if case .sequence(let items) = node {
                for (index, item) in items.enumerated() {
                    let path = "voice.examples[\(index)]"
                    guard let pair = reader.fields(item, path, allowed: ["post", "reply"]) else { continue }
                    guard let post = pair["post"], let reply = pair["reply"] else {
                        reader.error(item, path, "each example needs both post and reply")
                        continue
                    }
                    if let post = reader.string(post, "\(path).post", allowEmpty: false, maxLength: 2000),
                        let reply = reader.string(reply, "\(path).reply", allowEmpty: false, maxLength: 2000)
                    {
                        voice.examples.append(.init(post: post, reply: reply))
                    }
                }
            } else if !reader.isNull(node) {
                reader.error(node, "voice.examples", "expected a list of {post, reply} pairs, got \(reader.describe(node))")
            }
        }
        return voice
    }

    /// `voice.phrases`: per situation, per language (en, zh), a list of texts; `{name}`,
    /// `{subject}` and `{help}` are filled in.
    static func parsePhrases(_ node: Node, _ reader: inout NodeReader) -> [Situation: [TextScript.Language: [String]]] {
        var phrases: [Situation: [TextScript.Language: [String]]] = [:]
        guard let situations = reader.fields(node, "voice.phrases", allowed: Situation.allCases.map(\.rawValue)) else { return phrases }
        for (name, languagesNode) in situations {
            guard let situation = Situation(rawValue: name),
                let languages = reader.fields(languagesNode, "voice.phrases.\(name)", allowed: ["en", "zh"])
            else { continue }
            for (code, list) in languages {
                guard let language = TextScript.Language(rawValue: code), let texts = reader.strings(list, "voice.phrases.\(name).\(code)", maxLength: 500)
                else { continue }
                for text in texts {
                    var rest = Substring(text)
                    while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                        let placeholder = String(rest[rest.index(after: open)..<close])
                        if !["name", "subject", "help"].contains(placeholder) {
                            reader.error(list, "voice.phrases.\(name).\(code)", "\"{\(placeholder)}\" is not a placeholder; use {name}, {subject} or {help}",
                                         suggestion: Spelling.suggestion(for: placeholder, among: ["name", "subject", "help"]))
                        }
                        rest = rest[rest.index(after: close)...]
                    }
                }
                phrases[situation, default: [:]][language] = texts
            }
        }
        return phrases
    }

    /// `off`, `false` or `no` where a section may be switched off (YAML 1.1 reads them as false).
    static func isOff(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["off", "false", "no"].contains(scalar.string.lowercased())
    }

    static func parseTriggers(_ node: Node, _ reader: inout NodeReader) -> Triggers {
        var triggers = Triggers()
        guard let fields = reader.fields(node, "triggers", allowed: triggerKeys) else { return triggers }
        if let node = fields["new_post"], !reader.isNull(node), !isOff(node) {
            if let post = reader.fields(node, "triggers.new_post", allowed: ["chance", "delay"]) {
                let chance = post["chance"].flatMap { reader.number($0, "triggers.new_post.chance", range: 0...1) } ?? 1
                let delay = post["delay"].flatMap { reader.delay($0, "triggers.new_post.delay") } ?? DelayRange(.seconds(2), .seconds(8))
                triggers.newPost = .init(chance: chance, delay: delay)
            }
        }
        if let node = fields["mention"] { triggers.mention = reader.bool(node, "triggers.mention") ?? true }
        if let node = fields["reply_to_me"] { triggers.replyToMe = reader.bool(node, "triggers.reply_to_me") ?? true }
        if let node = fields["keywords"] { triggers.keywords = reader.strings(node, "triggers.keywords", maxLength: 100) ?? [] }
        if let node = fields["reply_delay"] { triggers.replyDelay = reader.delay(node, "triggers.reply_delay") ?? triggers.replyDelay }
        if let node = fields["quiet_feed"], !reader.isNull(node) {
            if let quiet = reader.fields(node, "triggers.quiet_feed", allowed: ["after", "max_per_day"]) {
                let after = quiet["after"].flatMap {
                    reader.duration($0, "triggers.quiet_feed.after", range: .seconds(60) ... .seconds(7 * 86_400))
                } ?? .seconds(1800)
                let perDay = quiet["max_per_day"].flatMap { reader.integer($0, "triggers.quiet_feed.max_per_day", range: 1...48) } ?? 3
                triggers.quietFeed = .init(after: after, maxPerDay: perDay)
            }
        }
        if let node = fields["ignore_bots"] { triggers.ignoreBots = reader.bool(node, "triggers.ignore_bots") ?? true }
        if let node = fields["max_depth"] { triggers.maxDepth = reader.integer(node, "triggers.max_depth", range: 0...20) ?? 3 }
        return triggers
    }

    static func parseLimits(_ node: Node, _ path: String, _ reader: inout NodeReader, defaults: Limits) -> Limits {
        var limits = defaults
        guard let fields = reader.fields(node, path, allowed: limitKeys) else { return limits }
        if let node = fields["replies"] { limits.replies = reader.rate(node, "\(path).replies") ?? limits.replies }
        if let node = fields["per_user"] { limits.perUser = reader.rate(node, "\(path).per_user") ?? limits.perUser }
        if let node = fields["bot_chain"] { limits.botChain = reader.integer(node, "\(path).bot_chain", range: 1...10) ?? limits.botChain }
        if let node = fields["per_thread"], let thread = reader.fields(node, "\(path).per_thread", allowed: ["replies", "cooldown"]) {
            if let node = thread["replies"] {
                limits.perThread.replies = reader.integer(node, "\(path).per_thread.replies", range: 1...1000) ?? limits.perThread.replies
            }
            if let node = thread["cooldown"] {
                limits.perThread.cooldown = reader.duration(node, "\(path).per_thread.cooldown") ?? limits.perThread.cooldown
            }
        }
        return limits
    }

    static func parseTone(_ node: Node, _ path: String, _ reader: inout NodeReader, lexicons: Set<String>, defaults: Tone) -> Tone {
        var tone = defaults
        guard let fields = reader.fields(node, path, allowed: toneKeys) else { return tone }
        if let node = fields["max_chars"] { tone.maxChars = reader.integer(node, "\(path).max_chars", range: 1...4000) ?? tone.maxChars }
        if let node = fields["max_emoji"] { tone.maxEmoji = reader.integer(node, "\(path).max_emoji", range: 0...100) ?? tone.maxEmoji }
        if let node = fields["banned_phrases"] { tone.bannedPhrases = reader.strings(node, "\(path).banned_phrases", maxLength: 200) ?? [] }
        if let node = fields["avoid_topics"], let topics = reader.strings(node, "\(path).avoid_topics", maxLength: 64) {
            for (index, topic) in topics.enumerated() where !lexicons.contains(topic) {
                let item = node.sequence.map { Array($0) }?[index]
                reader.error(item ?? node, "\(path).avoid_topics[\(index)]",
                             "there is no lexicon \"\(topic)\" (\(((reader.file as NSString).deletingLastPathComponent as NSString).appendingPathComponent("lexicons/\(topic).txt")))",
                             suggestion: Spelling.suggestion(for: topic, among: lexicons.sorted()))
            }
            tone.avoidTopics = topics
        }
        if let node = fields["links"] { tone.links = reader.bool(node, "\(path).links") ?? tone.links }
        if let node = fields["on_violation"] { tone.onViolation = reader.choice(node, "\(path).on_violation", as: Tone.Action.self) ?? tone.onViolation }
        if let node = fields["max_attempts"] { tone.maxAttempts = reader.integer(node, "\(path).max_attempts", range: 1...5) ?? tone.maxAttempts }
        if let node = fields["fallback"] {
            tone.fallback = reader.isNull(node) ? nil : reader.string(node, "\(path).fallback", allowEmpty: false, maxLength: 1000)
        }
        return tone
    }

    static func parseResponder(_ node: Node, _ reader: inout NodeReader, access: EngineAccess) -> ResponderSettings {
        var settings = ResponderSettings()
        guard let fields = reader.fields(node, "responder", allowed: responderKeys) else { return settings }
        if let node = fields["engine"] { settings.engine = reader.choice(node, "responder.engine", as: ResponderSettings.Engine.self) ?? .offline }
        if let node = fields["base_url"], let url = reader.string(node, "responder.base_url", allowEmpty: false) {
            if let refusal = access.refusal(baseURL: url) {
                reader.error(node, "responder.base_url", refusal)
            } else {
                settings.baseURL = url
            }
        }
        if let node = fields["model"] { settings.model = reader.string(node, "responder.model", allowEmpty: false, maxLength: 200) }
        if let node = fields["api_key_env"], let name = reader.string(node, "responder.api_key_env", allowEmpty: false) {
            let valid = name.first.map { $0.isLetter || $0 == "_" } == true && name.allSatisfy { ($0.isLetter && $0.isASCII) || $0.isNumber || $0 == "_" }
            if !valid {
                reader.error(node, "responder.api_key_env", "expected the name of an environment variable like LLM_API_KEY (the key itself never goes in this file)")
            } else if let refusal = access.refusal(apiKeyVariable: name) {
                reader.error(node, "responder.api_key_env", refusal)
            } else {
                settings.apiKeyEnvironment = name
            }
        }
        if let node = fields["temperature"] { settings.temperature = reader.number(node, "responder.temperature", range: 0...2) }
        if let node = fields["max_tokens"] { settings.maxTokens = reader.integer(node, "responder.max_tokens", range: 1...32_000) }
        if let node = fields["timeout"] {
            settings.timeout = reader.duration(node, "responder.timeout", range: .seconds(1) ... .seconds(600)) ?? settings.timeout
        }
        if let node = fields["deadline"] {
            settings.deadline = reader.duration(node, "responder.deadline", range: .seconds(1) ... .seconds(1800)) ?? settings.deadline
        }
        if let node = fields["max_retries"] { settings.maxRetries = reader.integer(node, "responder.max_retries", range: 0...10) ?? settings.maxRetries }
        if let node = fields["max_concurrency"] {
            settings.maxConcurrency = reader.integer(node, "responder.max_concurrency", range: 1...256) ?? settings.maxConcurrency
        }
        if let node = fields["max_tokens_per_day"] {
            settings.maxTokensPerDay = reader.integer(node, "responder.max_tokens_per_day", range: 1...1_000_000_000)
        }
        if let node = fields["context_chars"] {
            settings.contextBudget = reader.integer(node, "responder.context_chars", range: 200...200_000) ?? settings.contextBudget
        }
        if let node = fields["fallback_engine"] {
            settings.fallbackEngine = reader.choice(node, "responder.fallback_engine", as: ResponderSettings.FallbackEngine.self) ?? .offline
        }
        if let node = fields["extra_body"] {
            if case .object(let fields) = reader.jsonLiteral(node, "responder.extra_body") {
                settings.extraBody = fields
            } else {
                reader.error(node, "responder.extra_body", "expected a mapping of request fields, like { top_p: 0.9 }")
            }
        }
        if settings.deadline < settings.timeout {
            reader.error(node, "responder.deadline", "must be at least the timeout (\(DurationSyntax.format(settings.timeout)))")
        }
        if settings.engine == .openai {
            if settings.baseURL == nil { reader.error(node, "responder.base_url", "is required with engine: openai") }
            if settings.model == nil { reader.error(node, "responder.model", "is required with engine: openai") }
        }
        return settings
    }
}

/// All the problems of one file.
public struct PersonaFileErrors: Error, Sendable, Equatable {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }
}

/// Syntax errors from the YAML parser, with their position.
public enum YAMLSyntax {
    /// The document's root node (nil for an empty document), or its syntax error as a diagnostic.
    public static func compose(_ text: String, file: String) throws(Diagnostic) -> Node? {
        if let found = YAMLAnchors.first(in: text) {
            throw Diagnostic(
                file: file, line: found.line, column: found.column, path: "",
                message: "YAML \(found.isAlias ? "aliases" : "anchors") (\(found.isAlias ? "*" : "&")\(found.name)) are not allowed here: write the value out in full (an alias can make a few hundred bytes stand for billions of entries)")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw explained(diagnostic(for: error, file: file), in: text, error: error)
        }
        // Should an alias slip past the scan, it shows here: a document cannot hold more nodes
        // than it has characters unless something in it stands for more than itself.
        var budget = text.unicodeScalars.count + 16
        if let root, !fits(root, within: &budget) {
            throw Diagnostic(file: file, line: 1, column: 1, path: "", message: "the file expands to more entries than it has characters: YAML aliases are not allowed here")
        }
        return root
    }

    /// Walks at most `budget` nodes; false when there are more.
    private static func fits(_ node: Node, within budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar, .alias:
            return true
        case .sequence(let sequence):
            return sequence.allSatisfy { fits($0, within: &budget) }
        case .mapping(let mapping):
            return mapping.allSatisfy { fits($0.key, within: &budget) && fits($0.value, within: &budget) }
        }
    }

    /// The root of a document that must not be empty, or what is wrong with it.
    static func document(_ text: String, file: String) -> Result<Node, PersonaFileErrors> {
        do {
            guard let node = try compose(text, file: file) else {
                return .failure(PersonaFileErrors([Diagnostic(file: file, line: 1, column: 1, path: "", message: "the file is empty")]))
            }
            return .success(node)
        } catch {
            return .failure(PersonaFileErrors([error]))
        }
    }

    /// libyaml's words made the author's: a tab is called a tab, and a duplicate key is shown
    /// where it is repeated, with its dotted path.
    static func explained(_ diagnostic: Diagnostic, in text: String, error: any Error) -> Diagnostic {
        var diagnostic = diagnostic
        let lines = YAMLAnchors.lines(of: text)
        if diagnostic.message.contains("cannot start any token"), diagnostic.line >= 1, diagnostic.line <= lines.count,
            let column = lines[diagnostic.line - 1].firstIndex(of: "\t")
        {
            diagnostic.column = column + 1
            diagnostic.message = "a tab character: YAML indents with spaces only; replace the tab with spaces"
        }
        if case YamlError.duplicatedKeysInMapping(let duplicates, let context)? = error as? YamlError, let key = duplicates.first {
            let first = context.mark.line
            let indent = first >= 1 && first <= lines.count ? lines[first - 1].prefix { $0 == " " || $0 == "-" }.count : 0
            // The next line at the same indentation that starts with the same key.
            if let repeated = (first..<lines.count).first(where: { index in
                let line = lines[index]
                return line.prefix { $0 == " " || $0 == "-" }.count == indent
                    && String(String.UnicodeScalarView(line.dropFirst(indent))).hasPrefix(key + ":")
            }) {
                diagnostic.line = repeated + 1
                diagnostic.column = indent + 1
            }
            diagnostic.path = dottedPath(to: diagnostic.line, indent: indent, key: key, lines: lines)
            diagnostic.message = "appears twice in one mapping (first on line \(first)); keep one"
        }
        return diagnostic
    }

    /// Where a dotted key path (`limits.per_thread.cooldown`) is written in block or flow YAML, as
    /// far as it is: the deepest key found, so a note lands on the field or at least its section.
    static func position(of path: String, in text: String) -> (line: Int, column: Int)? {
        let keys = path.split(separator: ".").map(String.init)
        var found: (line: Int, column: Int)?
        var matched = 0
        var parentIndent = -1
        for (index, line) in YAMLAnchors.lines(of: text).enumerated() where matched < keys.count {
            let indent = line.prefix { $0 == " " }.count
            guard indent < line.count, line[indent] != "#" else { continue }
            if matched > 0 && indent <= parentIndent { break }
            let content = String(String.UnicodeScalarView(line.dropFirst(indent)))
            guard content.hasPrefix(keys[matched] + ":"), matched > 0 || indent == 0 else { continue }
            found = (index + 1, indent + 1)
            parentIndent = indent
            matched += 1
            // The rest of the path may be in a flow mapping on the same line: `{ replies: 2, … }`.
            var rest = content.dropFirst(keys[matched - 1].count + 1)
            while matched < keys.count, let range = rest.range(of: keys[matched] + ":") {
                found = (index + 1, indent + 1 + content.distance(from: content.startIndex, to: range.lowerBound))
                rest = rest[range.upperBound...]
                matched += 1
            }
        }
        return found
    }

    /// `voice.style` for a key on `line`: the keys of the less indented lines above it.
    static func dottedPath(to line: Int, indent: Int, key: String, lines: [[Unicode.Scalar]]) -> String {
        var path = [key]
        var level = indent
        for index in stride(from: line - 2, through: 0, by: -1) where level > 0 {
            let text = lines[index]
            let lineIndent = text.prefix { $0 == " " }.count
            guard lineIndent < level, lineIndent < text.count, text[lineIndent] != "#" else { continue }
            let content = String(String.UnicodeScalarView(text.dropFirst(lineIndent)))
            guard let colon = content.firstIndex(of: ":") else { continue }
            path.insert(String(content[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "- ")), at: 0)
            level = lineIndent
        }
        return path.joined(separator: ".")
    }

    static func diagnostic(for error: any Error, file: String) -> Diagnostic {
        if let yaml = error as? YamlError {
            switch yaml {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                let detail = context.map { "\(problem) \($0.text)" } ?? problem
                return Diagnostic(file: file, line: mark.line, column: mark.column, path: "", message: "YAML syntax: \(detail)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                return Diagnostic(file: file, line: context.mark.line, column: context.mark.column, path: "",
                                  message: "the key \(duplicates.joined(separator: ", ")) appears twice in one mapping")
            default:
                break
            }
        }
        return Diagnostic(file: file, line: 1, column: 1, path: "", message: "YAML syntax: \(error)")
    }
}
