public import Persona
import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// What one reply from a model cost and how it ended, for metrics and logs.
public struct EngineReport: Sendable {
    public var persona: String
    /// nil when the reply streamed to its end.
    public var failure: EngineFailure.Kind?
    /// From the request to the end of the stream (or the failure).
    public var duration: Duration
    /// From the request to the first piece of text.
    public var firstToken: Duration?
    /// HTTP requests made, retries included.
    public var requests: Int
    public var promptTokens: Int?
    public var completionTokens: Int?
}

/// `engine: openai`: any OpenAI-compatible chat-completions API, streamed. Tries again with
/// backoff on connection errors, timeouts, 429 (after its `Retry-After`) and 5xx, as long as no
/// text has been released and the deadline allows; never on other 4xx. The API key is read from
/// the environment on every request and never appears in a log line or an error.
public struct OpenAIResponder: Responder {
    public let engine = "openai"
    public var model: String { settings.model ?? "" }

    let personaID: String
    let settings: ResponderSettings
    let gate: EngineGate
    let client: HTTPClient
    let environment: @Sendable (String) -> String?
    let report: @Sendable (EngineReport) -> Void
    /// Tokens this persona has spent today (UTC), for `max_tokens_per_day`.
    let tokensToday: @Sendable () -> Int
    let logger: Logger
    var retry = RetryPolicy()

    /// The largest error body read, and the largest non-streamed answer.
    static let maximumBodyBytes = 256 * 1024

    public func reply(to request: ReplyRequest) -> AsyncThrowingStream<String, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await run(request) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func run(_ request: ReplyRequest, emit: @escaping @Sendable (String) -> Void) async throws {
        let started = ContinuousClock.now
        var outcome = EngineReport(persona: personaID, failure: nil, duration: .zero, requests: 0)
        defer {
            outcome.duration = .now - started
            report(outcome)
        }
        if let cap = settings.maxTokensPerDay, tokensToday() >= cap {
            outcome.failure = .budget
            throw EngineFailure(.budget, "spent its \(cap) tokens for today (max_tokens_per_day); the fallback answers until 00:00 UTC")
        }
        do {
            try await gate.enter()
        } catch let failure as EngineFailure {
            outcome.failure = failure.kind
            throw failure
        }
        do {
            let usage = try await attempts(request, started: started, outcome: &outcome, emit: emit)
            outcome.promptTokens = usage?.promptTokens
            outcome.completionTokens = usage?.completionTokens
            await gate.leave(succeeded: true)
        } catch let failure as EngineFailure {
            outcome.failure = failure.kind
            await gate.leave(succeeded: false)
            logger.warning("Persona \(personaID): the model failed after \(outcome.requests) request(s): \(failure)")
            throw failure
        } catch {
            // The reader went away (a retraction, a shutdown): no verdict on the model.
            await gate.leave(succeeded: nil)
            throw error
        }
    }

    private func attempts(_ request: ReplyRequest, started: ContinuousClock.Instant, outcome: inout EngineReport,
                          emit: @escaping @Sendable (String) -> Void) async throws -> ChatCompletionWire.Chunk.Usage? {
        let deadline = started + settings.deadline
        let key = try apiKey()
        let body = try ChatCompletionWire.body(model: model, messages: ChatPrompt.messages(for: request), settings: settings)
        var random = SystemRandomNumberGenerator()
        var retries = 0
        while true {
            outcome.requests += 1
            // When this attempt showed its first text; nil while it has shown none.
            let firstToken = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
            defer { outcome.firstToken = firstToken.withLockedValue { $0 }.map { $0 - started } }
            let timeout = min(settings.timeout, deadline - .now)
            do {
                return try await withTimeout(timeout) {
                    try await attempt(body: body, key: key) { piece in
                        firstToken.withLockedValue { if $0 == nil { $0 = .now } }
                        emit(piece)
                    }
                }
            } catch var failure as EngineFailure {
                failure.detail = Self.redact(failure.detail, key: key)
                // Text already shown cannot be taken back by a silent retry: the caller retracts.
                guard failure.isRetryable, firstToken.withLockedValue({ $0 == nil }), retries < settings.maxRetries else { throw failure }
                retries += 1
                let wait = max(failure.retryAfter ?? .zero, retry.backoff(retry: retries, random: &random))
                guard ContinuousClock.now + wait < deadline else {
                    failure.detail += "; no time left for another try within the \(DurationSyntax.format(settings.deadline)) deadline"
                    throw failure
                }
                logger.info("Persona \(personaID): \(failure); trying again in \(DurationSyntax.format(wait)) (\(retries) of \(settings.maxRetries))")
                try await Task.sleep(for: wait)
            }
        }
    }

    private func apiKey() throws(EngineFailure) -> String? {
        guard let name = settings.apiKeyEnvironment else { return nil }
        guard let key = environment(name), !key.isEmpty else {
            throw EngineFailure(.missingKey, "the environment variable \(name) (responder.api_key_env) is not set")
        }
        return key
    }

    /// Runs `operation`, failing with `timeout` when it takes longer than `limit`.
    private func withTimeout<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw EngineFailure(.timeout, "no complete answer within \(DurationSyntax.format(limit))")
            }
            return value
        }
    }

    /// Whether no connection could be made at all: refused, no route, or no such host.
    static func isUnreachable(_ error: any Error) -> Bool {
        if error is NIOConnectionError || error is SocketAddressError { return true }
        if let io = error as? IOError { return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(io.errnoCode) }
        if let client = error as? HTTPClientError { return client == .connectTimeout }
        return false
    }

    /// One HTTP request and its stream.
    private func attempt(body: Data, key: String?, emit: @escaping @Sendable (String) -> Void) async throws -> ChatCompletionWire.Chunk.Usage? {
        var http = HTTPClientRequest(url: Self.endpoint(settings.baseURL ?? ""))
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        http.headers.add(name: "Accept", value: "text/event-stream")
        if let key { http.headers.add(name: "Authorization", value: "Bearer \(key)") }
        http.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            // The overall limit is the caller's; this one only has to be later.
            response = try await client.execute(http, timeout: .seconds(3600), logger: nil)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            var failure = EngineFailure(.connection, "could not reach \(settings.baseURL ?? ""): \(error)")
            failure.unreachable = Self.isUnreachable(error)
            throw failure
        }
        guard response.status == .ok else { throw try await Self.failure(for: response) }
        let contentType = response.headers.first(name: "Content-Type") ?? ""
        if contentType.contains("application/json") {
            // A server that ignored `stream: true` and answered whole.
            return try await Self.wholeAnswer(response, emit: emit)
        }
        return try await Self.stream(response, emit: emit)
    }

    static func endpoint(_ baseURL: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/chat/completions"
    }

    private static func stream(_ response: HTTPClientResponse, emit: @Sendable (String) -> Void) async throws -> ChatCompletionWire.Chunk.Usage? {
        var parser = ServerSentEventParser()
        var usage: ChatCompletionWire.Chunk.Usage?
        var finished = false
        let decoder = JSONDecoder()
        do {
            for try await buffer in response.body {
                let events: [ServerSentEvent]
                do {
                    events = try parser.feed(buffer.readableBytesView)
                } catch {
                    throw EngineFailure(.malformed, "a stream line longer than \(ServerSentEventParser.maximumLineBytes) bytes")
                }
                for event in events {
                    if event.data == "[DONE]" { return usage }
                    let chunk: ChatCompletionWire.Chunk
                    do {
                        chunk = try decoder.decode(ChatCompletionWire.Chunk.self, from: Data(event.data.utf8))
                    } catch {
                        throw EngineFailure(.malformed, "a stream chunk is not chat-completion JSON: \(event.data.prefix(120))")
                    }
                    if let error = chunk.error { throw EngineFailure(.streamError, error.summary) }
                    if event.name == "error" { throw EngineFailure(.streamError, event.data) }
                    if let usageNow = chunk.usage { usage = usageNow }
                    for choice in chunk.choices ?? [] {
                        if let text = choice.delta?.content, !text.isEmpty { emit(text) }
                        if choice.finishReason != nil { finished = true }
                    }
                }
            }
        } catch let failure as EngineFailure {
            throw failure
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // A connection lost after `finish_reason` lost nothing of the reply.
            guard finished else { throw EngineFailure(.cut, "the stream broke off: \(error)") }
        }
        // Some servers end after `finish_reason` without `[DONE]`; that is a whole answer.
        guard finished else { throw EngineFailure(.cut, "the stream ended before the model finished its reply") }
        return usage
    }

    private static func wholeAnswer(_ response: HTTPClientResponse, emit: @Sendable (String) -> Void) async throws -> ChatCompletionWire.Chunk.Usage? {
        struct Completion: Decodable {
            struct Choice: Decodable {
                struct Message: Decodable { var content: String? }
                var message: Message?
            }
            var choices: [Choice]?
            var usage: ChatCompletionWire.Chunk.Usage?
        }
        let body = try await collect(response)
        guard let completion = try? JSONDecoder().decode(Completion.self, from: body), let text = completion.choices?.first?.message?.content else {
            throw EngineFailure(.malformed, "the answer is not a chat completion: \(String(decoding: body.prefix(120), as: UTF8.self))")
        }
        emit(text)
        return completion.usage
    }

    private static func collect(_ response: HTTPClientResponse) async throws -> Data {
        do {
            return Data(try await response.body.collect(upTo: maximumBodyBytes).readableBytesView)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw EngineFailure(.connection, "the response body broke off: \(error)")
        }
    }

    /// The failure a non-200 response stands for, with the provider's own words.
    static func failure(for response: HTTPClientResponse) async throws -> EngineFailure {
        let status = response.status.code
        let summary = ChatCompletionWire.errorSummary((try? await collect(response)) ?? Data())
        let detail = "HTTP \(status): \(summary)"
        var failure: EngineFailure
        switch status {
        case 429: failure = EngineFailure(.rateLimited, detail)
        case 408: failure = EngineFailure(.timeout, detail)
        case 500...599: failure = EngineFailure(.serverError, detail)
        default: failure = EngineFailure(.rejected, detail)
        }
        failure.retryAfter = RetryPolicy.retryAfter(response.headers.first(name: "Retry-After"))
        return failure
    }

    /// Takes the key, and anything that looks like a secret key, out of a provider's message:
    /// OpenAI's 401 quotes part of the key it was given.
    static func redact(_ text: String, key: String?) -> String {
        var text = text
        if let key, key.count >= 4 { text = text.replacingOccurrences(of: key, with: "[redacted]") }
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map { word -> Substring in
            let core = word.trimmingCharacters(in: .punctuationCharacters.subtracting(CharacterSet(charactersIn: "-_*")))
            if core.hasPrefix("sk-") || (key.map { core.count >= 8 && ($0.hasPrefix(core.prefix(8)) || $0.hasSuffix(core.suffix(6))) } ?? false) {
                return "[redacted]"
            }
            return word
        }
        return words.joined(separator: " ")
    }

}
