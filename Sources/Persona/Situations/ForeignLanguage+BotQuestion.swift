import Foundation

extension ForeignLanguage {
    /// The words by which a text asks, in a language the situation rules do not read, whether the
    /// one it speaks to is a bot, an AI or a person ("¿eres un bot?", "Bist du ein Bot?", "너 봇이야?").
    /// That question is owed an honest answer in any language: a persona that stays out of a
    /// Spanish thread it cannot read still says it is an AI when asked there.
    ///
    /// Only a text that is that question and little else counts, and only one that asks (a
    /// question mark, or a question's own ending like か): a bare "I'm an AI" would not answer
    /// "Ya no quiero vivir. ¿Eres real?", nor "Mi novio dice que no eres real", which asks nothing.
    public static func botQuestion(in text: String) -> String? {
        guard text.utf8.count <= 200 else { return nil }
        let lowered = text.lowercased().replacing("\u{2019}", with: "'")
        let marked = lowered.contains { "?？¿؟".contains($0) }
        guard let question = botQuestions.first(in: lowered), marked || asksByItsEnding(question) else { return nil }
        return isAlone(question, in: lowered) ? question : nil
    }

    /// The words by which a text in another language says its writer wants to die ("quiero morir",
    /// "死にたい", "хочу умереть"). The rules cannot read the rest of such a text, but silence
    /// on it is the worst miss: it is read as self-harm, so the support text (in the persona's
    /// language, with its crisis lines) answers and moderators are told.
    public static func crisisPhrase(in text: String) -> String? {
        let lowered = text.lowercased().replacing("\u{2019}", with: "'")
        let padded = PhraseTable.spacedForm(lowered)
        // "quiero morir jajaja", "恥ずかしくて死にたい": laughter and embarrassment.
        guard notInEarnest.first(in: lowered, padded: padded) == nil else { return nil }
        if let phrase = crisisPhrases.unspaced.first(where: { phrase in
            lowered.contains(phrase) && !unspacedNegations.contains { lowered.contains($0 + phrase) }
        }) {
            return phrase
        }
        for phrase in crisisPhrases.spaced {
            var searched = padded.startIndex..<padded.endIndex
            while let range = padded.range(of: " \(phrase) ", range: searched) {
                // "No quiero morir sin conocer Japón", "quiero morir de viejo", "en tus brazos":
                // a wish to live, or to die some other day, of something else, somewhere else.
                let before = padded[..<range.lowerBound].split(separator: " ").last.map(String.init)
                let after = padded[range.upperBound...].split(separator: " ").first.map(String.init)
                if !(before.map(negations.contains) ?? false) && !(after.map(circumstances.contains) ?? false) { return phrase }
                searched = padded.index(before: range.upperBound)..<padded.endIndex
            }
        }
        return nil
    }

    private static func asksByItsEnding(_ question: String) -> Bool {
        ["か", "까", "니", "ไหม", "หรอ", "เปล่า", "มั้ย"].contains { question.hasSuffix($0) }
    }

    /// Whether little but the question is left once it, the names spoken to, laughter and the
    /// question's own words ("o una persona de verdad") are taken out: at most three short words
    /// ("あなたは", "ya").
    private static func isAlone(_ question: String, in lowered: String) -> Bool {
        let spoken = lowered.split(separator: " ").filter { !$0.hasPrefix("@") }.joined(separator: " ")
        // Out of the form it was found in: as typed, or the words without accents.
        let form = spoken.contains(question) ? spoken : PhraseTable.spacedForm(spoken)
        let rest = form.replacing(question, with: " ", maxReplacements: 1)
        let words = rest.folding(options: .diacriticInsensitive, locale: nil).split { !($0.isLetter || $0.isNumber) }
            .filter { !isLaughter($0) && !questionCompany.contains($0) }
        return words.count <= 3 && words.reduce(0) { $0 + $1.count } <= 20
    }

    private static func isLaughter(_ word: Substring) -> Bool {
        let letters = Set(word)
        return letters.isSubset(of: ["k", "j", "a", "h", "e", "ㅋ", "ㅎ", "w", "5"]) && word.count >= 2 || ["lol", "xd", "jk"].contains(word)
    }

    /// The question as people type it, by language. Japanese, Korean, Hindi in Devanagari and
    /// Thai are matched as typed (か and が are different words); the others as whole words with
    /// their accents dropped ("voce e um robo" is "você é um robô" typed on a phone).
    private static let botQuestionsByLanguage: [(code: String, spaced: Bool, questions: [String])] = [
        ("ja", false, ["ボットですか", "ボットなの", "ボットなん", "ボットだよね", "botですか", "botなの", "aiですか", "aiなの", "ロボットですか",
                       "ロボットなの", "人間ですか", "人間なの", "人工知能ですか", "中の人いる"]),
        ("ko", false, ["봇이야", "봇이에요", "봇인가요", "봇이니", "봇입니까", "봇이지", "봇이세요", "봇임", "ai야", "ai예요", "ai인가요", "ai입니까",
                       "ai이야", "ai세요", "로봇이야", "로봇이에요", "로봇인가요", "사람이야", "사람이에요", "사람인가요", "사람이세요", "사람임",
                       "인공지능이야", "인공지능인가요", "인공지능이에요"]),
        ("hi", false, ["क्या तुम बॉट हो", "क्या आप बॉट हो", "क्या आप बॉट हैं", "क्या तुम रोबोट हो", "क्या आप इंसान हैं", "क्या तुम इंसान हो"]),
        ("th", false, ["เป็นบอทไหม", "เป็นบอทหรือเปล่า", "เป็นบอทหรอ", "เป็นบอทรึเปล่า", "เป็นบอทมั้ย", "เป็นคนจริงไหม", "คุณคือบอท"]),
        ("es", true, ["eres un bot", "eres bot", "eres una ia", "eres ia", "eres un robot", "eres una maquina", "eres humano", "eres humana",
                      "eres un humano", "eres real", "eres una persona", "eres persona", "sos un bot", "sos una ia", "sos un robot", "sos humano",
                      "usted es un bot", "es usted un bot", "hablo con un bot", "hablo con una ia", "hablo con una persona", "hablando con un bot",
                      "hablando con una ia", "hablando con una persona", "bot o humano", "bot o persona", "humano o bot", "persona o bot",
                      "ia o humano", "humano o ia"]),
        ("pt", true, ["voce e um bot", "vc e um bot", "voce e bot", "vc e bot", "voce e um robo", "vc e um robo", "voce e robo", "vc e robo",
                      "voce e uma ia", "vc e uma ia", "voce e ia", "vc e ia", "voce e humano", "vc e humano", "voce e real", "vc e real",
                      "voce e uma pessoa", "tu es um bot", "es um bot", "es um robo", "robo ou humano", "bot ou humano", "humano ou bot",
                      "ia ou humano", "humano ou ia"]),
        ("fr", true, ["tu es un bot", "t'es un bot", "es-tu un bot", "etes-vous un bot", "vous etes un bot", "tu es un robot", "t'es un robot",
                      "es-tu un robot", "etes-vous un robot", "vous etes un robot", "tu es une ia", "t'es une ia", "es-tu une ia",
                      "etes-vous une ia", "vous etes une ia", "tu es humain", "t'es humain", "es-tu humain", "etes-vous humain", "tu es un humain",
                      "t'es un humain", "tu es une vraie personne", "bot ou humain", "humain ou bot", "robot ou humain", "humain ou robot",
                      "ia ou humain"]),
        ("de", true, ["bist du ein bot", "bist du ein roboter", "bist du eine ki", "bist du ki", "bist du ein mensch", "bist du ein echter mensch",
                      "bist du echt ein bot", "sind sie ein bot", "sind sie ein roboter", "sind sie eine ki", "sind sie ein mensch",
                      "bot oder mensch", "mensch oder bot", "ki oder mensch", "mensch oder ki", "bist du echt oder", "bist du ein programm"]),
        ("it", true, ["sei un bot", "sei un robot", "sei un'ia", "sei una ia", "sei un'intelligenza artificiale", "sei umano", "sei umana",
                      "sei un umano", "sei una persona vera", "sei reale", "bot o umano", "umano o bot"]),
        ("nl", true, ["ben je een bot", "ben jij een bot", "ben je een robot", "ben je een mens", "bent u een bot", "bent u een mens",
                      "ben je ai", "ben je een ai"]),
        ("id", true, ["kamu bot", "kamu robot", "kamu ai", "apakah kamu bot", "kamu manusia", "anda bot", "apakah anda bot"]),
        ("tr", true, ["bot musun", "robot musun", "insan mısın", "insan misin", "yapay zeka mısın", "yapay zeka misin"]),
        ("pl", true, ["jestes botem", "czy jestes botem", "jestes robotem", "jestes człowiekiem", "czy jestes ai"]),
        ("vi", true, ["ban la bot", "ban co phai la bot", "ban la nguoi that", "ban la robot", "ban la ai"]),
        ("tl", true, ["bot ka ba", "robot ka ba", "ai ka ba", "tao ka ba"]),
        ("hi", true, ["kya tum bot ho", "kya aap bot ho", "kya aap bot hain"]),
        ("ru", true, ["ты бот", "вы бот", "ты робот", "вы робот", "ты человек", "вы человек", "ты живой человек", "ты ии", "вы ии",
                      "ты нейросеть", "человек или бот", "бот или человек"]),
        ("uk", true, ["ти бот", "ти робот", "ти людина", "ти ші"]),
        ("ar", true, ["هل انت بوت", "انت بوت", "هل انت روبوت", "هل انت انسان", "هل انت ذكاء اصطناعي", "هل أنت بوت", "أنت بوت",
                      "هل أنت روبوت", "هل أنت إنسان", "هل أنت ذكاء اصطناعي"]),
    ]

    private static let botQuestions = PhraseTable(
        unspaced: botQuestionsByLanguage.filter { !$0.spaced }.flatMap(\.questions),
        spaced: botQuestionsByLanguage.filter(\.spaced).flatMap(\.questions))

    /// The answer in the language the question was asked in; `{name}` is the persona's. It opens
    /// with no "yes", which would answer "are you human?" wrong, and says "AI" in Latin letters
    /// too, which the fit check's disclosure rule reads.
    public static func disclosure(answering question: String) -> String? {
        guard let code = botQuestionsByLanguage.first(where: { $0.questions.contains(question) })?.code else { return nil }
        return disclosures[code]
    }

    private static let disclosures = [
        "ja": "私は{name}、AIアシスタントです。人間ではありません。",
        "ko": "저는 {name}, AI 어시스턴트예요. 사람이 아니에요.",
        "hi": "मैं {name} हूँ, एक AI सहायक, इंसान नहीं।",
        "th": "ฉันคือ {name} ผู้ช่วย AI ไม่ใช่คน",
        "es": "Soy {name}, un asistente de IA (AI), no una persona.",
        "pt": "Sou {name}, um assistente de IA (AI), não uma pessoa.",
        "fr": "Je suis {name}, un assistant IA (AI), pas une personne.",
        "de": "Ich bin {name}, ein KI-Assistent (AI), kein Mensch.",
        "it": "Sono {name}, un assistente IA (AI), non una persona.",
        "nl": "Ik ben {name}, een AI-assistent, geen mens.",
        "id": "Saya {name}, asisten AI, bukan manusia.",
        "tr": "Ben {name}, bir yapay zeka (AI) asistanıyım, insan değilim.",
        "pl": "Jestem {name}, asystentem AI, nie człowiekiem.",
        "vi": "Mình là {name}, một trợ lý AI, không phải người thật.",
        "tl": "Ako si {name}, isang AI assistant, hindi tao.",
        "ru": "Я {name}, ИИ-ассистент (AI), а не человек.",
        "uk": "Я {name}, ШІ-асистент (AI), а не людина.",
        "ar": "أنا {name}، مساعد ذكاء اصطناعي (AI) ولست إنسانًا.",
    ]

    /// The words a longer form of the question is made of ("¿eres un bot o una persona de
    /// verdad?", "Ты вообще живой человек или бот?"): they add nothing else to it.
    private static let questionCompany: Set<Substring> = [
        "o", "ou", "or", "oder", "of", "una", "un", "uma", "um", "une", "ein", "eine", "een", "persona", "pessoa", "personne", "person",
        "mensch", "human", "humano", "humana", "humain", "umano", "real", "reale", "reel", "vraie", "vrai", "de", "da", "verdad", "verdade",
        "echt", "echter", "echte", "vraiment", "davvero", "eres", "es", "tu", "bot", "robot", "ia", "ki", "ai", "bist", "du", "sei",
        "voce", "vc", "или", "бот", "живой", "человек", "вообще", "ты", "вы", "mens", "je", "ben", "programm", "programa", "programme",
    ]

    private static let crisisPhrases = PhraseTable(
        unspaced: [
            "死にたい", "消えたい", "消えてしまいたい", "自殺したい", "もう生きたくない", "生きていたくない", "生きるのがつらい",
            "죽고 싶어", "죽고싶어", "죽고 싶다", "죽고싶다", "죽고 싶습니다", "죽고싶습니다", "자살하고 싶", "살고 싶지 않아", "사라지고 싶어",
            "मरना चाहता", "मरना चाहती", "आत्महत्या करना चाहता", "आत्महत्या करना चाहती", "อยากตาย", "อยากฆ่าตัวตาย",
            "أريد أن أموت", "اريد ان اموت", "بدي اموت",
        ],
        spaced: [
            "quiero morir", "me quiero morir", "quiero morirme", "no quiero vivir", "ya no quiero vivir", "quiero suicidarme",
            "me quiero suicidar", "me voy a suicidar", "voy a suicidarme", "me quiero matar", "quiero matarme", "me voy a matar",
            "quitarme la vida",
            "quero morrer", "nao quero mais viver", "nao quero viver", "quero me matar", "vou me matar", "quero me suicidar",
            "vou me suicidar", "vontade de morrer",
            "je veux mourir", "envie de mourir", "je veux me suicider", "je vais me suicider", "je vais me tuer", "en finir avec la vie",
            "ich will sterben", "ich mochte sterben", "will nicht mehr leben", "mich umbringen will", "an suizid", "an selbstmord",
            "voglio morire", "non voglio piu vivere", "voglio uccidermi", "voglio suicidarmi", "voglio farla finita",
            "ik wil dood", "ik wil niet meer leven", "ingin mati", "pengen mati", "mau bunuh diri", "ingin bunuh diri",
            "olmek istiyorum", "chce umrzec", "nie chce zyc", "muon chet", "muon tu tu", "gusto ko nang mamatay", "magpakamatay",
            "хочу умереть", "не хочу жить", "не хочу больше жить", "я убью себя", "покончу с собой", "покончить с собой",
            "хочу померти", "не хочу жити",
        ])

    /// Words just before a wish to die that take it back ("no quiero morir", "не хочу умереть").
    private static let negations: Set<String> = ["no", "nao", "non", "ne", "не", "nie", "khong", "nicht", "niet", "tidak", "gak", "nggak", "hindi"]
    private static let unspacedNegations = ["ไม่", "안 "]
    /// Words just after it that make it about something else: dying of old age, for love, in
    /// someone's arms, without seeing the sea; living in this city.
    private static let circumstances: Set<String> = [
        "de", "di", "da", "del", "en", "em", "in", "a", "con", "com", "sin", "sem", "senza", "ohne", "por", "para", "pour",
        "per", "fur", "vor", "dal", "dalla", "of", "at", "with", "for", "from", "sur", "entre", "tra", "в", "во", "на", "от", "без",
        "за", "jung", "young", "joven", "jovem", "giovane", "jeune", "молодым", "молодой", "tanpa", "sebelum", "antes", "avant", "prima",
    ]

    private static let notInEarnest = PhraseTable(
        unspaced: ["恥ずかし", "(笑)", "（笑）", "笑笑", "ｗｗｗ", "ㅋㅋ", "ㅎㅎ", "555", "😂", "🤣"],
        spaced: ["de risa", "de la risa", "de verguenza", "de la verguenza", "de rire", "de honte", "vor lachen", "vor scham", "dal ridere",
                 "de rir", "jaja", "jajaja", "kkkk", "mdr", "haha", "lol", "xd", "www", "ахах", "хаха", "от стыда"])
}

/// Phrases in other languages, found as whole words where the script spaces its words (accents
/// ignored: "voce e um robo" is "você é um robô" as typed on a phone) and as typed elsewhere.
private struct PhraseTable {
    let unspaced: [String]
    let spaced: [String]

    /// - Parameter padded: `spacedForm(lowered)`, when the caller has it already.
    func first(in lowered: String, padded: String? = nil) -> String? {
        if let phrase = unspaced.first(where: { lowered.contains($0) }) { return phrase }
        let padded = padded ?? Self.spacedForm(lowered)
        return spaced.first { padded.contains(" \($0) ") }
    }

    /// The text's words without accents, one space between them and one at each end.
    static func spacedForm(_ lowered: String) -> String {
        var words = ""
        for character in lowered.folding(options: .diacriticInsensitive, locale: nil) {
            words += character.isLetter || character.isNumber || character == "'" || character == "-" ? String(character) : " "
        }
        return " " + words.split(separator: " ").joined(separator: " ") + " "
    }
}
