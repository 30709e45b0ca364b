import Foundation

extension ForeignLanguage {
    /// The words by which a text asks, in a language the situation rules do not read, whether the
    /// one it speaks to is a bot, an AI or a person ("¿eres un bot?", "Bist du ein Bot?", "너 봇이야?").
    /// That question is owed an honest answer in any language: a persona that stays out of a
    /// Spanish thread it cannot read still says it is an AI when asked there.
    ///
    /// Only the question itself is listed, in the forms people type it, so that a text about some
    /// other bot ("el bot de Telegram") does not count.
    public static func botQuestion(in text: String) -> String? {
        // The question is short; every item is read, and a long post is no such question.
        guard text.utf8.count <= 600 else { return nil }
        let lowered = text.lowercased().replacing("\u{2019}", with: "'")
        if let question = unspacedBotQuestions.first(where: { lowered.contains($0) }) { return question }
        // Accents dropped ("voce e um robo", "etes-vous"), punctuation as spaces, words padded.
        let folded = lowered.folding(options: .diacriticInsensitive, locale: nil)
        var words = " "
        for character in folded {
            words += character.isLetter || character.isNumber || character == "'" || character == "-" ? String(character) : " "
        }
        let padded = words.split(separator: " ").joined(separator: " ")
        return spacedBotQuestions.first { " \(padded) ".contains(" \($0) ") }
    }

    /// Questions in scripts that write words without spaces, or that a diacritic fold would
    /// change (か and が are different words): matched as they are typed.
    private static let unspacedBotQuestions = [
        // Japanese
        "ボットですか", "ボットなの", "ボットなん", "botですか", "botなの", "aiですか", "aiなの", "ロボットですか", "ロボットなの",
        "人間ですか", "人間なの", "人工知能ですか", "中の人いる", "本物の人",
        // Korean
        "봇이야", "봇이에요", "봇인가요", "봇이니", "봇입니까", "봇이지", "ai야", "ai예요", "ai인가요", "ai입니까", "ai이야",
        "로봇이야", "로봇이에요", "로봇인가요", "사람이야", "사람이에요", "사람인가요", "인공지능이야", "인공지능인가요", "인공지능이에요",
        // Arabic, Hindi, Thai
        "هل أنت بوت", "هل انت بوت", "هل أنت روبوت", "هل انت روبوت", "هل أنت إنسان", "هل انت انسان", "هل أنت ذكاء اصطناعي",
        "क्या तुम बॉट हो", "क्या आप बॉट हैं", "क्या तुम रोबोट हो", "क्या आप इंसान हैं", "क्या तुम इंसान हो",
        "เป็นบอทไหม", "เป็นบอทหรือเปล่า", "เป็นคนจริงไหม",
    ]

    /// Questions in scripts that space their words, without accents, matched as whole words.
    private static let spacedBotQuestions = [
        // Spanish
        "eres un bot", "eres una ia", "eres un robot", "eres una maquina", "eres humano", "eres humana", "eres real",
        "eres una persona", "eres persona", "sos un bot", "sos una ia", "sos un robot", "sos humano", "usted es un bot",
        "es usted un bot", "hablo con un bot", "hablo con una ia", "hablo con una persona", "bot o humano", "bot o persona",
        "humano o bot", "persona o bot", "ia o humano", "humano o ia", "eres un bot o",
        // Portuguese
        "voce e um bot", "vc e um bot", "voce e um robo", "vc e um robo", "voce e uma ia", "vc e uma ia", "voce e humano",
        "vc e humano", "voce e real", "vc e real", "voce e uma pessoa", "tu es um bot", "es um bot", "es um robo",
        "robo ou humano", "bot ou humano", "humano ou bot", "ia ou humano", "humano ou ia",
        // French
        "tu es un bot", "t'es un bot", "es-tu un bot", "etes-vous un bot", "vous etes un bot", "tu es un robot", "t'es un robot",
        "es-tu un robot", "etes-vous un robot", "vous etes un robot", "tu es une ia", "t'es une ia", "es-tu une ia",
        "etes-vous une ia", "vous etes une ia", "tu es humain", "es-tu humain", "etes-vous humain", "tu es une vraie personne",
        "bot ou humain", "humain ou bot", "robot ou humain", "humain ou robot", "ia ou humain",
        // German
        "bist du ein bot", "bist du ein roboter", "bist du eine ki", "bist du ein mensch", "bist du echt", "sind sie ein bot",
        "sind sie eine ki", "sind sie ein mensch", "du bist ein bot", "du bist eine ki", "bot oder mensch", "mensch oder bot",
        "ki oder mensch", "mensch oder ki",
        // Italian
        "sei un bot", "sei un robot", "sei un'ia", "sei una ia", "sei un'intelligenza artificiale", "sei umano", "sei umana",
        "sei una persona vera", "sei reale", "bot o umano", "umano o bot",
        // Dutch
        "ben je een bot", "ben jij een bot", "ben je een robot", "ben je een mens", "bent u een bot", "ben je ai", "ben je een ai",
        // Indonesian, Turkish, Polish, Vietnamese, Tagalog
        "kamu bot", "kamu robot", "apakah kamu bot", "kamu manusia", "anda bot", "apakah anda bot",
        "bot musun", "robot musun", "insan mısın", "yapay zeka mısın",
        "jestes botem", "czy jestes botem", "jestes robotem", "jestes człowiekiem", "czy jestes ai",
        "ban la bot", "ban co phai la bot", "ban la nguoi that", "ban la robot",
        "bot ka ba", "robot ka ba", "tao ka ba",
        // Russian, Ukrainian
        "ты бот", "вы бот", "ты робот", "вы робот", "ты человек", "вы человек", "ты ии", "вы ии", "ты нейросеть", "это бот",
        "ти бот", "ви бот", "ти людина",
    ]
}
