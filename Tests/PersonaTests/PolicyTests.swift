import Foundation
import Synchronization
import Testing
@testable import Persona

/// A responder that answers each attempt with a scripted text (a double of our own protocol,
/// used to drive the policy through each path).
struct ScriptedResponder: Responder {
    let engine = "scripted"
    let model = "test"
    let replies: [String]

    func reply(to request: ReplyRequest) -> AsyncThrowingStream<String, any Error> {
        let text = replies[min(request.attempt - 1, replies.count - 1)]
        return AsyncThrowingStream { continuation in
            for piece in OfflineResponder.pieces(of: text) { continuation.yield(piece) }
            continuation.finish()
        }
    }
}

@Suite("Tone policy")
struct PolicyTests {
    let lexicons = ["politics": Lexicon.parse(name: "politics", text: "election\n选举")]

    func persona(_ change: (inout Persona) -> Void = { _ in }) -> Persona {
        var persona = Persona(id: "kiki", name: "Kiki")
        persona.tone.maxChars = 60
        persona.tone.maxEmoji = 1
        persona.tone.bannedPhrases = ["as an AI"]
        persona.tone.avoidTopics = ["politics"]
        change(&persona)
        return persona
    }

    func checker(_ persona: Persona, answering: String = "hello there friends") -> ToneChecker {
        ToneChecker(persona: persona, lexicons: lexicons, answering: answering)
    }

    @Test("each rule fires with its reason", arguments: [
        (String(repeating: "word ", count: 20), Violation.Rule.length),
        ("Nice 🎉🎉", .emoji),
        ("Well, as an AI I think so.", .bannedPhrase),
        ("See https://example.com now", .link),
        ("Visit example.com for more", .link),
        ("The election was wild.", .avoidedTopic),
        ("这是一个中文回复，不对吧。", .language),
        ("   ", .empty),
    ])
    func rules(text: String, rule: Violation.Rule) {
        let violations = checker(persona()).violations(in: text)
        #expect(violations.map(\.rule).contains(rule), "\(violations)")
    }

    @Test("a clean reply passes; language match follows the text answered")
    func passes() {
        #expect(checker(persona()).violations(in: "Congrats, well done! 🎉").isEmpty)
        #expect(checker(persona(), answering: "今天终于把论文投出去了").violations(in: "恭喜你！好好休息一下。").isEmpty)
        #expect(checker(persona(), answering: "今天终于把论文投出去了").violations(in: "Congrats, well done!").map(\.rule) == [.language])
        let fixed = persona { $0.voice.language = "zh" }
        #expect(checker(fixed, answering: "english post here").violations(in: "好的，收到。").isEmpty)
    }

    @Test("avoided topics are found in the post being answered")
    func avoidedPost() {
        #expect(checker(persona()).avoidedTopic(in: "Who won the 选举?")?.rule == .avoidedTopic)
        #expect(checker(persona()).avoidedTopic(in: "Lovely weather") == nil)
    }

    @Test("trim cuts what can be cut")
    func trim() {
        let tone = checker(persona())
        #expect(tone.trimmed("Great 🎉🎉🎉 work.") == "Great 🎉 work.")
        #expect(tone.trimmed("Nice. As an AI I agree. Bye.") == "Nice. Bye.")
        #expect(tone.trimmed("Look at https://x.com/a now.") == "Look at now.")
        let long = "First sentence here. Second sentence is a bit longer. Third one goes past the limit for sure."
        let cut = tone.trimmed(long)
        #expect(cut == "First sentence here. Second sentence is a bit longer.")
        #expect(tone.violations(in: cut).isEmpty)
    }

    func run(_ persona: Persona, _ replies: [String]) async throws -> ReplyPolicy.Outcome {
        let request = ReplyRequest(persona: persona, post: "hello there friends", language: .english)
        return try await ReplyPolicy(persona: persona, checker: checker(persona)).run(request, responder: ScriptedResponder(replies: replies))
    }

    @Test("regenerate: a failed attempt is tried again, up to max_attempts, then the fallback or silence")
    func regenerate() async throws {
        let regenerating = persona { $0.tone.onViolation = .regenerate; $0.tone.maxAttempts = 2 }
        let second = try await run(regenerating, ["The election!", "All good here."])
        #expect(second.reply == "All good here.")
        #expect(second.attempts.map(\.number) == [1, 2])
        #expect(second.attempts[0].violations.first?.rule == .avoidedTopic)
        #expect(second.attempts[0].action == .regenerate)
        let silent = try await run(regenerating, ["The election!", "Election again."])
        #expect(silent.reply == nil)
        #expect(silent.attempts.count == 2)
        let withFallback = persona { $0.tone.maxAttempts = 1; $0.tone.fallback = "Thanks for sharing!" }
        let fallback = try await run(withFallback, ["as an AI, no."])
        #expect(fallback.reply == "Thanks for sharing!")
        #expect(fallback.usedFallback)
    }

    @Test("trim repairs what it can; a topic cannot be trimmed away")
    func trimAction() async throws {
        let trimming = persona { $0.tone.onViolation = .trim }
        let trimmed = try await run(trimming, ["Great 🎉🎉 stuff."])
        #expect(trimmed.reply == "Great 🎉 stuff.")
        #expect(trimmed.attempts.count == 1)
        #expect(trimmed.reason.contains("trimmed"))
        let topic = try await run(trimming, ["The election, wow."])
        #expect(topic.reply == nil)
    }

    @Test("drop: the first violation means silence")
    func drop() async throws {
        let dropping = persona { $0.tone.onViolation = .drop; $0.tone.maxAttempts = 3 }
        let outcome = try await run(dropping, ["as an AI: no", "fine"])
        #expect(outcome.reply == nil)
        #expect(outcome.attempts.count == 1)
        #expect(outcome.reason.hasPrefix("dropped"))
    }

    @Test("incremental release: whole sentences that pass, then a retraction when one fails")
    func incremental() {
        var stream = IncrementalChecker(checker: checker(persona { $0.tone.maxChars = 200 }))
        #expect(stream.feed("Hello th") == .release(""))
        #expect(stream.feed("ere. How a") == .release("Hello there."))
        #expect(stream.feed("re you? As an") == .release(" How are you?"))
        guard case .retract(let violation) = stream.feed(" AI, I agree.") else {
            Issue.record("expected a retraction")
            return
        }
        #expect(violation.rule == .bannedPhrase)
        #expect(stream.releasedText == "Hello there. How are you?")
        var finishing = IncrementalChecker(checker: checker(persona()))
        #expect(finishing.feed("Fine") == .release(""))
        #expect(finishing.finish() == .release("Fine"))
        var link = IncrementalChecker(checker: checker(persona()))
        guard case .retract = link.feed("see https://evil.example") else {
            Issue.record("a link is refused before its sentence ends")
            return
        }
    }

    @Test("streamed steps reach the caller in order, ending in release or retraction")
    func steps() async throws {
        let recorder = Mutex<[(Int, IncrementalChecker.Step)]>([])
        let request = ReplyRequest(persona: persona(), post: "hello there friends", language: .english)
        _ = try await ReplyPolicy(persona: persona(), checker: checker(persona())).run(
            request, responder: ScriptedResponder(replies: ["Hi. The election!", "Hi there. Bye."])
        ) { attempt, step in recorder.withLock { $0.append((attempt, step)) } }
        let steps = recorder.withLock { $0 }
        #expect(steps.contains { $0.0 == 1 && { if case .retract = $0.1 { true } else { false } }($0) })
        let released = steps.filter { $0.0 == 2 }.compactMap { if case .release(let text) = $0.1 { text } else { nil } }.joined()
        #expect(released == "Hi there. Bye.")
    }
}
