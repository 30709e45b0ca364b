import Foundation
import Testing
@testable import Persona
@testable import PersonaEngines

/// The pure parts of the OpenAI-compatible engine: event parsing, prompts, retry timing, the
/// breaker, and the `responder` keys of a persona file.
@Suite("Engine wire and prompt")
struct EngineWireTests {
    static let stream = ": keep-alive\r\n\r\ndata: {\"a\":\"你好\"}\r\n\r\nevent: error\ndata: line one\ndata: line two\n\nid: 7\nretry: 100\ndata: [DONE]\n\n"

    @Test("the same events whatever the split: every cut point of the stream, including inside a UTF-8 sequence and a CRLF")
    func everySplit() throws {
        let bytes = Array(Self.stream.utf8)
        var whole = ServerSentEventParser()
        let expected = try whole.feed(bytes)
        #expect(expected == [
            ServerSentEvent(data: "{\"a\":\"你好\"}"), ServerSentEvent(name: "error", data: "line one\nline two"), ServerSentEvent(data: "[DONE]"),
        ])
        for cut in 1..<bytes.count {
            var parser = ServerSentEventParser()
                var events = try parser.feed(bytes[..<cut])
            events += try parser.feed(bytes[cut...])
            #expect(events == expected, "split at byte \(cut)")
        }
        var byteByByte = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for byte in bytes { events += try byteByByte.feed([byte]) }
        #expect(events == expected)
    }

    @Test("an event without its closing blank line is not delivered; a hostile endless line is refused")
    func unfinishedAndOversized() throws {
        var parser = ServerSentEventParser()
        // The stream may end here: an event without its closing blank line is never delivered.
        #expect(try parser.feed(Array("data: partial\n".utf8)).isEmpty)
        var hostile = ServerSentEventParser()
        #expect(throws: ServerSentEventParser.Failure.lineTooLong) {
            _ = try hostile.feed([UInt8](repeating: UInt8(ascii: "x"), count: ServerSentEventParser.maximumLineBytes + 1))
        }
    }

    func request(thread: [ThreadMessage], budget: Int = 6000, failure: Violation? = nil) -> ReplyRequest {
        var persona = Persona(id: "ada", name: "Ada")
        persona.responder.contextBudget = budget
        var request = ReplyRequest(persona: persona, post: thread.first?.text ?? "", language: .chinese, previousFailure: failure)
        request.thread = thread
        return request
    }

    @Test("the thread goes in order with names and the persona's own turns as the assistant's")
    func threadRoles() {
        let messages = ChatPrompt.messages(for: request(thread: [
            ThreadMessage(author: "Alice", byPersona: false, text: "今天去爬山了"),
            ThreadMessage(author: "Ada", byPersona: true, text: "哪座山?"),
            ThreadMessage(author: "Alice", byPersona: false, text: "香山"),
        ]))
        #expect(messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(messages[1].content == "Post by Alice:\n今天去爬山了")
        #expect(messages[3].content == "Alice: 香山")
        #expect(messages[0].content.contains("Write in Chinese"))
    }

    @Test("over the budget the oldest comments go first, the post is shortened, the item answered always stays")
    func budget() {
        let long = String(repeating: "x", count: 400)
        var thread = [ThreadMessage(author: "Alice", byPersona: false, text: "The post " + long)]
        for index in 1...10 { thread.append(ThreadMessage(author: "U\(index)", byPersona: false, text: "comment \(index) " + long)) }
        let messages = ChatPrompt.messages(for: request(thread: thread, budget: 1000))
        let contents = messages.dropFirst().map(\.content)
        #expect(contents.last?.hasPrefix("U10: comment 10") == true)
        #expect(contents.contains { $0.hasPrefix("U9: comment 9") })
        #expect(!contents.contains { $0.hasPrefix("U1: comment 1 ") })
        #expect(contents.first?.hasPrefix("Post by Alice:\nThe post") == true)
        #expect(contents.first?.contains("earlier comments left out") == true)
        #expect(contents.map(\.count).reduce(0, +) <= 1000 + 60)
    }

    @Test("a regenerate tells the model why the last attempt was refused")
    func regenerateReason() {
        let failure = Violation(.length, "312 characters, the limit is 280")
        let messages = ChatPrompt.messages(for: request(thread: [ThreadMessage(author: "Bo", byPersona: false, text: "Hi")], failure: failure))
        #expect(messages.last?.content.contains("refused: tone.max_chars: 312 characters, the limit is 280") == true)
    }

    @Test("Retry-After in seconds or as an HTTP date; backoff grows, is jittered and capped")
    func retryTiming() {
        #expect(RetryPolicy.retryAfter("3") == .seconds(3))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let later = "Tue, 14 Nov 2023 22:13:40 GMT"  // now + 20 s
        #expect(RetryPolicy.retryAfter(later, now: now) == .seconds(20))
        #expect(RetryPolicy.retryAfter("soon") == nil)
        var random = SeededRandom(seed: 3)
        let policy = RetryPolicy()
        for retry in 1...8 {
            let wait = policy.backoff(retry: retry, random: &random)
            let step = min(Duration.seconds(8), .milliseconds(500) * (1 << (retry - 1)))
            #expect(wait >= step / 2 && wait <= step)
        }
    }

    @Test("the breaker opens after the threshold, admits one trial after the cooldown, and closes on its success")
    func breaker() {
        var breaker = CircuitBreaker(threshold: 3, cooldown: .seconds(10))
        let start = ContinuousClock.now
        for _ in 1...2 { breaker.recordFailure(now: start) }
        var admitted = breaker.admit(now: start)
        #expect(admitted)
        breaker.recordFailure(now: start)
        admitted = breaker.admit(now: start + .seconds(9))
        #expect(!admitted)
        admitted = breaker.admit(now: start + .seconds(10))
        #expect(admitted)
        admitted = breaker.admit(now: start + .seconds(10))
        #expect(!admitted, "one trial at a time")
        breaker.recordFailure(now: start + .seconds(11))
        admitted = breaker.admit(now: start + .seconds(20))
        #expect(!admitted)
        admitted = breaker.admit(now: start + .seconds(21))
        #expect(admitted)
        breaker.recordSuccess()
        admitted = breaker.admit(now: start + .seconds(21))
        #expect(admitted && !breaker.isOpen)
    }

    @Test("responder keys: extra_body keeps YAML types, quoted text stays text; bad values are reported with line and column")
    func responderKeys() throws {
        let yaml = """
            id: ada
            name: Ada
            responder:
              engine: openai
              base_url: https://api.deepseek.com/v1
              model: deepseek-chat
              api_key_env: DEEPSEEK_API_KEY
              timeout: 15s
              deadline: 40s
              max_retries: 1
              max_concurrency: 3
              context_chars: 3000
              extra_body: { enable_thinking: false, top_p: 0.8, seed: 7, user: "42", stop: ["\\n\\n"], options: { num_ctx: 4096 } }
            """
        let persona = try PersonaParser.parse(yaml, file: "personas/ada.yaml", lexicons: []).get()
        let responder = persona.responder
        #expect(responder.deadline == .seconds(40))
        #expect(responder.maxRetries == 1)
        #expect(responder.maxConcurrency == 3)
        #expect(responder.contextBudget == 3000)
        #expect(responder.extraBody == [
            "enable_thinking": .bool(false), "top_p": .number(0.8), "seed": .integer(7), "user": .string("42"),
            "stop": .array([.string("\n\n")]), "options": .object(["num_ctx": .integer(4096)]),
        ])
        let bad = """
            id: ada
            name: Ada
            responder:
              engine: openai
              base_url: https://api.openai.com/v1
              model: gpt-4o-mini
              timeout: 30s
              deadline: 10s
              max_concurency: 2
            """
        guard case .failure(let errors) = PersonaParser.parse(bad, file: "personas/ada.yaml", lexicons: []) else {
            Issue.record("expected errors")
            return
        }
        let text = errors.diagnostics.map(\.description).joined(separator: "\n")
        #expect(text.contains("responder.deadline: must be at least the timeout (30s)"))
        #expect(text.contains("personas/ada.yaml:9:3: responder.max_concurency: unknown key"))
        #expect(text.contains("max_concurrency"))
    }
}
