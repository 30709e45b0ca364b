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
        /// The reply is the built-in careful one, written by the offline engine after the
        /// responder's did not fit: its label must say so.
        public var byOfflineEngine = false
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
        attempting: for number in 1...persona.tone.maxAttempts {
            var attemptRequest = request
            attemptRequest.attempt = number
            attemptRequest.previousFailure = previousFailure
            let (text, retracted) = try await attempt(attemptRequest, number: number, responder: responder, onStep: onStep)
            // An engine that says nothing chose silence; asking again would not change its mind.
            if text.trimmingWhitespace().isEmpty {
                attempts.append(Attempt(number: number, text: text, violations: [], action: nil))
                return silence(attempts, "the \(responder.engine) engine had nothing fitting to say")
            }
            guard let retracted else {
                attempts.append(Attempt(number: number, text: text, violations: [], action: nil))
                return Outcome(reply: text.trimmingWhitespace(), attempts: attempts, reason: "passed every tone and fit check", usedFallback: false)
            }
            let violations = checker.violations(in: text)
            let found = violations.isEmpty ? [retracted] : violations
            attempts.append(Attempt(number: number, text: text, violations: found, action: persona.tone.onViolation))
            // A reply that does not fit its situation cannot be trimmed into fitting.
            let unfit = found.contains { $0.rule.isFit }
            switch persona.tone.onViolation {
            case .drop:
                if !unfit { return silence(attempts, "dropped: \(found[0])") }
                break attempting
            case .trim:
                if !unfit, found.allSatisfy(\.isTrimmable) {
                    let trimmed = checker.trimmed(text)
                    if !trimmed.isEmpty, checker.violations(in: trimmed).isEmpty {
                        return Outcome(reply: trimmed, attempts: attempts, reason: "trimmed to pass \(found.map(\.rule.rawValue).joined(separator: ", "))", usedFallback: false)
                    }
                }
                break attempting
            case .regenerate:
                previousFailure = found[0]
            }
        }
        let reason = "no attempt of \(attempts.count) passed: \(attempts.last?.violations.first?.description ?? "")"
        // After a reply that did not fit, the built-in careful reply for the situation, in the
        // engine's own words rather than the author's.
        if attempts.contains(where: { $0.violations.contains { $0.rule.isFit } }) {
            var careful = request
            careful.persona.voice.phrases = [:]
            careful.attempt = 1
            careful.previousFailure = nil
            let number = attempts.count + 1
            let (text, retracted) = try await attempt(careful, number: number, responder: OfflineResponder(), onStep: onStep)
            if retracted == nil {
                attempts.append(Attempt(number: number, text: text, violations: [], action: nil))
                return Outcome(reply: text.trimmingWhitespace(), attempts: attempts, reason: "\(reason); used the careful offline reply", usedFallback: true,
                               byOfflineEngine: true)
            }
            attempts.append(Attempt(number: number, text: text, violations: checker.violations(in: text), action: nil))
        }
        return fallbackOrSilence(attempts, reason)
    }

    /// Every fit violation met on the way: what moderators hear about.
    public static func unfit(_ outcome: Outcome) -> [Violation] {
        outcome.attempts.flatMap { $0.violations.filter(\.rule.isFit) }
    }

    /// One attempt streamed through the incremental checker: its text, and what made it fail.
    private func attempt(_ request: ReplyRequest, number: Int, responder: any Responder,
                         onStep: @Sendable (Int, IncrementalChecker.Step) async -> Void) async throws -> (String, Violation?) {
        var incremental = IncrementalChecker(checker: checker)
        var text = ""
        var stopped = false
        for try await piece in responder.reply(to: request) {
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
        return (text, incremental.retracted)
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
