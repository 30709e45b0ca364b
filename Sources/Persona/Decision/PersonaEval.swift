/// Runs a persona over a labelled corpus the way the bot would answer each post if a trigger set
/// it off, and judges every published reply against the post's true labels (not against what the
/// reader made of it): a reply that breaks the situation floor there is a failure of the whole
/// chain, reader, policy and engine together.
public struct PersonaEval: Sendable {
    public let catalog: PersonaCatalog
    public let corpus: SituationCorpus

    public init(catalog: PersonaCatalog, corpus: SituationCorpus) {
        self.catalog = catalog
        self.corpus = corpus
    }

    /// One post's outcome for one persona.
    public struct Result: Sendable {
        public var entry: SituationCorpus.Entry
        public var reply: String?
        /// Why it stayed silent, or how it replied.
        public var reason: String
        /// Unfit attempts the fit check caught before anything was published.
        public var caught: [Violation]
        /// What the published reply breaks, judged by the true labels.
        public var breaks: [Violation]
    }

    /// Counts per true situation.
    public struct Tally: Sendable {
        public var situation: Situation
        public var posts = 0
        public var replies = 0
        public var silences = 0
        public var caught = 0
        public var breaks = 0
    }

    public struct Report: Sendable {
        public var persona: String
        public var results: [Result]

        public var tallies: [Tally] {
            Situation.allCases.map { situation in
                var tally = Tally(situation: situation)
                for result in results where result.entry.primary == situation {
                    tally.posts += 1
                    if result.reply != nil { tally.replies += 1 } else { tally.silences += 1 }
                    if !result.caught.isEmpty { tally.caught += 1 }
                    if !result.breaks.isEmpty { tally.breaks += 1 }
                }
                return tally
            }
        }

        public var breaks: [Result] { results.filter { !$0.breaks.isEmpty } }
    }

    public func run(_ persona: Persona, responder: any Responder, fallback: (any Responder)?, seed: UInt64 = 1) async throws -> Report {
        let preview = PersonaPreview(persona: persona, catalog: catalog, responder: responder, fallback: fallback)
        var results: [Result] = []
        for entry in corpus.entries {
            let report = try await preview.run(post: entry.text, seed: seed, forceTrigger: true)
            let reason = report.lines.last { $0.hasPrefix("silence:") || $0.hasPrefix("reply:") } ?? ""
            var breaks: [Violation] = []
            if let reply = report.reply {
                breaks = Self.floorBreaks(reply, entry: entry, persona: persona, rules: catalog.situations)
            }
            results.append(Result(entry: entry, reply: report.reply, reason: reason, caught: report.unfit, breaks: breaks))
        }
        return Report(persona: persona.id, results: results)
    }

    /// The floor, judged by the corpus labels.
    static func floorBreaks(_ reply: String, entry: SituationCorpus.Entry, persona: Persona, rules: SituationRules) -> [Violation] {
        let truth = SituationReading(situations: entry.situations, medicalQuestion: entry.situations.contains(.illness) && entry.situations.contains(.question))
        return FitCheck(reading: truth, rules: rules, personaName: persona.name).violations(in: reply, complete: true)
    }
}
