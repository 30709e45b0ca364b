/// Chunk sequences and error bodies as the providers document them, for the test double.
enum ProviderRecordings {
    /// OpenAI's streaming example (API reference, "Create chat completion", streaming): a role
    /// chunk with empty content, content chunks, a `finish_reason` chunk, `[DONE]`.
    static func openAI(_ pieces: [String], model: String = "gpt-4o-mini") -> [String] {
        let head = #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"\#(model)","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":"#
        var chunks = [head + #"{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#]
        for piece in pieces {
            chunks.append(head + #"{"content":\#(jsonString(piece))},"logprobs":null,"finish_reason":null}]}"#)
        }
        chunks.append(head + #"{},"logprobs":null,"finish_reason":"stop"}]}"#)
        chunks.append("[DONE]")
        return chunks
    }

    /// DeepSeek's stream: `: keep-alive` comment lines while the request waits in their queue,
    /// then chunks, and with `stream_options.include_usage` a last chunk of usage and no choices.
    static func deepSeek(_ pieces: [String]) -> FakeChatCompletionsServer.Script {
        var steps: [FakeChatCompletionsServer.Step] = [.send(": keep-alive\n\n"), .send(": keep-alive\n\n")]
        let head = #"{"id":"930c60df-bf64-41c9-a88e-3ec75f81e00e","object":"chat.completion.chunk","created":1737000000,"model":"deepseek-chat","system_fingerprint":"fp_3a5770e1b4","choices":[{"index":0,"delta":"#
        for piece in pieces {
            steps.append(.send("data: " + head + #"{"content":\#(jsonString(piece))},"logprobs":null,"finish_reason":null}]}"# + "\n\n"))
        }
        steps.append(.send("data: " + head + #"{"content":""},"logprobs":null,"finish_reason":"stop"}]}"# + "\n\n"))
        steps.append(.send(#"data: {"id":"930c60df-bf64-41c9-a88e-3ec75f81e00e","object":"chat.completion.chunk","created":1737000000,"model":"deepseek-chat","choices":[],"usage":{"prompt_tokens":17,"completion_tokens":9,"total_tokens":26}}"# + "\n\n"))
        steps.append(.send("data: [DONE]\n\n"))
        return FakeChatCompletionsServer.Script(steps: steps)
    }

    /// OpenAI's 429 body for a request-rate limit, sent with `Retry-After`.
    static let rateLimited = #"{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#

    /// OpenAI's 500 body.
    static let serverError = #"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#

    /// OpenAI's 401 body quotes the key it was given (here in full, the worst case).
    static func invalidKey(_ key: String) -> String {
        #"{"error":{"message":"Incorrect API key provided: \#(key). You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#
    }

    /// An error reported inside a stream that had started, as OpenAI sends it.
    static let streamError = #"{"error":{"message":"The server had an error processing your request. Sorry about that! You can retry your request.","type":"server_error","param":null,"code":null}}"#

    private static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
