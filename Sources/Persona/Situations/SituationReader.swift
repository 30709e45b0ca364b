/// Reads the situation of a post or comment from the platform's rules, before any bot replies:
/// pure and repeatable, no network, a fraction of a millisecond a post.
///
/// The text is read sentence by sentence. Idioms are blanked first (笑死 and "killing it" only
/// sound serious); a term in quotation marks is reported speech or a title and does not count;
/// a negation shortly before a term cancels it (`not sad at all`, 不是难过), or makes it count
/// for another situation (`not happy`: distress). Cancelled serious words leave the reading
/// unsure.
public struct SituationReader: Sendable {
    public let rules: SituationRules

    public init(rules: SituationRules) {
        self.rules = rules
    }

    public func read(_ text: String) -> SituationReading {
        guard !rules.isEmpty else { return SituationReading(unsure: true) }
        var scalars = Array(text.lowercased().unicodeScalars)
        // A typographic apostrophe inside a word is an apostrophe (don’t); elsewhere it closes a quote.
        for index in scalars.indices where scalars[index] == "\u{2019}" && TextWords.isWord(at: index, in: scalars) {
            scalars[index] = "'"
        }
        for hit in rules.idioms.hits(in: scalars, range: 0..<scalars.count) {
            for index in hit.range { scalars[index] = " " }
        }
        let quoted = Self.quotedPositions(scalars)
        let scanned = rules.combined.scan(scalars)
        var found: [Situation: String] = [:]
        var weak: [Situation: String] = [:]
        var unsure = false
        var medical = false
        // Praise that means the opposite; it counts once the rules have had their say.
        var sarcasm: String?
        var light = false
        var promotion: String?
        let sentences = Self.sentences(scalars, quoted: quoted)
        for sentence in sentences {
            let context = Sentence(scalars: scalars, range: sentence, quoted: quoted, scanned: scanned, reader: self)
            for situation in Situation.allCases {
                guard let rule = rules.rules[situation] else { continue }
                var evidence: String?
                for hit in context.hits(rule.terms) where !quoted[hit.range.lowerBound] {
                    if hit.term.needsQuestion && !context.isQuestion { continue }
                    if context.isNegated(hit.range) {
                        unsure = true
                        if let other = rule.negated, found[other] == nil { found[other] = "not " + hit.term.text }
                        continue
                    }
                    evidence = hit.term.text
                    break
                }
                if evidence == nil {
                    for groups in rule.together where groups.allSatisfy({ context.has($0) }) {
                        evidence = groups.map { $0 == "?" ? "?" : context.firstTerm(of: $0) ?? $0 }.joined(separator: " + ")
                        break
                    }
                }
                if rule.unless.contains(where: { context.has($0) }) { continue }
                if let evidence {
                    if found[situation] == nil { found[situation] = evidence }
                } else if weak[situation] == nil, !rule.weakUnless.contains(where: { context.has($0) }), let term = context.any(rule.weak) {
                    weak[situation] = term
                }
            }
            if context.any(rules.uncertain) != nil { unsure = true }
            if context.any(rules.light) != nil { light = true }
            if promotion == nil { promotion = context.any(rules.promotion) }
            if sarcasm == nil { sarcasm = context.any(rules.sarcasm) }
            if let term = context.any(rules.medicalQuestion) {
                medical = true
                if found[.illness] == nil { found[.illness] = term }
            }
        }
        let whole = Sentence(scalars: scalars, range: 0..<scalars.count, quoted: quoted, scanned: scanned, reader: self)
        // Praise taken back across sentences ("Great. Fantastic.").
        if sarcasm == nil { sarcasm = whole.any(rules.sarcasm) }
        let sarcastic = sarcasm != nil
        let parts = sentences.map { Sentence(scalars: scalars, range: $0, quoted: quoted, scanned: scanned, reader: self) }
        for situation in Situation.allCases where found[situation] == nil {
            guard let rule = rules.rules[situation] else { continue }
            // The group "?" among them is found in a sentence that asks.
            for groups in rule.anywhere where groups.allSatisfy({ group in parts.contains { $0.has(group) } }) {
                found[situation] = groups.compactMap { whole.firstTerm(of: $0) }.joined(separator: " … ")
                break
            }
        }
        if found.keys.allSatisfy({ $0 == .question }) {
            // Tears beside shouted joy ("1580 on the SAT!!!!! crying rn") are as often happy
            // ones: neither sympathy nor a cheer fits what cannot be told apart.
            // So are tears and fear beside tender news ("he came out to us … we cried", "heard a
            // heartbeat. terrified to hope").
            let jubilant = Self.isJubilant(scalars) && !sarcastic
            // Fear beside good news held back ("pregnant again after 2 losses. so scared to get
            // excited") is no bad news either.
            let tender = whole.has(.tender) || whole.has(.guarded)
            for (situation, term) in weak {
                if situation == .distress && (jubilant || tender) {
                    unsure = true
                } else {
                    found[situation] = term
                }
            }
        }
        if found[.illness] != nil && found[.question] != nil { medical = true }
        // One word of death beside laughter, sarcasm or a plant ("RIP Gerald the fern lol", "then
        // the AC died. Love that for me", "named it Gerald. Gerald is already dying") is a joke as
        // often as not; a death named with whom it took ("grandpa + died", "RIP uncle Dave … lol",
        // "RIP Biscuit 😂", "passed away") stays grief.
        if let evidence = found[.grief], !evidence.contains(" "), sarcastic || whole.has(.laughter) || whole.has(.plant), !whole.has(.kin), !whole.has(.pet) {
            found[.grief] = nil
            unsure = true
        }
        // "我爸喝了酒又打我了，手臂都青了": blows and an arm told of someone at home hitting the
        // writer are that, not self-harm; a crisis said in words of its own still is.
        if whole.has(.hurtAtHome), let evidence = found[.selfHarm], let act = whole.firstTerm(of: .selfAct), evidence.hasPrefix(act + " + ") {
            found[.selfHarm] = nil
        }
        // An ex's good news is not the writer's to be congratulated on, whatever sentence says so.
        if whole.has(.exPartner) { found[.celebration] = nil }
        // A win that asks for a fee first ("won an iPhone in a survey, they just need $5
        // shipping") is the scam's bait: no cheer.
        if promotion != nil { found[.celebration] = nil }
        if let sarcasm, found[.distress] == nil {
            if found.keys.allSatisfy({ $0 == .celebration }) {
                // Sarcasm and nothing else to go on ("oh great, another monday. just what I
                // needed"): a small gripe, not bad news to be sorry about, and no good news.
                found[.celebration] = nil
                unsure = true
            } else {
                // Beside something serious ("oh great, the flu again") it is the bad news.
                found[.distress] = sarcasm
            }
        }
        // In a language the rules do not read, two things still are: "¿eres un bot?" (owed the
        // answer that it is an AI) and "quiero morir" (owed where help is).
        if found[.selfHarm] == nil, let phrase = ForeignLanguage.crisisPhrase(in: text) { found[.selfHarm] = phrase }
        if found[.asksIfBot] == nil, let question = ForeignLanguage.botQuestion(in: text) { found[.asksIfBot] = question }
        // Good news beside bad news is read as the bad news (mixed posts and sarcasm need the
        // careful register), except news shouted with joy ("passed!!! I was sure I failed").
        var mixedNews = false
        if found[.celebration] != nil {
            if [.selfHarm, .grief, .conflict].contains(where: { found[$0] != nil }) {
                found[.celebration] = nil
            } else if found[.distress] != nil {
                mixedNews = true
                if Self.isJubilant(scalars) && !sarcastic { found[.distress] = nil } else { found[.celebration] = nil }
            }
        }
        var reading = SituationReading(situations: Set(found.keys), medicalQuestion: medical, unsure: unsure, light: light, evidence: found)
        // Said in one clause: "my dog just ate a bunch of grapes", not a cat asleep while its
        // owner ate chocolate, nor the grape in "my baby ate a grape and the dog drank bleach".
        let clauses = sentences.flatMap { Self.clauses(scalars, in: $0) }.map {
            Sentence(scalars: scalars, range: $0, quoted: quoted, scanned: scanned, reader: self)
        }
        // A person swallowed it, unless a pet is who did ("my dog drank some bleach" is a vet's;
        // "my kid licked the antifreeze the dog spilled" is not).
        let swallowedPoison = clauses.contains { $0.has(.swallowedPoison) && !$0.has(.petAte) }
        let petPoison = clauses.lazy.compactMap { clause -> PetPoison? in
            guard clause.has(.petAte) || clause.has(.petAsk) else { return nil }
            // "…and our dog drank some too": what the person swallowed, only when one did.
            let substance = clause.firstTerm(of: .petPoison) ?? clause.firstTerm(of: .poison)
                ?? (clause.has(.also) && swallowedPoison ? whole.firstTerm(of: .petPoison) ?? whole.firstTerm(of: .poison) : nil)
            return substance.map { PetPoison(substance: $0, eaten: clause.has(.petAte)) }
        }.first
            // Told across a comma or an "and" with one subject ("my dog ate, I think, half a bag of
            // grapes", "stole the brownies and ate the chocolate wrapper"): the sentence, as before.
            ?? parts.lazy.compactMap { sentence -> PetPoison? in
                // Not when someone else ate in it: "gave my dog a bath, then ate some chocolate".
                guard sentence.has(.petAte) || sentence.has(.petAsk), !sentence.has(.personAte) else { return nil }
                return sentence.firstTerm(of: .petPoison).map { PetPoison(substance: $0, eaten: sentence.has(.petAte)) }
            }.first
        // A pet's emergency is a vet's: it does not make the reading urgent, which means a
        // person's emergency department.
        // Told as news of now: not a poster of stroke signs, last year's chest pain, or "lol".
        let signs = (whole.has(.emergencySign) || (whole.has(.chestTight) && whole.has(.armOrJaw)))
            && !whole.has(.aboutSigns) && !whole.has(.laughter) && !(whole.has(.recovery) && !whole.has(.relapse))
        let emergency = signs || swallowedPoison
        reading.urgent = (medical && parts.contains { $0.has(.urgent) }) || (found[.illness] != nil && emergency)
        reading.recovering = whole.has(.recovery) && !whole.has(.relapse)
        reading.hurtAtHome = whole.has(.hurtAtHome)
        reading.imminent = whole.has(.imminent) && whole.has(.method)
        reading.overdoseTaken = whole.has(.overdoseTaken) && whole.has(.method)
        // "I called the line but nobody answered" reached no one.
        reading.reachedOut = whole.has(.reachedOut) && !whole.has(.reachFailed) && !scalars.contains { $0 == "?" || $0 == "？" }
        reading.selfBlame = whole.has(.selfBlame)
        reading.asksHowToCope = whole.has(.copingAsk)
        // "狗吃葡萄到底要不要紧？" asks about a pet's poisoning in words the illness rules miss, and
        // "my son can't breathe and his lips are turning blue" is an emergency without one.
        if !reading.contains(.illness), let evidence = petPoison?.substance ?? (signs ? whole.firstTerm(of: .emergencySign) : nil) {
            reading.situations.insert(.illness)
            reading.situations.remove(.other)
            reading.evidence[.illness] = evidence
            reading.urgent = reading.urgent || signs
        }
        if reading.contains(.illness) {
            reading.emergencySigns = signs
            reading.petPoison = petPoison
            reading.swallowedPoison = swallowedPoison
            reading.toxicMix = whole.has(.toxicMix)
            reading.toxicMixExposed = reading.toxicMix && (emergency || whole.has(.fumeSign))
            reading.carbonMonoxide = whole.has(.coRisk)
            reading.notEating = whole.has(.notEating)
        }
        reading.mixedNews = mixedNews
        reading.promotion = promotion
        return reading
    }

    /// A text lowered and split once, for any number of `mentions(_:in:)` questions about it.
    public struct Lowered {
        let scalars: [Unicode.Scalar]
        let quoted: [Bool]

        public init(_ text: String) {
            scalars = Array(text.lowercased().unicodeScalars)
            quoted = SituationReader.quotedPositions(scalars)
        }
    }

    /// Whether the text names a member of `group` anywhere (quotation and negation aside).
    public func mentions(_ group: ReaderGroup, in text: Lowered) -> Bool {
        guard let terms = rules.groups[group.rawValue] else { return false }
        return terms.hits(in: text.scalars, range: 0..<text.scalars.count).contains { !text.quoted[$0.range.lowerBound] }
    }

    /// Whether a comment asks in its words with no closing mark at all ("@factcheck is the earth
    /// flat", "what's the crisis number"): people type questions to a bot without the mark as often
    /// as with it. Asked only of comments spoken to a persona; a sentence that opens with an
    /// auxiliary or a question word, and has at least three words, and no mark at its end.
    public static func asksWithoutMark(_ text: String) -> Bool {
        let scalars = Array(text.lowercased().unicodeScalars)
        return sentences(scalars, quoted: quotedPositions(scalars)).contains { range in
            guard let last = scalars[range].lastIndex(where: { !$0.properties.isWhitespace }), TextWords.isWordScalar(scalars[last]) else { return false }
            let words = String(String.UnicodeScalarView(scalars[range])).split { !($0.isLetter || $0.isNumber || $0 == "'" || $0 == "@") }
                .filter { !$0.hasPrefix("@") }
            guard words.count >= 3 else { return false }
            let (first, second) = (String(words[0]), String(words[1]))
            if first == "what" || first == "how" { return questionSeconds.contains(second) }
            return questionOpeners.contains(first)
        }
    }

    private static let questionOpeners: Set<String> = [
        "is", "are", "am", "do", "does", "can", "could", "will", "would", "should", "what's", "whats", "why", "who", "which", "where",
        "when", "how's",
    ]
    /// "what is", "how many": a question; "what a day", "how sweet": an exclamation.
    private static let questionSeconds: Set<String> = [
        "is", "are", "was", "were", "do", "does", "did", "can", "could", "should", "would", "will", "about", "if", "many", "much", "long",
        "old", "far", "often", "to",
    ]

    /// Doubled exclamation marks or a party emoji.
    static func isJubilant(_ scalars: [Unicode.Scalar]) -> Bool {
        let marks: Set<Unicode.Scalar> = ["!", "！"]
        for index in scalars.indices.dropFirst() where marks.contains(scalars[index]) && marks.contains(scalars[index - 1]) { return true }
        return scalars.contains { ["🎉", "🥳", "🎊", "🍾"].contains($0) }
    }

    /// One sentence of the text, with what the rules need to ask of it. A class only to
    /// remember which groups it holds: every rule asks about the same few groups.
    private final class Sentence {
        let scalars: [Unicode.Scalar]
        let range: Range<Int>
        let quoted: [Bool]
        /// Every list's hits in the whole text, by tag.
        let scanned: [[TermSet.Hit]]
        let reader: SituationReader
        private var groups: [String: String?] = [:]

        init(scalars: [Unicode.Scalar], range: Range<Int>, quoted: [Bool], scanned: [[TermSet.Hit]], reader: SituationReader) {
            self.scalars = scalars
            self.range = range
            self.quoted = quoted
            self.scanned = scanned
            self.reader = reader
        }

        /// The list's hits inside this sentence (or `within`).
        func hits(_ list: TermSet, within: Range<Int>? = nil) -> [TermSet.Hit] {
            let bounds = within ?? range
            guard list.tag >= 0, list.tag < scanned.count else { return list.hits(in: scalars, range: bounds) }
            return scanned[list.tag].filter { $0.range.lowerBound >= bounds.lowerBound && $0.range.upperBound <= bounds.upperBound }
        }

        /// Ends with a question mark, or with 吗/么.
        lazy var isQuestion: Bool = asks()

        private func asks() -> Bool {
            var index = range.upperBound - 1
            while index >= range.lowerBound {
                let scalar = scalars[index]
                if scalar == "?" || scalar == "？" || scalar == "吗" || scalar == "么" { return true }
                if TextWords.isWordScalar(scalar) || TextScript.isCJK(scalar) { return false }
                index -= 1
            }
            return false
        }

        func firstTerm(of group: String) -> String? {
            if let known = groups[group] { return known }
            // A group's "you?" names the words; only a list's own terms ask for a question.
            let found = reader.rules.groups[group].flatMap { any($0, askingOnly: false) }
            groups[group] = found
            return found
        }

        func has(_ group: String) -> Bool {
            group == "?" ? isQuestion : firstTerm(of: group) != nil
        }

        func has(_ group: ReaderGroup) -> Bool { has(group.rawValue) }

        func firstTerm(of group: ReaderGroup) -> String? { firstTerm(of: group.rawValue) }

        /// The first term of `terms` here, not quoted or negated; a term ending in `?` counts
        /// only in a sentence that asks, unless `askingOnly` is false.
        func any(_ terms: TermSet, askingOnly: Bool = true) -> String? {
            hits(terms).first { !quoted[$0.range.lowerBound] && !isNegated($0.range) && (!askingOnly || !$0.term.needsQuestion || isQuestion) }?.term.text
        }

        /// A negation in the same clause, within the window of words before a Latin term, or
        /// right before (up to four characters) a CJK one.
        func isNegated(_ term: Range<Int>) -> Bool {
            var start = term.lowerBound
            var words = 0
            var inWord = false
            var cjk = 0
            while start > range.lowerBound {
                let scalar = scalars[start - 1]
                if Self.clauseEnds.contains(scalar) { break }
                if TextScript.isCJK(scalar) {
                    cjk += 1
                    if cjk > 4 { break }
                } else if TextWords.isWord(at: start - 1, in: scalars) {
                    if !inWord { words += 1 }
                    inWord = true
                    if words > reader.rules.negationWindow { break }
                } else {
                    inWord = false
                }
                start -= 1
            }
            guard start < term.lowerBound else { return false }
            // "nothing planned and I'm thrilled": a conjunction starts another clause.
            if let joint = Self.conjunctions.hits(in: scalars, range: start..<term.lowerBound).last { start = joint.range.upperBound }
            let window = start..<term.lowerBound
            for hit in hits(reader.rules.negations, within: window) {
                // 是不是, 能不能, 有没有: an A-not-A question, not a negation.
                if hit.term.isCJK, hit.range.lowerBound > 0, hit.range.lowerBound + 1 < scalars.count,
                    scalars[hit.range.lowerBound - 1] == scalars[hit.range.lowerBound + 1]
                {
                    continue
                }
                // A CJK negation counts only right before the term: 不是难过, not 不错，难过.
                if hit.term.isCJK && hit.range.upperBound < term.lowerBound - 1 && TextScript.isCJK(scalars[term.lowerBound]) {
                    let between = scalars[hit.range.upperBound..<term.lowerBound]
                    if between.contains(where: TextScript.isCJK) { continue }
                }
                return true
            }
            // Contractions: didn't, isn't, can't.
            var index = window.lowerBound
            while index + 2 < window.upperBound {
                if scalars[index] == "n" && scalars[index + 1] == "'" && scalars[index + 2] == "t" { return true }
                index += 1
            }
            return false
        }

        static let conjunctions = TermSet(["and", "but"])
        static let clauseEnds: Set<Unicode.Scalar> = [",", "，", ";", "；", ":", "：", "、", "(", ")", "（", "）", "—", "-", "\n"]
    }

    /// Sentences as ranges of scalars: each ends after . ! ? 。！？… or a line break, unless that
    /// mark is inside quotation marks, or a `.` or `?` has a letter right after it (r.i.p, a.i., a
    /// link's `watch?v=`).
    /// A sentence cut where another subject may start: at commas and semicolons, and before
    /// "and", "but", "while" and "then" ("the dog ate grapes and my toddler drank some bleach").
    static func clauses(_ scalars: [Unicode.Scalar], in sentence: Range<Int>) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = sentence.lowerBound
        var index = sentence.lowerBound
        while index < sentence.upperBound {
            if ",;，；、".unicodeScalars.contains(scalars[index]) {
                ranges.append(start..<(index + 1))
                start = index + 1
            } else if scalars[index] == " ", index > start,
                let joiner = clauseJoiners.first(where: { Self.word($0, at: index + 1, in: scalars, before: sentence.upperBound) })
            {
                ranges.append(start..<(index + 1))
                start = index + 1
                index += joiner.count
                continue
            }
            index += 1
        }
        if start < sentence.upperBound { ranges.append(start..<sentence.upperBound) }
        return ranges
    }

    private static let clauseJoiners = ["and", "but", "while", "then"].map { Array($0.unicodeScalars) }

    /// Whether `word` stands whole at `index`.
    private static func word(_ word: [Unicode.Scalar], at index: Int, in scalars: [Unicode.Scalar], before end: Int) -> Bool {
        guard index + word.count <= end, Array(scalars[index..<(index + word.count)]) == word else { return false }
        return index + word.count == end || !TextWords.isWordScalar(scalars[index + word.count])
    }

    static func sentences(_ scalars: [Unicode.Scalar], quoted: [Bool]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for index in scalars.indices where !quoted[index] {
            let scalar = scalars[index]
            var ends = "!?！？。…\n".unicodeScalars.contains(scalar)
            if scalar == "." || scalar == "?" {
                // r.i.p and a.i. go on, and so does a link's query (watch?v=…).
                let next = index + 1 < scalars.count ? scalars[index + 1] : " "
                ends = !TextWords.isWordScalar(next)
            }
            if ends {
                // Runs of marks ("?!", "...") stay with their sentence.
                if index + 1 < scalars.count, "!?！？。….".unicodeScalars.contains(scalars[index + 1]) { continue }
                ranges.append(start..<(index + 1))
                start = index + 1
            }
        }
        if start < scalars.count { ranges.append(start..<scalars.count) }
        return ranges
    }

    private static let quotePairs: [(Unicode.Scalar, Unicode.Scalar)] = [
        ("\"", "\""), ("\u{201C}", "\u{201D}"), ("「", "」"), ("『", "』"), ("《", "》"), ("\u{2018}", "\u{2019}"), ("'", "'"),
    ]

    /// Positions inside a pair of quotation marks (the marks included). An ASCII apostrophe opens a
    /// quote only at the start of a word and closes one only at the end of a word, so `don't`
    /// and `dogs'` never do; an unclosed mark quotes nothing.
    static func quotedPositions(_ scalars: [Unicode.Scalar]) -> [Bool] {
        var quoted = [Bool](repeating: false, count: scalars.count)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            guard let pair = quotePairs.first(where: { $0.0 == scalar }) else {
                index += 1
                continue
            }
            if pair.0 == "'" {
                let before = index > 0 ? scalars[index - 1] : " "
                let after = index + 1 < scalars.count ? scalars[index + 1] : " "
                if TextWords.isWordScalar(before) || !TextWords.isWordScalar(after) {
                    index += 1
                    continue
                }
            }
            var close = index + 1
            var found: Int?
            while close < scalars.count {
                if scalars[close] == pair.1 {
                    let after = close + 1 < scalars.count ? scalars[close + 1] : " "
                    if pair.1 != "'" || !TextWords.isWordScalar(after) {
                        found = close
                        break
                    }
                }
                close += 1
            }
            guard let found else {
                index += 1
                continue
            }
            for position in index...found { quoted[position] = true }
            index = found + 1
        }
        return quoted
    }
}
