import Foundation

/// Everything in a personas directory, loaded and checked: the personas with the policy floor
/// applied, the lexicons, and every problem found, by file.
public struct PersonaCatalog: Sendable {
    public var personas: [String: Persona]
    public var lexicons: [String: Lexicon]
    public var policy: PolicyFloor
    /// How bots read the room (`situations/rules.yaml`); empty when the file is missing, and then
    /// bots stay out of every item, since they cannot tell grief from good news.
    public var situations: SituationRules
    /// Problems by file (errors and warnings); a file with an error is not in `personas`.
    public var diagnostics: [String: [Diagnostic]]
    /// The persona id a failing file would have had, when it could be read, so that the last
    /// good version of that persona keeps running.
    public var failedIDs: [String: String]

    public init(personas: [String: Persona] = [:], lexicons: [String: Lexicon] = [:], policy: PolicyFloor = .init(),
                situations: SituationRules = .init(), diagnostics: [String: [Diagnostic]] = [:], failedIDs: [String: String] = [:]) {
        self.personas = personas
        self.lexicons = lexicons
        self.policy = policy
        self.situations = situations
        self.diagnostics = diagnostics
        self.failedIDs = failedIDs
    }

    public var allDiagnostics: [Diagnostic] {
        diagnostics.keys.sorted().flatMap { diagnostics[$0]! }
    }

    public var hasErrors: Bool {
        allDiagnostics.contains { $0.severity == .error }
    }

    /// Loads `directory`: `*.yaml`/`*.yml` personas, `*.json` character cards, `policy.yaml`,
    /// `lexicons/*.txt` and `situations/rules.yaml`. A missing directory is an empty catalog.
    public static func load(directory: String, engineAccess: EngineAccess = EngineAccess()) -> PersonaCatalog {
        var catalog = PersonaCatalog()
        let files = PersonaDirectory.files(in: directory)
        for path in files.lexicons {
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            switch read(path) {
            case .success(let text): catalog.lexicons[name] = Lexicon.parse(name: name, text: text)
            case .failure(let errors): catalog.diagnostics[path, default: []] += errors.diagnostics
            }
        }
        let lexiconNames = Set(catalog.lexicons.keys)
        let situationsPath = files.situations ?? (directory as NSString).appendingPathComponent(PersonaDirectory.situationRules)
        if files.situations == nil {
            if !(files.personas + files.cards).isEmpty {
                catalog.diagnostics[situationsPath, default: []].append(Diagnostic(
                    .warning, file: situationsPath, line: 1, column: 1, path: "",
                    message: "is missing, so bots cannot tell grief from good news and stay silent everywhere; copy the shipped personas/situations/rules.yaml here"))
            }
        } else {
            switch read(situationsPath).flatMap({ SituationRules.parse($0, file: situationsPath) }) {
            case .success(let rules): catalog.situations = rules
            case .failure(let errors): catalog.diagnostics[situationsPath, default: []] += errors.diagnostics
            }
        }
        if let policyPath = files.policy {
            switch read(policyPath).flatMap({ PolicyFloor.parse($0, file: policyPath, lexicons: lexiconNames) }) {
            case .success(let policy): catalog.policy = policy
            case .failure(let errors): catalog.diagnostics[policyPath, default: []] += errors.diagnostics
            }
        }
        for sidecar in files.sidecars where !files.cards.contains(where: { PersonaDirectory.sidecar(of: $0) == sidecar }) {
            let name = (sidecar as NSString).lastPathComponent
            let base = String(name.prefix { $0 != "." })
            catalog.diagnostics[sidecar, default: []].append(Diagnostic(
                .warning, file: sidecar, line: 1, column: 1, path: "",
                message: "this sidecar belongs to no card, so nothing reads it; the sidecar of \(base).json is \(base)\(PersonaDirectory.sidecarSuffix)"))
        }
        var idFiles: [String: String] = [:]
        for path in files.personas + files.cards {
            let parsed: Result<Persona, PersonaFileErrors>
            // The file's text, read once: the warnings below point into it.
            let text: String
            if path.hasSuffix(".json") {
                let id = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                let data = readData(path)
                text = (try? data.get()).map { String(decoding: $0, as: UTF8.self) } ?? ""
                parsed = data.flatMap { CharacterCard.parse($0, file: path, id: id) }.flatMap { card in
                    let sidecar = PersonaDirectory.sidecar(of: path)
                    guard FileManager.default.fileExists(atPath: sidecar) else { return .success(card) }
                    return read(sidecar).flatMap {
                        PersonaParser.applySidecar($0, file: sidecar, to: card, lexicons: lexiconNames, engineAccess: engineAccess)
                    }
                }
            } else {
                let source = read(path)
                text = (try? source.get()) ?? ""
                parsed = source.flatMap { PersonaParser.parse($0, file: path, lexicons: lexiconNames, engineAccess: engineAccess) }
            }
            switch parsed {
            case .success(let persona):
                if let other = idFiles[persona.id] {
                    catalog.diagnostics[path, default: []].append(Diagnostic(
                        file: path, line: 1, column: 1, path: "id", message: "the id \"\(persona.id)\" is already used by \(other)"))
                    continue
                }
                idFiles[persona.id] = path
                let fileName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                if !path.hasSuffix(".json"), fileName != persona.id {
                    let line = idLine(text) ?? 1
                    catalog.diagnostics[path, default: []].append(Diagnostic(
                        .warning, file: path, line: line, column: 1, path: "id",
                        message: "the id \"\(persona.id)\" differs from the file name \"\(fileName)\"; name the file \(persona.id).yaml so that both are found by the same name"))
                }
                let (tightened, notes) = catalog.policy.apply(to: persona)
                catalog.personas[persona.id] = tightened
                catalog.diagnostics[path, default: []] += unfitPhrases(of: tightened, file: path, text: text, catalog: catalog)
                for note in notes {
                    // "limits.replies tightened to …": shown at that field when the file writes it.
                    let field = note.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
                    let isPath = field.contains(".") && field.allSatisfy { $0.isLetter || $0 == "." || $0 == "_" }
                    let position = isPath ? YAMLSyntax.position(of: field, in: text) : nil
                    catalog.diagnostics[path, default: []].append(Diagnostic(
                        .warning, file: path, line: position?.line ?? 1, column: position?.column ?? 1, path: isPath ? field : "",
                        message: isPath ? String(note.dropFirst(field.count + 1)) : note))
                }
            case .failure(let errors):
                catalog.diagnostics[path, default: []] += errors.diagnostics
                if let id = declaredID(path, text: text) { catalog.failedIDs[path] = id }
            }
        }
        return catalog
    }

    /// The largest file read from a personas directory: a persona, however rich, is far smaller,
    /// and a huge character card would hold up every reload.
    public static let maximumFileBytes = 1 << 20

    private static func readData(_ path: String) -> Result<Data, PersonaFileErrors> {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maximumFileBytes else {
            return .failure(PersonaFileErrors([Diagnostic(
                file: path, line: 1, column: 1, path: "",
                message: "the file is \(size / 1024) KiB; files in the personas directory may be at most \(maximumFileBytes >> 10) KiB")]))
        }
        guard let data = FileManager.default.contents(atPath: path) else { return .failure(unreadable(path)) }
        return .success(data)
    }

    private static func read(_ path: String) -> Result<String, PersonaFileErrors> {
        let data: Data
        switch readData(path) {
        case .success(let read): data = read
        case .failure(let errors): return .failure(errors)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(PersonaFileErrors([Diagnostic(file: path, line: 1, column: 1, path: "", message: "the file is not UTF-8 text")]))
        }
        return .success(text)
    }

    private static func unreadable(_ path: String) -> PersonaFileErrors {
        PersonaFileErrors([Diagnostic(file: path, line: 1, column: 1, path: "", message: "the file cannot be read")])
    }

    /// The author's own phrases that the fit check would refuse in their situation (cheer on
    /// grief, an AI disclosure without "AI" …): each would be dropped at run time, so `check`
    /// says so now, at the phrase's list.
    private static func unfitPhrases(of persona: Persona, file: String, text: String, catalog: PersonaCatalog) -> [Diagnostic] {
        guard !persona.voice.phrases.isEmpty, !catalog.situations.isEmpty else { return [] }
        var found: [Diagnostic] = []
        for (situation, byLanguage) in persona.voice.phrases.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            var checker = ToneChecker(persona: persona, lexicons: catalog.lexicons, answering: "")
            checker.fit = FitCheck(reading: SituationReading(situations: [situation]), rules: catalog.situations, personaName: persona.name)
            for (language, phrases) in byLanguage.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let path = "voice.phrases.\(situation.rawValue).\(language.rawValue)"
                for phrase in phrases {
                    let sample = phrase.replacingOccurrences(of: "{name}", with: persona.name).replacingOccurrences(of: "{subject}", with: "it")
                        .replacingOccurrences(of: "{help}", with: "a help line")
                    guard let violation = checker.violations(in: sample).first(where: \.rule.isFit) else { continue }
                    let position = YAMLSyntax.position(of: path, in: text)
                    found.append(Diagnostic(
                        .warning, file: file, line: position?.line ?? 1, column: position?.column ?? 1, path: path,
                        message: "\"\(phrase)\" would never be posted: \(violation.detail) (\(violation.rule.rawValue))"))
                }
            }
        }
        return found
    }

    /// The line number of a file's top-level `id:` line.
    private static func idLine(_ text: String) -> Int? {
        YAMLAnchors.lines(of: text).firstIndex { $0.starts(with: "id:".unicodeScalars) }.map { $0 + 1 }
    }

    /// The `id:` line of a file that failed, found without a full parse.
    private static func declaredID(_ path: String, text: String) -> String? {
        if path.hasSuffix(".json") { return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("id:") {
            let value = line.dropFirst(3).split(separator: "#").first.map { $0.trimmingWhitespace() } ?? ""
            let unquoted = value.trimmingCharacters(in: "\"'")
            return PersonaParser.isValidID(unquoted) ? unquoted : nil
        }
        return nil
    }
}

/// The files of a personas directory, sorted, with their modification stamps for the watcher.
public enum PersonaDirectory {
    public struct Files: Equatable, Sendable {
        public var personas: [String] = []
        public var cards: [String] = []
        /// `<card>.persona.yaml` files, each read with its card.
        public var sidecars: [String] = []
        public var lexicons: [String] = []
        public var policy: String?
        public var situations: String?
    }

    /// Where the situation rules live inside a personas directory.
    public static let situationRules = "situations/rules.yaml"
    /// `<card>.persona.yaml` beside `<card>.json` sets what a card cannot say.
    public static let sidecarSuffix = ".persona.yaml"

    /// The sidecar file of a card, whether or not it exists.
    public static func sidecar(of card: String) -> String {
        String(card.dropLast(".json".count)) + sidecarSuffix
    }

    /// Whether `path` is the directory's platform policy (`policy.yaml`), which is no persona.
    public static func isPolicy(_ path: String) -> Bool {
        ["policy.yaml", "policy.yml"].contains((path as NSString).lastPathComponent)
    }

    public static func files(in directory: String) -> Files {
        var files = Files()
        let manager = FileManager.default
        let entries = ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        for entry in entries where !entry.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(entry)
            if entry == "policy.yaml" || entry == "policy.yml" {
                files.policy = path
            } else if entry.hasSuffix(PersonaDirectory.sidecarSuffix) || entry.hasSuffix(".persona.yml") {
                // Read with its card, not as a persona of its own.
                files.sidecars.append(path)
            } else if entry.hasSuffix(".yaml") || entry.hasSuffix(".yml") {
                files.personas.append(path)
            } else if entry.hasSuffix(".json") {
                files.cards.append(path)
            }
        }
        let situations = (directory as NSString).appendingPathComponent(situationRules)
        if manager.fileExists(atPath: situations) { files.situations = situations }
        let lexiconDirectory = (directory as NSString).appendingPathComponent("lexicons")
        for entry in ((try? manager.contentsOfDirectory(atPath: lexiconDirectory)) ?? []).sorted() where entry.hasSuffix(".txt") {
            files.lexicons.append((lexiconDirectory as NSString).appendingPathComponent(entry))
        }
        return files
    }

    /// A fingerprint of every relevant file's path, size and modification time.
    public static func stamp(of directory: String) -> [String: String] {
        let files = files(in: directory)
        var stamp: [String: String] = [:]
        let sidecars = files.cards.map(sidecar(of:)).filter { FileManager.default.fileExists(atPath: $0) }
        for path in files.personas + files.cards + sidecars + files.lexicons + [files.policy, files.situations].compactMap({ $0 }) {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            stamp[path] = "\(size)/\(modified)"
        }
        return stamp
    }
}
