import Persona
import Foundation

/// The chat-completions wire format (OpenAI's `POST /chat/completions`, which Kimi, DeepSeek,
/// Qwen's compatible mode, vLLM, llama.cpp's server and Ollama's `/v1` speak too).
enum ChatCompletionWire {
    struct Message: Sendable, Equatable, Encodable {
        enum Role: String, Sendable, Encodable { case system, user, assistant }
        var role: Role
        var content: String
    }

    /// The request body: the standard fields, then the persona's `extra_body` on top, so an
    /// author can set what a provider adds (`enable_thinking`, `top_p`, `stream_options` …).
    static func body(model: String, messages: [Message], settings: ResponderSettings) throws -> Data {
        var fields: [String: JSONLiteral] = [
            "model": .string(model),
            "stream": .bool(true),
            "messages": .array(messages.map { .object(["role": .string($0.role.rawValue), "content": .string($0.content)]) }),
        ]
        if let temperature = settings.temperature { fields["temperature"] = .number(temperature) }
        if let maxTokens = settings.maxTokens { fields["max_tokens"] = .integer(maxTokens) }
        for (key, value) in settings.extraBody { fields[key] = value }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(fields)
    }

    /// One `data:` payload of the stream. Every field is optional: providers differ in what they
    /// send, and a usage-only final chunk has no choices at all.
    struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable {
                var content: String?
            }
            var delta: Delta?
            var finishReason: String?

            enum CodingKeys: String, CodingKey {
                case delta
                case finishReason = "finish_reason"
            }
        }
        struct Usage: Decodable {
            var promptTokens: Int?
            var completionTokens: Int?

            enum CodingKeys: String, CodingKey {
                case promptTokens = "prompt_tokens"
                case completionTokens = "completion_tokens"
            }
        }
        var choices: [Choice]?
        var usage: Usage?
        var error: ErrorBody.Detail?
    }

    /// An error body: OpenAI's `{"error": {"message", "type", "code"}}`, or the plain
    /// `{"error": "…"}` some local servers send.
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var message: String?
            var type: String?
            var code: String?

            init(from decoder: any Decoder) throws {
                if let text = try? decoder.singleValueContainer().decode(String.self) {
                    message = text
                    return
                }
                let container = try decoder.container(keyedBy: CodingKeys.self)
                message = try? container.decode(String.self, forKey: .message)
                type = try? container.decode(String.self, forKey: .type)
                // Some providers send the code as a number.
                code = (try? container.decode(String.self, forKey: .code)) ?? (try? container.decode(Int.self, forKey: .code)).map(String.init)
            }

            enum CodingKeys: String, CodingKey { case message, type, code }

            var summary: String {
                [message, type.map { "type \($0)" }, code.map { "code \($0)" }].compactMap(\.self).joined(separator: "; ")
            }
        }
        var error: Detail?
    }

    /// A short, key-free account of an error response's body.
    static func errorSummary(_ body: Data) -> String {
        if let parsed = try? JSONDecoder().decode(ErrorBody.self, from: body), let detail = parsed.error {
            return detail.summary
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.isEmpty ? "no body" : text
    }
}
