/// Judges a reply against the situation of what it answers, beside the tone rules that judge its
/// form: no cheer, jokes, emoji or exclamations on grief, self-harm, illness or distress; no
/// condolences on good news; a plain "I am an AI" when asked; no doses or diagnoses, and a pointer
/// to a doctor, on a medical question. Every engine's output passes through it, drafts included.
public struct FitCheck: Sendable {
    public let reading: SituationReading
    public let fit: SituationRules.Fit
    /// The persona's display name, which a disclosure must say.
    public let personaName: String

    public init(reading: SituationReading, rules: SituationRules, personaName: String) {
        self.reading = reading
        fit = rules.fit
        self.personaName = personaName
    }

    /// Some rules can only be judged on the whole reply (a disclosure, a pointer to a doctor):
    /// such a reply is shown only once it is complete.
    public var needsWholeReply: Bool { reading.contains(.asksIfBot) || reading.medicalQuestion }

    private var situationName: String { reading.primary.name }

    public func violations(in reply: String, complete: Bool) -> [Violation] {
        var found: [Violation] = []
        let scalars = Array(reply.lowercased().unicodeScalars)
        func first(_ terms: TermSet) -> String? { terms.hits(in: scalars, range: 0..<scalars.count).first?.term.text }

        if reading.isCareful {
            let post = reading.thread.map { "in a thread of \($0.name)" } ?? "on a \(situationName) post"
            if TextScript.emojiCount(reply) > 0 {
                found.append(Violation(.fitRegister, "an emoji \(post)"))
            } else if reply.contains("!") || reply.contains("！") {
                found.append(Violation(.fitRegister, "an exclamation mark \(post)"))
            } else if let term = first(fit.cheerful) {
                found.append(Violation(.fitRegister, "\"\(term)\" sounds cheerful \(post)"))
            } else if let term = first(fit.jokes) {
                found.append(Violation(.fitRegister, "\"\(term)\" is a joke \(post)"))
            } else if let term = first(fit.prying) {
                found.append(Violation(.fitRegister, "\"\(term)\" asks for more \(post)"))
            }
        } else if reading.contains(.celebration), let term = first(fit.condolences) {
            found.append(Violation(.fitCondolence, "\"\(term)\" is a condolence on good news"))
        }
        if reading.contains(.asksIfBot) {
            if let term = first(fit.humanClaims) {
                found.append(Violation(.fitDisclosure, "\"\(term)\" claims to be human"))
            } else if complete && (first(fit.disclosure) == nil || !reply.lowercased().contains(personaName.lowercased())) {
                found.append(Violation(.fitDisclosure, "asked whether it is a bot, the reply must say plainly that \(personaName) is an AI assistant"))
            }
        }
        // On self-harm the crisis line is the pointer that matters; the support text carries it.
        if reading.medicalQuestion && reading.primary != .selfHarm {
            if let dose = Self.dose(in: Array(Self.withoutNetworkNames(reply).lowercased().unicodeScalars)) {
                found.append(Violation(.fitMedical, "\"\(dose)\" is a dose, and bots give none"))
            } else if let term = first(fit.diagnoses) {
                found.append(Violation(.fitMedical, "\"\(term)\" reads as a diagnosis or a prescription"))
            } else if complete && reading.primary == .illness && first(fit.referral) == nil {
                found.append(Violation(.fitMedical, "a medical question needs a pointer to a doctor or pharmacist"))
            }
        }
        return found
    }

    private static let doseUnits = [
        "mg", "mcg", "µg", "ml", "g", "iu", "milligram", "milligrams", "tablet", "tablets", "pill", "pills", "capsule", "capsules",
        "drops", "times a day", "times daily", "毫克", "微克", "克", "毫升", "片", "粒", "颗", "次",
    ].map { Array($0.unicodeScalars) }

    /// The text with mobile network names blanked: "5G" (a capital G against the digit) is the
    /// network the fact-checker answers myths about, not five grams.
    static func withoutNetworkNames(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        for index in scalars.indices.dropFirst() where scalars[index] == "G" && ("2"..."6").contains(scalars[index - 1]) {
            let before = index >= 2 ? scalars[index - 2] : " "
            let after = index + 1 < scalars.count ? scalars[index + 1] : " "
            guard before.properties.numericType == nil, !TextWords.isWordScalar(after) else { continue }
            scalars[index - 1] = " "
            scalars[index] = " "
        }
        return String(String.UnicodeScalarView(scalars))
    }

    /// A number followed by a unit of medicine ("400 mg", "2 tablets", "两片" is a diagnosis term).
    static func dose(in scalars: [Unicode.Scalar]) -> String? {
        var index = 0
        while index < scalars.count {
            guard scalars[index].properties.numericType != nil, !TextScript.isCJK(scalars[index]) else {
                index += 1
                continue
            }
            let start = index
            while index < scalars.count, scalars[index].properties.numericType != nil || scalars[index] == "." { index += 1 }
            var unitStart = index
            while unitStart < scalars.count, scalars[unitStart] == " " || scalars[unitStart] == "-" { unitStart += 1 }
            for unit in doseUnits where unitStart + unit.count <= scalars.count && scalars[unitStart..<(unitStart + unit.count)].elementsEqual(unit) {
                let end = unitStart + unit.count
                let isLatin = unit.first.map { !TextScript.isCJK($0) } ?? false
                if isLatin, end < scalars.count, TextWords.isWordScalar(scalars[end]) { continue }
                return String(String.UnicodeScalarView(scalars[start..<end]))
            }
        }
        return nil
    }
}
