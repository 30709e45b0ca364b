import ArgumentParser
import Foundation
import Persona

struct PersonaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "persona",
        abstract: "Check persona files and preview what a persona would say.",
        subcommands: [Check.self, Preview.self]
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
            guard let post else { throw ValidationError("Give --post TEXT (or --opener).") }
            let preview = PersonaPreview(
                persona: persona, lexicons: catalog.lexicons, responder: responder, fallback: offline ? nil : engines.fallback(for: persona))
            let report = try await preview.run(post: post, parent: parent, seed: seed)
            for line in report.lines { print(line) }
        }
    }
}
