public import Foundation

/// Import of Character Card V2 and V3 JSON (`spec: chara_card_v2` / `chara_card_v3`), the format
/// SillyTavern and similar tools export, mapped onto a persona as PERSONA.md describes.
public enum CharacterCard {
    public static func parse(_ data: Data, file: String, id: String) -> Result<Persona, PersonaFileErrors> {
        func failure(_ message: String, path: String = "") -> Result<Persona, PersonaFileErrors> {
            .failure(PersonaFileErrors([Diagnostic(file: file, line: 1, column: 1, path: path, message: message)]))
        }
        guard PersonaParser.isValidID(id) else {
            return failure("a card's file name is its persona id and must be 2 to 32 lowercase letters, digits or dashes; got \"\(id)\"")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            return failure("not a JSON object; expected a Character Card V2 or V3")
        }
        guard let spec = root["spec"] as? String, spec == "chara_card_v2" || spec == "chara_card_v3" else {
            return failure("expected \"spec\": \"chara_card_v2\" or \"chara_card_v3\"", path: "spec")
        }
        guard let card = root["data"] as? [String: Any] else {
            return failure("a \(spec) card keeps its fields under \"data\"", path: "data")
        }
        func text(_ key: String) -> String {
            (card[key] as? String)?.trimmingWhitespace() ?? ""
        }
        let name = text("name")
        guard !name.isEmpty else { return failure("the card has no name", path: "data.name") }

        var persona = Persona(id: id, name: String(name.prefix(64)), source: file)
        let description = text("description")
        persona.bio = String((description.split(whereSeparator: \.isNewline).first.map(String.init) ?? "").prefix(500))
        var prompt: [String] = []
        if !text("system_prompt").isEmpty { prompt.append(text("system_prompt")) }
        if !description.isEmpty { prompt.append(description) }
        if !text("personality").isEmpty { prompt.append("Personality: \(text("personality"))") }
        if !text("scenario").isEmpty { prompt.append("Scenario: \(text("scenario"))") }
        if !text("post_history_instructions").isEmpty { prompt.append(text("post_history_instructions")) }
        persona.voice.systemPrompt = prompt.joined(separator: "\n\n").replacingOccurrences(of: "{{char}}", with: name)
        persona.voice.examples = examples(from: text("mes_example"), name: name)
        if !text("personality").isEmpty { persona.voice.knowledge = [text("personality")] }
        if let extensions = card["extensions"] as? [String: Any], let talkativeness = extensions["talkativeness"] {
            let value = (talkativeness as? Double) ?? Double((talkativeness as? String) ?? "")
            if let value, (0...1).contains(value) {
                persona.triggers.newPost = .init(chance: value, delay: DelayRange(.seconds(2), .seconds(8)))
            }
        }
        return .success(persona)
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
                    pendingPost = String(trimmed.dropFirst("{{user}}:".count)).trimmingWhitespace()
                } else if trimmed.hasPrefix("{{char}}:"), let post = pendingPost, !post.isEmpty {
                    let reply = String(trimmed.dropFirst("{{char}}:".count)).trimmingWhitespace().replacingOccurrences(of: "{{char}}", with: name)
                    if !reply.isEmpty { examples.append(.init(post: post, reply: reply)) }
                    pendingPost = nil
                }
            }
        }
        return examples
    }
}
