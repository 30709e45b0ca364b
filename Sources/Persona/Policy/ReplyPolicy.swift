/// Runs a reply through the tone policy: each attempt streams through the incremental checker,
/// and a violation leads to the persona's `on_violation` action (regenerate, trim or drop), up to
/// `max_attempts`, then to the `fallback` or to silence. Every step is kept as a value, so the
/// decision log and `persona preview` can show exactly what happened and why.
public struct ReplyPolicy: Sendable {
    public struct Attempt: Sendable, Equatable {
        public var number: Int
        public var text: String
        public var violations: [Violation]
        /// What was done about it: nil when it passed.
        public var action: Tone.Action?
    }

    public struct Outcome: Sendable, Equatable {
        /// The reply to post, or nil for silence.
        public var reply: String?
        public var attempts: [Attempt]
        /// Why the reply is what it is, in words.
        public var reason: String
        public var usedFallback: Bool
    }

    public let persona: Persona
    public let checker: ToneChecker

    public init(persona: Persona, checker: ToneChecker) {
        self.persona = persona
        self.checker = checker
    }

    /// - Parameter onStep: each incremental release or retraction, per attempt, for drafts.
    public func run(_ request: ReplyRequest, responder: any Responder,
                    onStep: @Sendable (Int, IncrementalChecker.Step) async -> Void = { _, _ in }) async throws -> Outcome {
        var attempts: [Attempt] = []
        var previousFailure: Violation?
        for number in 1...persona.tone.maxAttempts {
            var attemptRequest = request
            attemptRequest.attempt = number
            attemptRequest.previousFailure = previousFailure
            var incremental = IncrementalChecker(checker: checker)
            var text = ""
            var stopped = false
            for try await piece in responder.reply(to: attemptRequest) {
                text += piece
                // After a retraction only trimming needs the rest of the text; otherwise stop
                // reading (a model's remaining tokens are not worth paying for).
                if stopped { continue }
                let step = incremental.feed(piece)
                await onStep(number, step)
                if case .retract = step {
                    stopped = true
                    if persona.tone.onViolation != .trim { break }
                }
            }
            if !stopped { await onStep(number, incremental.finish()) }
            // A reply that was never retracted passed the whole-reply check in finish().
            guard incremental.retracted != nil else {
                attempts.append(Attempt(number: number, text: text, violations: [], action: nil))
                return Outcome(reply: text.trimmingWhitespace(), attempts: attempts, reason: "passed every tone check", usedFallback: false)
            }
            let violations = checker.violations(in: text)
            let found = violations.isEmpty ? [incremental.retracted!] : violations
            attempts.append(Attempt(number: number, text: text, violations: found, action: persona.tone.onViolation))
            switch persona.tone.onViolation {
            case .drop:
                return silence(attempts, "dropped: \(found[0])")
            case .trim:
                if found.allSatisfy(\.isTrimmable) {
                    let trimmed = checker.trimmed(text)
                    if !trimmed.isEmpty, checker.violations(in: trimmed).isEmpty {
                        return Outcome(reply: trimmed, attempts: attempts, reason: "trimmed to pass \(found.map(\.rule.rawValue).joined(separator: ", "))", usedFallback: false)
                    }
                }
                return fallbackOrSilence(attempts, "could not be trimmed to pass: \(found[0])")
            case .regenerate:
                previousFailure = found[0]
            }
        }
        return fallbackOrSilence(attempts, "no attempt of \(persona.tone.maxAttempts) passed: \(attempts.last?.violations.first?.description ?? "")")
    }

    private func fallbackOrSilence(_ attempts: [Attempt], _ reason: String) -> Outcome {
        if let fallback = persona.tone.fallback, checker.violations(in: fallback).isEmpty {
            return Outcome(reply: fallback, attempts: attempts, reason: "\(reason); used the fallback", usedFallback: true)
        }
        return silence(attempts, reason)
    }

    private func silence(_ attempts: [Attempt], _ reason: String) -> Outcome {
        Outcome(reply: nil, attempts: attempts, reason: reason, usedFallback: false)
    }
}
