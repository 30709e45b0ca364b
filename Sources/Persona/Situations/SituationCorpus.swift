import Foundation

/// A labelled set of posts (`personas/situations/corpus.jsonl`, one JSON object a line:
/// `{"id", "lang", "text", "situations": [...], "note"}`) to measure the situation reader on and
/// to run personas over (`gatewayd persona eval`).
public struct SituationCorpus: Sendable {
    public struct Entry: Sendable {
        public var id: String
        public var language: TextScript.Language
        public var text: String
        /// The true labels; `[.other]` when none applies.
        public var situations: Set<Situation>
        public var note: String?

        /// The most serious label: what the floor is judged by.
        public var primary: Situation { situations.min() ?? .other }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(String)
        case invalid(file: String, line: Int, reason: String)

        public var description: String {
            switch self {
            case .unreadable(let file): "\(file): cannot be read"
            case .invalid(let file, let line, let reason): "\(file):\(line): \(reason)"
            }
        }
    }

    public static func load(_ file: String) throws(LoadError) -> SituationCorpus {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(file)
        }
        var entries: [Entry] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingWhitespace()
            guard !trimmed.isEmpty else { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                throw .invalid(file: file, line: index + 1, reason: "not a JSON object")
            }
            guard let body = object["text"] as? String, !body.isEmpty else { throw .invalid(file: file, line: index + 1, reason: "\"text\" is missing") }
            guard let labels = object["situations"] as? [String], !labels.isEmpty else {
                throw .invalid(file: file, line: index + 1, reason: "\"situations\" must be a list of situation names")
            }
            var situations = Set<Situation>()
            for label in labels {
                guard let situation = Situation(rawValue: label) else {
                    throw .invalid(file: file, line: index + 1, reason: "\"\(label)\" is not a situation (\(Situation.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                situations.insert(situation)
            }
            let language = (object["lang"] as? String).flatMap(TextScript.Language.init(rawValue:)) ?? TextScript.language(of: body)
            entries.append(Entry(id: object["id"] as? String ?? "line-\(index + 1)", language: language, text: body, situations: situations,
                                 note: object["note"] as? String))
        }
        return SituationCorpus(entries: entries)
    }

    /// Precision and recall of the reader for one situation.
    public struct Score: Sendable {
        public var situation: Situation
        public var truePositives = 0
        public var falsePositives = 0
        public var falseNegatives = 0
        public var labelled: Int { truePositives + falseNegatives }
        public var precision: Double { truePositives + falsePositives == 0 ? 1 : Double(truePositives) / Double(truePositives + falsePositives) }
        public var recall: Double { labelled == 0 ? 1 : Double(truePositives) / Double(labelled) }
    }

    /// What the reader got wrong, for tuning the rules.
    public struct Miss: Sendable {
        public var entry: Entry
        public var reading: SituationReading
    }

    public func score(_ reader: SituationReader) -> (scores: [Score], misses: [Miss]) {
        var scores = Dictionary(uniqueKeysWithValues: Situation.allCases.map { ($0, Score(situation: $0)) })
        var misses: [Miss] = []
        for entry in entries {
            let reading = reader.read(entry.text)
            if reading.situations != entry.situations { misses.append(Miss(entry: entry, reading: reading)) }
            for situation in Situation.allCases {
                switch (reading.contains(situation), entry.situations.contains(situation)) {
                case (true, true): scores[situation]?.truePositives += 1
                case (true, false): scores[situation]?.falsePositives += 1
                case (false, true): scores[situation]?.falseNegatives += 1
                case (false, false): break
                }
            }
        }
        return (Situation.allCases.compactMap { scores[$0] }, misses)
    }
}
