public import Foundation

/// Import of Character Card V2 and V3 JSON (`spec: chara_card_v2` / `chara_card_v3`), the format
/// SillyTavern and similar tools export, mapped onto a persona as PERSONA.md describes. What a
/// card cannot say (engine, language, tone, triggers, limits) comes from its sidecar file,
/// `<card>.persona.yaml`, read by the catalog.
public enum CharacterCard {
    /// SillyTavern's new-post chance when a card does not set `talkativeness`.
    static let defaultTalkativeness = 0.5

    public static func parse(_ data: Data, file: String, id: String) -> Result<Persona, PersonaFileErrors> {
        func failure(_ message: String, path: String = "", line: Int = 1, column: Int = 1) -> Result<Persona, PersonaFileErrors> {
            .failure(PersonaFileErrors([Diagnostic(file: file, line: line, column: column, path: path, message: message)]))
        }
        guard PersonaParser.isValidID(id) else {
            return failure("a card's file name is its persona id and must be 2 to 32 lowercase letters, digits or dashes; got \"\(id)\"")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            let (line, column) = position(of: error, in: data)
            return failure("not valid JSON here; a Character Card V2 or V3 is one JSON object", line: line, column: column)
        }
        guard let root = parsed as? [String: Any] else {
            return failure("not a JSON object; expected a Character Card V2 or V3")
        }
        guard let spec = root["spec"] as? String, spec == "chara_card_v2" || spec == "chara_card_v3" else {
            return failure("expected \"spec\": \"chara_card_v2\" or \"chara_card_v3\"", path: "spec")
        }
        guard let card = root["data"] as? [String: Any] else {
            return failure("a \(spec) card keeps its fields under \"data\"", path: "data")
        }
        if let value = card["name"], !(value is String) { return failure("expected the name as text, got \(value)", path: "data.name") }
        let name = (card["name"] as? String)?.trimmingWhitespace() ?? ""
        guard !name.isEmpty else { return failure("the card has no name", path: "data.name") }
        for (key, value) in card where ["description", "personality", "scenario", "first_mes", "mes_example", "system_prompt"].contains(key) {
            if !(value is String) { return failure("expected text, got \(value)", path: "data.\(key)") }
        }
        if let greetings = card["alternate_greetings"], !(greetings is [String]) {
            return failure("expected a list of texts", path: "data.alternate_greetings")
        }
        func text(_ key: String) -> String {
            macros((card[key] as? String)?.trimmingWhitespace() ?? "", name: name)
        }

        var persona = Persona(id: id, name: String(name.prefix(64)), source: file)
        let description = text("description")
        persona.bio = String((description.split(whereSeparator: \.isNewline).first.map(String.init) ?? "").prefix(500))
        var prompt: [String] = []
        if !text("system_prompt").isEmpty { prompt.append(text("system_prompt")) }
        if !description.isEmpty { prompt.append(description) }
        if !text("personality").isEmpty { prompt.append("Personality: \(text("personality"))") }
        if !text("scenario").isEmpty { prompt.append("Scenario: \(text("scenario"))") }
        if !text("post_history_instructions").isEmpty { prompt.append(text("post_history_instructions")) }
        persona.voice.systemPrompt = prompt.joined(separator: "\n\n")
        persona.voice.examples = examples(from: (card["mes_example"] as? String) ?? "", name: name)
        if !text("personality").isEmpty { persona.voice.knowledge = [text("personality")] }
        persona.voice.knowledge += bookEntries(card["character_book"], name: name)
        let greetings = [text("first_mes")] + ((card["alternate_greetings"] as? [Any]) ?? []).compactMap { ($0 as? String).map { macros($0, name: name) } }
        persona.voice.openers = greetings.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }.map { String($0.prefix(4000)) }
        persona.tags = ((card["tags"] as? [Any]) ?? []).compactMap { $0 as? String }.filter { !$0.isEmpty }
        var chance = defaultTalkativeness
        if let extensions = card["extensions"] as? [String: Any], let talkativeness = extensions["talkativeness"] {
            let value = (talkativeness as? Double) ?? Double((talkativeness as? String) ?? "")
            guard let value, (0...1).contains(value) else {
                return failure("expected a number from 0 to 1, got \(talkativeness)", path: "data.extensions.talkativeness")
            }
            chance = value
        }
        persona.triggers.newPost = chance > 0 ? .init(chance: chance, delay: DelayRange(.seconds(2), .seconds(8))) : nil
        return .success(persona)
    }

    /// A card's macros: `{{char}}` (or `<BOT>`) is the persona's name; `{{user}}` (or `<USER>`),
    /// in a feed, is whoever it answers, whose name it does not know: addressed by name it is
    /// left out ("…, {{user}}?" → "…?"), otherwise it is "you", or 你 in Chinese text.
    static func macros(_ text: String, name: String) -> String {
        var result = text
        for macro in ["{{char}}", "<BOT>", "{{Char}}", "{{CHAR}}", "<bot>"] { result = result.replacingOccurrences(of: macro, with: name) }
        for macro in ["<USER>", "{{User}}", "{{USER}}", "<user>"] { result = result.replacingOccurrences(of: macro, with: "{{user}}") }
        guard result.contains("{{user}}") else { return result }
        if TextScript.language(of: result.replacingOccurrences(of: "{{user}}", with: "")) == .chinese {
            return result.replacingOccurrences(of: "{{user}}", with: "你")
        }
        for (vocative, plain) in [(", {{user}}", ""), ("{{user}}, ", "")] {
            result = result.replacingOccurrences(of: vocative, with: plain)
        }
        return result.replacingOccurrences(of: "{{user}}", with: "you")
    }

    /// The enabled entries of a `character_book`, as facts the persona knows.
    static func bookEntries(_ book: Any?, name: String) -> [String] {
        guard let book = book as? [String: Any], let entries = book["entries"] as? [Any] else { return [] }
        return entries.compactMap { entry -> String? in
            guard let entry = entry as? [String: Any], entry["enabled"] as? Bool != false, let content = entry["content"] as? String else { return nil }
            let text = macros(content.trimmingWhitespace(), name: name)
            return text.isEmpty ? nil : String(text.prefix(2000))
        }
    }

    /// Line and column (in characters) of a JSON error, from the byte offset Foundation reports
    /// as "around character N".
    static func position(of error: any Error, in data: Data) -> (line: Int, column: Int) {
        let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? ""
        guard let range = detail.range(of: "character "),
            let offset = Int(detail[range.upperBound...].prefix { $0.isNumber })
        else { return (1, 1) }
        var line = 1
        var column = 1
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                // A continuation byte of UTF-8 is no character of its own.
                column += 1
            }
        }
        return (line, column)
    }

    /// `mes_example` holds dialogues separated by `<START>`, with `{{user}}:` and `{{char}}:`
    /// turns; each user turn followed by a character turn becomes a post/reply example.
    static func examples(from text: String, name: String) -> [Voice.Example] {
        var examples: [Voice.Example] = []
        for block in text.components(separatedBy: "<START>") {
            var pendingPost: String?
            for line in block.split(whereSeparator: \.isNewline) {
                let trimmed = line.trimmingWhitespace()
                if trimmed.hasPrefix("{{user}}:") {
                    pendingPost = macros(String(trimmed.dropFirst("{{user}}:".count)).trimmingWhitespace(), name: name)
                } else if trimmed.hasPrefix("{{char}}:"), let post = pendingPost, !post.isEmpty {
                    let reply = macros(String(trimmed.dropFirst("{{char}}:".count)).trimmingWhitespace(), name: name)
                    if !reply.isEmpty { examples.append(.init(post: post, reply: reply)) }
                    pendingPost = nil
                }
            }
        }
        return examples
    }
}
