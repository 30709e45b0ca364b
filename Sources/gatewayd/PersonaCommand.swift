import ArgumentParser
import Foundation
import Persona
import PersonaEngines

struct PersonaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "persona",
        abstract: "Check persona files and preview what a persona would say.",
        subcommands: [Check.self, Preview.self, Eval.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate every persona, card, lexicon and the policy in a directory; exit 1 on any error.")

        @Argument(help: "The personas directory.")
        var directory = "./personas"

        @Flag(help: "Print the findings as JSON, for editors and CI.")
        var json = false

        func run() throws {
            guard FileManager.default.fileExists(atPath: directory) else {
                throw ValidationError("There is no directory \(directory).")
            }
            let catalog = PersonaCatalog.load(directory: directory)
            let diagnostics = catalog.allDiagnostics
            if json {
                let objects: [[String: Any]] = diagnostics.map { diagnostic in
                    var object: [String: Any] = [
                        "severity": diagnostic.severity.rawValue, "file": diagnostic.file, "line": diagnostic.line,
                        "column": diagnostic.column, "path": diagnostic.path, "message": diagnostic.message,
                    ]
                    if let suggestion = diagnostic.suggestion { object["suggestion"] = suggestion }
                    return object
                }
                let report: [String: Any] = [
                    "personas": catalog.personas.keys.sorted(), "lexicons": catalog.lexicons.keys.sorted(), "diagnostics": objects,
                ]
                let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for diagnostic in diagnostics { print(diagnostic) }
                let errors = diagnostics.filter { $0.severity == .error }.count
                let warnings = diagnostics.count - errors
                print("\(catalog.personas.count) personas loaded (\(catalog.personas.keys.sorted().joined(separator: ", "))), \(catalog.lexicons.count) lexicons, \(errors) errors, \(warnings) warnings.")
            }
            if catalog.hasErrors { throw ExitCode(1) }
        }
    }

    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what a persona would do with a post, and why: trigger, limits, attempts, checks, reply.")

        @Argument(help: "The persona id.")
        var id: String

        @Option(help: "The post's text.")
        var post: String?

        @Flag(help: "Show the post it would open a quiet feed with (triggers.quiet_feed) instead.")
        var opener = false

        @Option(help: "The language of the opener: en or zh.")
        var language = "en"

        @Option(help: "With --opener: show this many days of openers, each avoiding the ones before, as the running bot does.")
        var days = 1

        @Option(help: "A comment under the post that the persona answers instead (as a reply to it).")
        var parent: String?

        @Option(help: "Seed for the chance roll, delays and the offline engine's choices.")
        var seed: UInt64 = 1

        @Option(help: "The personas directory.")
        var personas = "./personas"

        @Flag(help: "Use the offline engine even when the persona names a model (engine: openai).")
        var offline = false

        @Option(help: "Preview every post of this file: one post a line, or a JSON list of texts. With --post, each is a comment under that post instead.")
        var batch: String?

        @Flag(help: "Answer even when no trigger (or the chance roll) would, to see what it would say.")
        var forceTrigger = false

        @Flag(help: "With --batch: print the results as JSON.")
        var json = false

        func run() async throws {
            let catalog = PersonaCatalog.load(directory: personas)
            guard let persona = catalog.personas[id] else {
                let known = catalog.personas.keys.sorted().joined(separator: ", ")
                throw ValidationError("There is no valid persona \"\(id)\" in \(personas) (valid: \(known.isEmpty ? "none" : known)); run `gatewayd persona check`.")
            }
            let engines = ModelEngines()
            let responder = offline ? OfflineResponder() : engines.responder(for: persona)
            if opener {
                var recent: [String] = []
                for day in 0..<max(days, 1) {
                    // Seeded per day and persona, like the running bot.
                    var request = ReplyRequest(
                        persona: persona, kind: .opener, post: "", language: language == "zh" ? .chinese : .english,
                        seed: (seed + UInt64(day)) ^ SeededRandom.hash(persona.id))
                    request.avoid = recent
                    var text = ""
                    for try await piece in responder.reply(to: request) { text += piece }
                    text = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    recent.append(text)
                    let violations = ToneChecker(persona: persona, lexicons: catalog.lexicons, answering: text).violations(in: text)
                    print("day \(day + 1): \(text)" + (violations.isEmpty ? "" : "  [fails: \(violations.map(\.description).joined(separator: "; "))]"))
                }
                return
            }
            let preview = PersonaPreview(
                persona: persona, catalog: catalog, responder: responder, fallback: offline ? nil : engines.fallback(for: persona))
            if let batch {
                guard parent == nil else {
                    throw ValidationError("--parent names one comment; with --batch, give the post with --post and put the comments in the file.")
                }
                return try await runBatch(preview, file: batch, under: post)
            }
            guard let post else { throw ValidationError("Give --post TEXT, --batch FILE or --opener.") }
            let report = try await preview.run(post: post, parent: parent, seed: seed, forceTrigger: forceTrigger)
            for line in report.lines { print(line) }
        }

        /// One post a line, or a JSON list of texts.
        static func posts(in file: String) throws -> [String] {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("Cannot read \(file).") }
            if let list = try? JSONSerialization.jsonObject(with: data) as? [Any] {
                let texts = list.compactMap { $0 as? String }
                guard texts.count == list.count else { throw ValidationError("\(file) is a JSON list, but not of texts only.") }
                return texts
            }
            return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }

        /// Each text of `file` as a post, or, `under` a post, as a comment on it.
        private func runBatch(_ preview: PersonaPreview, file: String, under threadPost: String?) async throws {
            let posts = try Self.posts(in: file)
            var rows: [[String: Any]] = []
            var replies = 0
            for (index, post) in posts.enumerated() {
                let report = try await preview.run(post: threadPost ?? post, parent: threadPost == nil ? nil : post, seed: seed, forceTrigger: forceTrigger)
                if report.reply != nil { replies += 1 }
                let decision = report.reply.map { "reply: \($0)" } ?? report.lines.last ?? "silence"
                let trigger = report.lines.first { $0.hasPrefix("trigger:") }.map { String($0.dropFirst("trigger: ".count)) } ?? ""
                if json {
                    var row: [String: Any] = ["index": index + 1, "post": post, "situation": report.reading?.summary ?? "",
                                              "trigger": trigger, "forced": forceTrigger, "reply": report.reply ?? NSNull(), "decision": decision,
                                              "steps": report.lines]
                    if let (example, score) = report.closestExample {
                        row["closest_example"] = ["post": example.post, "reply": example.reply, "similarity": (score * 100).rounded() / 100]
                    }
                    rows.append(row)
                } else {
                    print("\(index + 1). \(post)")
                    print("   situation: \(report.reading?.summary ?? "-")")
                    print("   trigger: \(trigger)")
                    if let (example, score) = report.closestExample {
                        print("   closest example: \"\(example.post)\" (similarity \(String(format: "%.2f", score)))")
                    }
                    print("   \(decision)")
                }
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("\(posts.count) \(threadPost == nil ? "posts" : "comments"): \(replies) replies, \(posts.count - replies) silences\(forceTrigger ? " (triggers forced)" : "").")
                if replies == 0 && !forceTrigger {
                    print("Nothing triggered it: add --force-trigger to see what it would say where a mention or the chance roll was missing.")
                }
            }
        }
    }
}

extension PersonaCommand {
    struct Eval: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run personas over a corpus of labelled posts: how the situations were read, and every reply that breaks the floor.",
            discussion: "Exit status 1 when any published reply breaks the situation floor.")

        @Argument(help: "Persona ids (default: every valid persona).")
        var ids: [String] = []

        @Option(help: "The labelled corpus, one JSON object a line (default: <personas>/situations/corpus.jsonl).")
        var corpus: String?

        @Option(help: "The personas directory.")
        var personas = "./personas"

        @Flag(help: "Print every post the situation reader labelled differently from the corpus.")
        var misses = false

        @Flag(help: "Print the results as JSON.")
        var json = false

        func run() async throws {
            let catalog = PersonaCatalog.load(directory: personas)
            let corpusPath = corpus ?? (personas as NSString).appendingPathComponent("situations/corpus.jsonl")
            let entries = try SituationCorpus.load(corpusPath)
            guard !catalog.situations.isEmpty else {
                let problems = catalog.allDiagnostics.filter { $0.file.hasSuffix(PersonaDirectory.situationRules) }.map(\.description)
                throw ValidationError("The situation rules could not be loaded, so every bot would stay silent:\n" + problems.joined(separator: "\n"))
            }
            let chosen = ids.isEmpty ? catalog.personas.keys.sorted() : ids
            for id in chosen where catalog.personas[id] == nil {
                throw ValidationError("There is no valid persona \"\(id)\" in \(personas); run `gatewayd persona check`.")
            }
            let (scores, wrong) = entries.score(SituationReader(rules: catalog.situations))
            let engines = ModelEngines()
            let eval = PersonaEval(catalog: catalog, corpus: entries)
            var reports: [PersonaEval.Report] = []
            for id in chosen {
                guard let persona = catalog.personas[id] else { continue }
                reports.append(try await eval.run(persona, responder: engines.responder(for: persona), fallback: engines.fallback(for: persona)))
            }
            if json {
                try printJSON(scores: scores, reports: reports, corpusPath: corpusPath)
            } else {
                printText(scores: scores, misses: misses ? wrong : [], reports: reports, corpusPath: corpusPath, count: entries.entries.count)
            }
            if reports.contains(where: { !$0.breaks.isEmpty }) { throw ExitCode(1) }
        }

        private func printText(scores: [SituationCorpus.Score], misses: [SituationCorpus.Miss], reports: [PersonaEval.Report], corpusPath: String, count: Int) {
            print("Situations read on \(count) labelled posts (\(corpusPath)):")
            print("situation      labelled  precision  recall")
            for score in scores {
                print(score.situation.name.padding(toLength: 14, withPad: " ", startingAt: 0)
                      + String(score.labelled).leftPadded(9) + String(format: "%11.3f%8.3f", score.precision, score.recall))
            }
            for miss in misses {
                print("  \(miss.entry.id): labelled \(miss.entry.situations.sorted().map(\.name).joined(separator: ", ")), read \(miss.reading.summary): \(miss.entry.text)")
            }
            for report in reports {
                print("\nPersona \(report.persona), every post answered as if a trigger fired:")
                print("situation      posts  replies  silent  unfit caught  floor broken")
                for tally in report.tallies where tally.posts > 0 {
                    print(tally.situation.name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(tally.posts).leftPadded(6)
                          + String(tally.replies).leftPadded(9) + String(tally.silences).leftPadded(8) + String(tally.caught).leftPadded(14)
                          + String(tally.breaks).leftPadded(14))
                }
                for result in report.breaks {
                    print("  BREAKS THE FLOOR \(result.entry.id) (\(result.entry.situations.sorted().map(\.name).joined(separator: ", "))): \(result.entry.text)")
                    print("    reply: \(result.reply ?? "")")
                    for violation in result.breaks { print("    \(violation)") }
                }
            }
            let broken = reports.reduce(0) { $0 + $1.breaks.count }
            print("\n\(broken == 0 ? "No" : String(broken)) published \(broken == 1 ? "reply breaks" : "replies break") the situation floor.")
        }

        private func printJSON(scores: [SituationCorpus.Score], reports: [PersonaEval.Report], corpusPath: String) throws {
            let reader: [[String: Any]] = scores.map {
                ["situation": $0.situation.name, "labelled": $0.labelled, "precision": $0.precision, "recall": $0.recall]
            }
            let personas: [[String: Any]] = reports.map { report in
                [
                    "persona": report.persona,
                    "situations": report.tallies.filter { $0.posts > 0 }.map {
                        ["situation": $0.situation.name, "posts": $0.posts, "replies": $0.replies, "silences": $0.silences,
                         "unfit_caught": $0.caught, "floor_broken": $0.breaks] as [String: Any]
                    },
                    "breaks": report.breaks.map {
                        ["id": $0.entry.id, "text": $0.entry.text, "reply": $0.reply ?? "", "violations": $0.breaks.map(\.description)] as [String: Any]
                    },
                    "replies": report.results.map {
                        ["id": $0.entry.id, "labels": $0.entry.situations.sorted().map(\.name), "text": $0.entry.text, "reply": $0.reply as Any,
                         "reason": $0.reason] as [String: Any]
                    },
                ]
            }
            let data = try JSONSerialization.data(withJSONObject: ["corpus": corpusPath, "reader": reader, "personas": personas], options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
