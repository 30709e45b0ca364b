/// A language other than the two the situation rules and the phrasebooks are written in, when a
/// text is plainly in one. A bot that cannot read a post cannot tell a death from a wedding:
/// "Mi abuela murió ayer" read as English words is ordinary, and got "Thanks for sharing this".
/// Japanese was read as Chinese (its kanji) and answered in Chinese; Korean likewise.
///
/// The guess is deliberately shy: a text is foreign only when its script says so, or when its
/// common words are plainly another language's ("hoy es mi cumpleaños"). An English post with a
/// name or a phrase in it ("Los Angeles", "bon appétit") stays English, and a kaomoji's kana
/// ("不想活了 (ノへ￣、)") does not make Chinese Japanese.
public struct ForeignLanguage: Sendable, Equatable {
    /// A BCP 47 tag: the language where one is meant, `und-<Script>` where only the script is known.
    public let code: String
    /// For people reading the decision log: "Spanish", "a language written in Cyrillic".
    public let name: String

    public static func of(_ text: String) -> ForeignLanguage? {
        var count = ScriptCount()
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            // A kaomoji lives in short brackets: its letters are a face, not words. A bracket that
            // does not close soon (":(", "(see below ...") is just a bracket.
            if "(（".unicodeScalars.contains(scalars[index]),
                let close = scalars[(index + 1)..<min(scalars.count, index + 16)].firstIndex(where: { ")）".unicodeScalars.contains($0) })
            {
                index = close + 1
                continue
            }
            count.add(scalars[index])
            index += 1
        }
        guard count.letters > 0 else { return nil }
        // Japanese writes its grammar in hiragana, several different ones in any sentence
        // (は, の, で, し, た); 我の猫 has one, a kaomoji's ノ or ヽ none.
        if count.hiragana.count >= 2, count.kana * 4 >= count.han + count.kana, (count.han + count.kana) * 2 >= count.letters {
            return ForeignLanguage(code: "ja", name: "Japanese")
        }
        if count.hangul >= 2, count.hangul * 2 >= count.letters {
            return ForeignLanguage(code: "ko", name: "Korean")
        }
        if let script = count.otherScripts.max(by: { $0.value < $1.value }), script.value >= 3, script.value * 2 >= count.letters {
            return script.key.language
        }
        // Chinese, or too few Latin letters to say.
        guard count.latin * 2 >= count.letters, count.latin >= 4 else { return nil }
        return latinLanguage(of: text)
    }

    /// The Latin-script language whose common words (and letters only it uses) outnumber
    /// English's in the text: at least two distinct ones and more than English has, three when
    /// English has any ("Took my med. 30 min later" has two Swedish-looking words).
    private static func latinLanguage(of text: String) -> ForeignLanguage? {
        var english = 0
        var hits: [String: Int] = [:]
        var seen: Set<Substring> = []
        let lowered = text.lowercased().replacing("\u{2019}", with: "'")
        for word in lowered.split(whereSeparator: { !($0.isLetter || $0 == "'") }) {
            let word = word.drop(while: { $0 == "'" })
            guard !word.isEmpty, seen.insert(word).inserted else { continue }
            if englishWords.contains(word) { english += 1 }
            for (code, words) in commonWords where words.contains(word) { hits[code, default: 0] += 1 }
        }
        var marked: Set<String> = []
        for scalar in lowered.unicodeScalars {
            if let code = letterOnlyIn[scalar] { marked.insert(code) }
            if (0x1EA0...0x1EF9).contains(scalar.value) { marked.insert("vi") }
        }
        for code in marked { hits[code, default: 0] += 1 }
        guard let best = hits.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }), best.value >= (english == 0 ? 2 : 3), best.value > english else {
            return nil
        }
        return ForeignLanguage(code: best.key, name: latinNames[best.key] ?? best.key)
    }

    /// Common words of each language that are not also common English words or abbreviations
    /// ("die", "was", "come", "hat", "op", "do", "no", "a", "med", "min", "mon", "est", "ai", "con"
    /// are left out).
    private static let commonWords: [String: Set<Substring>] = [
        "es": ["el", "la", "los", "las", "que", "de", "del", "y", "en", "es", "por", "para", "una", "mi", "mis", "muy",
               "pero", "como", "está", "estoy", "estaba", "fue", "hoy", "ayer", "tengo", "se", "su", "sus",
               "yo", "tu", "porque", "qué", "cómo", "cuando", "también", "gracias", "mañana", "nuestro", "nuestra", "eres",
               "soy", "tiene", "voy", "años", "mucho", "muchas", "hola", "nada", "todo", "todos", "este", "esta", "esto",
               "murió", "falleció", "anoche", "mamá", "papá", "abuela", "abuelo", "hermano", "hermana", "perro", "gato", "triste",
               "feliz", "hija", "hijo"],
        "fr": ["les", "du", "et", "je", "j'ai", "c'est", "pas", "mes", "une", "avec", "pour", "dans", "qui", "cette", "suis",
               "très", "mais", "nous", "vous", "elle", "aux", "été", "sont", "aujourd'hui", "merci", "tout", "trop", "oui", "ça",
               "de", "la", "que", "en", "qu'il", "n'est"],
        "de": ["und", "ich", "nicht", "der", "das", "ist", "mein", "meine", "ein", "eine", "zu", "auf", "für", "heute",
               "sehr", "aber", "wir", "sie", "nach", "auch", "habe", "wurde", "ihr", "dem", "des", "sich", "noch", "wie",
               "schon", "doch", "mir", "dich", "dir", "uns", "gestern", "danke", "jetzt", "immer", "kein", "keine", "geht"],
        "pt": ["não", "eu", "meu", "minha", "com", "uma", "é", "muito", "está", "hoje", "ontem", "você", "que", "de", "da",
               "em", "para", "mas", "obrigado", "obrigada", "tô", "estou", "foi", "tem", "sou", "ele", "ela", "nós", "isso",
               "esse", "essa", "seu", "sua", "pra", "né", "já", "também", "dos", "das", "mãe", "pai"],
        "it": ["che", "mio", "mia", "sono", "è", "di", "della", "per", "una", "oggi", "molto",
               "anche", "ho", "questo", "questa", "gli", "nel", "alla", "del", "sei", "siamo", "grazie", "ieri",
               "perché", "più", "tutto", "tutti", "ciao", "mamma"],
        "nl": ["het", "een", "ik", "niet", "van", "zijn", "mijn", "met", "voor", "vandaag", "maar", "ook", "wij", "jij", "je",
               "dat", "naar", "heb", "hebben", "wat", "nog", "wel", "geen", "dank", "bedankt", "en", "de"],
        "id": ["saya", "yang", "dan", "tidak", "ini", "itu", "aku", "ke", "dengan", "untuk", "hari", "sudah", "bisa", "tapi",
               "kami", "kita", "akan", "dari", "juga", "sangat", "terima", "kasih", "banget", "gak", "nggak", "udah",
               "lagi", "mau"],
        "tr": ["ve", "bir", "bu", "çok", "için", "değil", "ama", "gibi", "ile", "var", "yok", "bugün", "teşekkürler"],
        "pl": ["nie", "się", "jest", "na", "że", "jak", "mam", "mój", "moja", "dzisiaj", "bardzo", "ale", "tak", "czy", "już"],
        "sv": ["och", "jag", "inte", "är", "det", "på", "för", "som", "har", "mitt", "idag", "tack", "en"],
        "tl": ["ang", "ng", "mga", "ako", "ko", "hindi", "naman", "lang", "talaga", "ito", "siya", "namin",
               "salamat"],
        "vi": ["tôi", "của", "và", "là", "có", "không", "được", "này", "những", "một", "cho", "với", "người"],
    ]

    /// Letters that only one of these languages writes among them.
    private static let letterOnlyIn: [Unicode.Scalar: String] = [
        "ñ": "es", "¿": "es", "¡": "es", "ß": "de", "ã": "pt", "õ": "pt", "ğ": "tr", "ş": "tr", "ı": "tr",
        "ą": "pl", "ę": "pl", "ł": "pl", "ń": "pl", "ś": "pl", "ź": "pl", "ż": "pl", "đ": "vi", "ơ": "vi", "ư": "vi",
    ]

    /// English's common words, without those Spanish, French and Italian write too ("a", "me").
    private static let englishWords: Set<Substring> = [
        "the", "and", "i", "my", "is", "it", "to", "of", "in", "was", "for", "on", "that", "this", "with", "you", "we",
        "our", "just", "so", "but", "have", "had", "be", "are", "at", "not", "got", "im", "i'm", "it's", "don't", "can't",
        "what", "how", "do", "he", "she", "they", "his", "her", "all", "get", "from", "up", "out", "about", "will", "been",
        "one", "very", "really", "lol", "your", "when", "if", "or", "an", "no", "omg", "today", "can", "would", "there",
        "like", "its", "did", "know", "am", "us", "them", "their", "who", "why", "some", "too", "u", "thanks", "love", "day",
        "good", "new", "yes", "she's", "he's", "we're", "you're", "that's", "i've", "i'll", "haha",
    ]

    // Kana and Hangul as the guess counts them: the only letters that can make a text Japanese
    // or Korean, so `TextScript.language` asks the guess only when it has seen one.
    static let hiragana: ClosedRange<UInt32> = 0x3041...0x3096

    static func isKana(_ value: UInt32) -> Bool {
        hiragana.contains(value) || (0x30A1...0x30FA).contains(value) || (0x31F0...0x31FF).contains(value) || (0xFF66...0xFF9D).contains(value)
    }

    static func isHangul(_ value: UInt32) -> Bool {
        (0xAC00...0xD7AF).contains(value) || (0x1100...0x11FF).contains(value) || (0x3131...0x318E).contains(value)
    }

    private static let latinNames = [
        "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese", "it": "Italian", "nl": "Dutch",
        "id": "Indonesian or Malay", "tr": "Turkish", "pl": "Polish", "sv": "Swedish", "tl": "Tagalog", "vi": "Vietnamese",
    ]
}

/// Letters of a text by script.
private struct ScriptCount {
    enum Script: Hashable {
        case cyrillic, greek, arabic, hebrew, devanagari, bengali, tamil, thai, georgian, armenian, other

        var language: ForeignLanguage {
            switch self {
            case .cyrillic: ForeignLanguage(code: "und-Cyrl", name: "a language written in Cyrillic")
            case .greek: ForeignLanguage(code: "el", name: "Greek")
            case .arabic: ForeignLanguage(code: "und-Arab", name: "a language written in Arabic script")
            case .hebrew: ForeignLanguage(code: "he", name: "Hebrew")
            case .devanagari: ForeignLanguage(code: "und-Deva", name: "a language written in Devanagari")
            case .bengali: ForeignLanguage(code: "bn", name: "Bengali")
            case .tamil: ForeignLanguage(code: "ta", name: "Tamil")
            case .thai: ForeignLanguage(code: "th", name: "Thai")
            case .georgian: ForeignLanguage(code: "ka", name: "Georgian")
            case .armenian: ForeignLanguage(code: "hy", name: "Armenian")
            case .other: ForeignLanguage(code: "und", name: "a language other than English and Chinese")
            }
        }
    }

    var letters = 0
    var latin = 0
    var han = 0
    var kana = 0
    var hiragana: Set<Unicode.Scalar> = []
    var hangul = 0
    var otherScripts: [Script: Int] = [:]

    mutating func add(_ scalar: Unicode.Scalar) {
        let value = scalar.value
        if value < 0x80 {
            if (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) {
                letters += 1
                latin += 1
            }
            return
        }
        guard scalar.properties.isAlphabetic else { return }
        letters += 1
        switch value {
        // Fancy-font letters (𝓗𝓲, Ⓗⓘ, Ｈｉ, ᴍʏ ᴅᴀᴅ) are Latin letters dressed up.
        case 0xC0...0x2AF, 0x1D00...0x1DBF, 0x1E00...0x1EFF, 0x1D400...0x1D7FF, 0x24B6...0x24E9, 0xFF21...0xFF5A: latin += 1
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0xF900...0xFAFF: han += 1
        case ForeignLanguage.hiragana:
            kana += 1
            hiragana.insert(scalar)
        case _ where ForeignLanguage.isKana(value): kana += 1
        case _ where ForeignLanguage.isHangul(value): hangul += 1
        case 0x400...0x52F: otherScripts[.cyrillic, default: 0] += 1
        case 0x370...0x3FF, 0x1F00...0x1FFF: otherScripts[.greek, default: 0] += 1
        case 0x600...0x6FF, 0x750...0x77F, 0xFB50...0xFDFF, 0xFE70...0xFEFF: otherScripts[.arabic, default: 0] += 1
        case 0x590...0x5FF: otherScripts[.hebrew, default: 0] += 1
        case 0x900...0x97F: otherScripts[.devanagari, default: 0] += 1
        case 0x980...0x9FF: otherScripts[.bengali, default: 0] += 1
        case 0xB80...0xBFF: otherScripts[.tamil, default: 0] += 1
        case 0xE00...0xE7F: otherScripts[.thai, default: 0] += 1
        case 0x10A0...0x10FF: otherScripts[.georgian, default: 0] += 1
        case 0x530...0x58F: otherScripts[.armenian, default: 0] += 1
        default: otherScripts[.other, default: 0] += 1
        }
    }
}
