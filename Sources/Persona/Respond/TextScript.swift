import Foundation

/// Small facts about text the policy and the offline engine need: script, language, emoji,
/// links, sentences, content words.
public enum TextScript {
    public static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0xF900...0xFAFF, 0x3040...0x30FF, 0xAC00...0xD7AF: true
        default: false
        }
    }

    public enum Language: String, Sendable {
        case chinese = "zh"
        case english = "en"
    }

    /// Chinese when CJK characters are at least a fifth of the letters, otherwise English.
    /// Japanese and Korean, as `ForeignLanguage` tells them (a kaomoji's kana is no Japanese), are
    /// neither: a persona does not answer them, and a quiet feed of theirs gets English openers.
    public static func language(of text: String) -> Language {
        var cjk = 0
        var letters = 0
        // Only kana or Hangul can make it Japanese or Korean: the second scan is for them alone
        // (this runs on every streamed step of a reply).
        var kanaOrHangul = false
        // "@factcheck 救命" is Chinese: a name spoken to is no word of the text's language.
        var inMention = false
        for scalar in text.unicodeScalars {
            if scalar == "@" { inMention = true }
            if scalar.properties.isWhitespace { inMention = false }
            if inMention && !isCJK(scalar) { continue }
            if ForeignLanguage.isKana(scalar.value) || ForeignLanguage.isHangul(scalar.value) { kanaOrHangul = true }
            if isCJK(scalar) {
                cjk += 1
                letters += 1
            } else if scalar.properties.isAlphabetic {
                letters += 1
            }
        }
        guard letters > 0 else { return .english }
        if cjk > 0, kanaOrHangul, ["ja", "ko"].contains(ForeignLanguage.of(text)?.code) { return .english }
        // One CJK character carries about as much as a short English word.
        return cjk * 5 >= letters ? .chinese : .english
    }

    public static func isEmoji(_ character: Character) -> Bool {
        guard let first = character.unicodeScalars.first else { return false }
        if character.unicodeScalars.allSatisfy(\.isASCII) { return false }
        return first.properties.isEmojiPresentation || (first.properties.isEmoji && character.unicodeScalars.count > 1)
            || (0x1F000...0x1FAFF).contains(first.value)
    }

    /// Emoji in a text, counted on scalars (grapheme breaking is the slow part of checking a
    /// reply): a ZWJ sequence, a flag, a keycap or a skin tone counts once.
    public static func emojiCount(_ text: String) -> Int {
        var count = 0
        var joined = false
        var flagHalf = false
        for scalar in text.unicodeScalars where scalar.value >= 0x20 {
            switch scalar.value {
            case 0x200D:
                joined = true
                continue
            case 0xFE0F, 0x20E3, 0x1F3FB...0x1F3FF, 0xE0020...0xE007F:
                continue
            case 0x1F1E6...0x1F1FF:
                flagHalf.toggle()
                if flagHalf { count += 1 }
                continue
            default:
                break
            }
            if joined {
                joined = false
                continue
            }
            if scalar.value >= 0x2000, scalar.properties.isEmojiPresentation || scalar.properties.isEmoji {
                count += 1
            }
        }
        return count
    }

    static let sentenceEnds: Set<Character> = [".", "!", "?", "。", "！", "？", "\n", "…"]

    /// Splits text into sentences, each keeping its end mark; the last may be unfinished.
    public static func sentences(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if sentenceEnds.contains(character) {
                result.append(current)
                current = ""
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    private static let stopWords: Set<String> = [
        "the", "a", "an", "and", "or", "but", "if", "then", "so", "to", "of", "in", "on", "at", "for", "with", "is", "are", "was",
        "were", "be", "been", "it", "its", "this", "that", "these", "those", "i", "you", "he", "she", "we", "they", "me", "my",
        "your", "our", "their", "just", "really", "very", "what", "how", "why", "when", "who", "do", "does", "did", "have", "has",
        "had", "not", "no", "yes", "can", "could", "would", "should", "will", "about", "from", "by", "as", "up", "out", "all",
        "any", "some", "more", "most", "get", "got", "today", "finally", "im", "i'm", "it's", "dont", "don't", "there", "here",
        "anyone", "everyone", "something", "anything", "know", "think", "like", "one", "also", "too", "than", "into", "over",
        "only", "again", "still", "ever", "much", "many", "such", "even", "well", "true", "false",
        // Long words that name no topic: a fact sharing one of them is no answer ("without" must
        // not bring up "Mondays arrive without fail" under "everyone would be fine without me").
        "without", "within", "anymore", "nothing", "everything", "someone", "somebody", "nobody", "always", "never", "because",
        "before", "after", "through", "though", "although", "another", "around", "other", "others", "people", "whatever",
        "myself", "yourself", "itself", "themselves", "every", "since", "while", "where", "which", "there's", "should've",
        // Words every feed is full of: sharing one with a fact is no topic.
        "feed", "today's", "week", "weekend",
        "would've", "could've", "actually", "probably", "maybe", "almost", "already", "enough", "things", "thing", "anywhere",
        "everywhere", "somewhere", "nowhere", "whenever", "wherever", "however", "whether", "either", "neither", "rather",
    ]

    /// A word without its possessive or plural ending, so that "spreads" meets "spread", "viruses"
    /// "virus" and "replies" "reply"; short words ("bus", "news") and "-ss", "-us", "-is" endings
    /// are left as they are.
    static func singular(_ word: String) -> String {
        var word = word
        if word.hasSuffix("'s") { word.removeLast(2) }
        guard word.count > 4 else { return word }
        if word.hasSuffix("ies") { return word.dropLast(3) + "y" }
        if ["ses", "xes", "ches", "shes"].contains(where: word.hasSuffix) { return String(word.dropLast(2)) }
        if word.hasSuffix("s"), !["ss", "us", "is"].contains(where: word.hasSuffix) { return String(word.dropLast()) }
        return word
    }

    /// Content words of English text, lower-cased, without stop words, in order of appearance.
    public static func contentWords(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text.lowercased() + " " {
            if (character.isLetter || character.isNumber || character == "'") && !character.unicodeScalars.contains(where: isCJK) {
                current.append(character)
            } else {
                let written = current.trimmingCharacters(in: "'")
                current = ""
                guard !stopWords.contains(written) else { continue }
                let word = singular(written)
                // "5g" is a word; other two-letter ones are not.
                let named = word.count >= 3 || (word.count == 2 && word.contains(where: \.isNumber) && word.contains(where: \.isLetter))
                if named, !stopWords.contains(word), !words.contains(word) { words.append(word) }
            }
        }
        return words
    }

    /// Character bigrams of the CJK runs of a text: Chinese has no spaces, so retrieval matches on
    /// these instead of words.
    public static func cjkBigrams(_ text: String) -> [String] {
        var grams: [String] = []
        var run: [Character] = []
        func flush() {
            if run.count == 1 { grams.append(String(run)) }
            if run.count >= 2 {
                for index in 0..<(run.count - 1) { grams.append(String(run[index...index + 1])) }
            }
            run = []
        }
        for character in text {
            if character.unicodeScalars.contains(where: isCJK) { run.append(character) } else { flush() }
        }
        flush()
        return grams
    }

    /// Bigrams of Chinese function words: two of them shared (是真, 真的) made "每天喝八杯水是真的
    /// 必要吗" look like "阿波罗登月是真的".
    private static let cjkStopBigrams: Set<String> = [
        "是真", "真的", "的是", "是不", "不是", "什么", "怎么", "可以", "一个", "我们", "你们", "他们", "这个", "那个", "没有", "就是",
        "还是", "自己", "今天", "现在", "知道", "觉得", "因为", "所以", "但是", "如果", "的人", "了吗", "是否", "到底", "是的", "有没",
        "会不", "不会", "的话", "一下", "大家", "为什", "为了", "已经", "时候", "这样", "那样", "真是",
    ]

    /// The terms retrieval compares: content words and CJK bigrams.
    public static func terms(_ text: String) -> Set<String> {
        Set(contentWords(text)).union(cjkBigrams(text).filter { !cjkStopBigrams.contains($0) })
    }
}

extension String {
    func trimmingCharacters(in characters: String) -> String {
        var result = Substring(self)
        while let first = result.first, characters.contains(first) { result.removeFirst() }
        while let last = result.last, characters.contains(last) { result.removeLast() }
        return String(result)
    }
}
