import Yams

/// `personas/situations/rules.yaml`: the words that tell which situation a post is in, and the
/// words a reply must not use in each (the fit check). Platform policy, like the lexicons; the
/// file's own comments explain each section to the people who edit it.
public struct SituationRules: Sendable, Equatable {
    /// One situation's rule.
    public struct Rule: Sendable, Equatable {
        public var terms: TermSet
        /// Groups that must all be found in one sentence; `?` stands for "the sentence asks".
        public var together: [[String]]
        /// Groups that cancel the situation in a sentence where they are found.
        public var unless: [String]
        /// The situation a negated term counts for instead (`not happy`: distress).
        public var negated: Situation?
        /// Terms that count only when nothing else was found in the text: tears beside good news
        /// are tears of joy, a hospital beside a newborn is no illness.
        public var weak: TermSet
        /// Groups that cancel the weak terms in a sentence where they are found.
        public var weakUnless: [String] = []
        /// Groups that must all be found somewhere in the text, in any of its sentences.
        public var anywhere: [[String]] = []
    }

    /// What a reply must not say, or must say, in each situation.
    public struct Fit: Sendable, Equatable {
        public var cheerful = TermSet([])
        public var jokes = TermSet([])
        public var prying = TermSet([])
        public var condolences = TermSet([])
        public var disclosure = TermSet([])
        public var humanClaims = TermSet([])
        public var diagnoses = TermSet([])
        public var referral = TermSet([])
    }

    public var idioms = TermSet([])
    public var negations = TermSet([])
    public var negationWindow = 3
    public var uncertain = TermSet([])
    /// Signs that a post is light (laughter, delight, an exclamation).
    public var light = TermSet([])
    /// Praise that means the opposite ("oh great", "love that for me"): bad news, and it makes
    /// good-news words beside it count for nothing.
    public var sarcasm = TermSet([])
    public var medicalQuestion = TermSet([])
    /// Advertising and scams ("link in bio", 加微信领取): no bot answers a sales pitch.
    public var promotion = TermSet([])
    public var groups: [String: TermSet] = [:]
    public var rules: [Situation: Rule] = [:]
    public var fit = Fit()
    /// Every list the reader scans, in one index (built by `parse`).
    var combined = CombinedTerms()

    public init() {}

    /// Tags every list the reader scans and indexes them together.
    mutating func index() {
        var lists: [TermSet] = []
        func tag(_ list: inout TermSet) {
            list.tag = lists.count
            lists.append(list)
        }
        tag(&negations)
        tag(&uncertain)
        tag(&light)
        tag(&sarcasm)
        tag(&medicalQuestion)
        tag(&promotion)
        for name in groups.keys.sorted() {
            guard var list = groups[name] else { continue }
            tag(&list)
            groups[name] = list
        }
        for situation in Situation.allCases {
            guard var rule = rules[situation] else { continue }
            tag(&rule.terms)
            tag(&rule.weak)
            rules[situation] = rule
        }
        combined = CombinedTerms(lists)
    }

    /// No rules at all (the file is missing): nothing can be read, so bots stay out of every item.
    public var isEmpty: Bool { rules.isEmpty }

    static let topKeys = ["idioms", "negations", "negation_window", "uncertain", "light", "sarcasm", "medical_question", "promotion", "groups", "situations", "fit"]
    static let ruleKeys = ["terms", "together", "unless", "negated", "weak", "weak_unless", "anywhere"]
    static let fitKeys = ["cheerful", "jokes", "prying", "condolences", "disclosure", "human_claims", "diagnoses", "referral"]
    static let languages = ["en", "zh"]
    /// A term naming groups expands to one term per combination; past this, the file is wrong.
    static let maximumExpansion = 5_000

    public static func parse(_ text: String, file: String) -> Result<SituationRules, PersonaFileErrors> {
        var reader = NodeReader(file: file)
        let root: Node
        switch YAMLSyntax.document(text, file: file) {
        case .success(let node): root = node
        case .failure(let errors): return .failure(errors)
        }
        var rules = SituationRules()
        guard let fields = reader.fields(root, "", allowed: topKeys) else { return .failure(PersonaFileErrors(reader.diagnostics)) }
        // Groups first: terms elsewhere name them.
        var groupTerms: [String: [String]] = [:]
        var groupNodes: [String: Node] = [:]
        if let node = fields["groups"], case .mapping(let mapping) = node {
            for (key, value) in mapping {
                guard let name = key.scalar?.string, name.allSatisfy({ $0.isLetter || $0 == "_" }) else {
                    reader.error(key, "groups", "a group's name is letters and underscores, like kin")
                    continue
                }
                groupTerms[name] = termList(value, "groups.\(name)", &reader) ?? []
                groupNodes[name] = value
            }
        } else if let node = fields["groups"] {
            reader.error(node, "groups", "expected a mapping of group names to term lists, got \(reader.describe(node))")
        }
        // A group's terms may name other groups too ("{pet_animal} ate"), expanded from their
        // terms as written.
        for (name, terms) in groupTerms {
            guard let node = groupNodes[name] else { continue }
            rules.groups[name] = TermSet(expand(terms, node, "groups.\(name)", groups: groupTerms, &reader))
        }
        for group in ReaderGroup.allCases where groupTerms[group.rawValue] == nil {
            reader.error(fields["groups"] ?? root, "groups", "the group \(group.rawValue) is missing; the reader needs it (copy it from the shipped personas/situations/rules.yaml)")
        }
        func terms(_ node: Node?, _ path: String) -> TermSet {
            guard let node, let list = termList(node, path, &reader) else { return TermSet([]) }
            return TermSet(expand(list, node, path, groups: groupTerms, &reader))
        }
        rules.idioms = terms(fields["idioms"], "idioms")
        rules.negations = terms(fields["negations"], "negations")
        rules.uncertain = terms(fields["uncertain"], "uncertain")
        rules.sarcasm = terms(fields["sarcasm"], "sarcasm")
        rules.light = terms(fields["light"], "light")
        rules.medicalQuestion = terms(fields["medical_question"], "medical_question")
        rules.promotion = terms(fields["promotion"], "promotion")
        if let node = fields["negation_window"] { rules.negationWindow = reader.integer(node, "negation_window", range: 1...8) ?? 3 }

        if let node = fields["situations"], let situations = reader.fields(node, "situations", allowed: Situation.allCases.filter { $0 != .other }.map(\.rawValue)) {
            for (name, ruleNode) in situations {
                guard let situation = Situation(rawValue: name) else { continue }
                let path = "situations.\(name)"
                guard let ruleFields = reader.fields(ruleNode, path, allowed: ruleKeys) else { continue }
                var rule = Rule(terms: terms(ruleFields["terms"], "\(path).terms"), together: [], unless: [], negated: nil,
                                weak: terms(ruleFields["weak"], "\(path).weak"))
                rule.together = groupLists(ruleFields["together"], "\(path).together", groups: groupTerms, &reader)
                rule.anywhere = groupLists(ruleFields["anywhere"], "\(path).anywhere", groups: groupTerms, &reader)
                rule.unless = groupNames(ruleFields["unless"], "\(path).unless", groups: groupTerms, &reader)
                rule.weakUnless = groupNames(ruleFields["weak_unless"], "\(path).weak_unless", groups: groupTerms, &reader)
                if let negated = ruleFields["negated"] {
                    rule.negated = reader.choice(negated, "\(path).negated", as: Situation.self)
                }
                if rule.terms.isEmpty && rule.together.isEmpty && rule.weak.isEmpty {
                    reader.error(ruleNode, path, "needs terms or together: with neither, \(name) is never found")
                }
                rules.rules[situation] = rule
            }
            for situation in Situation.allCases where situation != .other && rules.rules[situation] == nil {
                reader.warning(node, "situations", "\(situation.name) has no rule, so no item is ever read as \(situation.name)")
            }
        } else if fields["situations"] == nil {
            reader.error(root, "situations", "is required: the rules for each situation")
        }

        if let node = fields["fit"], let fit = reader.fields(node, "fit", allowed: fitKeys) {
            rules.fit.cheerful = terms(fit["cheerful"], "fit.cheerful")
            rules.fit.jokes = terms(fit["jokes"], "fit.jokes")
            rules.fit.prying = terms(fit["prying"], "fit.prying")
            rules.fit.condolences = terms(fit["condolences"], "fit.condolences")
            rules.fit.disclosure = terms(fit["disclosure"], "fit.disclosure")
            rules.fit.humanClaims = terms(fit["human_claims"], "fit.human_claims")
            rules.fit.diagnoses = terms(fit["diagnoses"], "fit.diagnoses")
            rules.fit.referral = terms(fit["referral"], "fit.referral")
            if rules.fit.disclosure.isEmpty { reader.error(node, "fit.disclosure", "is required: the words that say a reply comes from an AI") }
        } else if fields["fit"] == nil {
            reader.error(root, "fit", "is required: what a reply must not say in each situation")
        }
        rules.index()
        return reader.diagnostics.contains { $0.severity == .error } ? .failure(PersonaFileErrors(reader.diagnostics)) : .success(rules)
    }

    /// `[[kin, death], [pet, vet]]`: lists of group names, `?` allowed for "the sentence asks".
    private static func groupLists(_ node: Node?, _ path: String, groups: [String: [String]], _ reader: inout NodeReader) -> [[String]] {
        guard let node else { return [] }
        guard case .sequence(let entries) = node else {
            reader.error(node, path, "expected a list of group lists, like [[kin, death]]")
            return []
        }
        return entries.enumerated().compactMap { index, entry in
            let names = groupNames(entry, "\(path)[\(index)]", groups: groups, &reader)
            return names.isEmpty ? nil : names
        }
    }

    private static func groupNames(_ node: Node?, _ path: String, groups: [String: [String]], _ reader: inout NodeReader) -> [String] {
        guard let node, let names = reader.strings(node, path, maxLength: 64) else { return [] }
        for name in names where name != "?" && groups[name] == nil {
            reader.error(node, path, "there is no group \"\(name)\" in groups", suggestion: Spelling.suggestion(for: name, among: Array(groups.keys)))
        }
        return names
    }

    /// A term list: `{en: [...], zh: [...]}` or a plain list.
    private static func termList(_ node: Node, _ path: String, _ reader: inout NodeReader) -> [String]? {
        if case .mapping = node {
            guard let byLanguage = reader.fields(node, path, allowed: languages) else { return nil }
            var all: [String] = []
            for language in languages {
                if let list = byLanguage[language], let terms = reader.strings(list, "\(path).\(language)", maxLength: 200) { all += terms }
            }
            return all
        }
        return reader.strings(node, path, maxLength: 200)
    }

    /// Terms with every `{group}` replaced by each member of the group, in every combination.
    private static func expand(_ terms: [String], _ node: Node, _ path: String, groups: [String: [String]], _ reader: inout NodeReader) -> [String] {
        var result: [String] = []
        for term in terms {
            var expanded = [term]
            while let open = expanded[0].firstIndex(of: "{"), let close = expanded[0][open...].firstIndex(of: "}") {
                let name = String(expanded[0][expanded[0].index(after: open)..<close])
                guard let members = groups[name] else {
                    reader.error(node, path, "\"\(term)\" names the group {\(name)}, which groups does not define",
                                 suggestion: Spelling.suggestion(for: name, among: Array(groups.keys)))
                    expanded = []
                    break
                }
                // A group named inside a group's term is expanded once, from its terms as written.
                guard !members.contains(where: { $0.contains("{") }) else {
                    reader.error(node, path, "\"\(term)\" names the group {\(name)}, whose own terms name groups; name a group of plain terms")
                    expanded = []
                    break
                }
                let placeholder = "{\(name)}"
                expanded = expanded.flatMap { text in members.map { text.replacing(placeholder, with: $0.lowercased()) } }
                guard expanded.count <= maximumExpansion else {
                    reader.error(node, path, "\"\(term)\" expands to more than \(maximumExpansion) terms; name fewer groups in it")
                    expanded = []
                    break
                }
                if expanded.isEmpty { break }
            }
            result += expanded
        }
        return result
    }
}
