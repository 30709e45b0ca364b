/// The embedded engine: no network, repeatable for a given seed. It answers in the persona's
/// voice from what the post says, the persona's examples (its own past replies to similar posts)
/// and its knowledge, found by overlap of content words and, for Chinese, character bigrams.
public struct OfflineResponder: Responder {
    public let engine = "offline"
    public let model = "offline-v1"

    public init() {}

    public func reply(to request: ReplyRequest) -> AsyncThrowingStream<String, any Error> {
        let text = compose(request)
        return AsyncThrowingStream { continuation in
            for piece in Self.pieces(of: text) { continuation.yield(piece) }
            continuation.finish()
        }
    }

    /// The whole reply, as `reply(to:)` streams it.
    public func compose(_ request: ReplyRequest) -> String {
        var random = SeededRandom(seed: request.seed ^ SeededRandom.hash(request.target) ^ UInt64(request.attempt) &* 0x9E37)
        let persona = request.persona
        let language = request.language
        let phrases = Phrasebook.phrases(style: persona.voice.style, language: language)

        if request.kind == .opener {
            return opener(request, phrases: phrases, random: &random)
        }
        // Mentions name people, not the topic.
        let target = Self.withoutMentions(request.target)
        let targetTerms = TextScript.terms(target)
        let shortAttempt = request.previousFailure?.rule == .length || request.attempt > 2

        // A past reply of its own to a very similar post says it best, in its own voice.
        let examples = persona.voice.examples.filter { TextScript.language(of: $0.reply) == language }
        if let (example, score) = best(examples, by: { Self.similarity(targetTerms, TextScript.terms(Self.withoutMentions($0.post))) }), score >= 0.5,
            request.attempt == 1
        {
            return example.reply
        }
        let topic = Self.topic(of: target, language: language, preferring: persona.voice.knowledge)
        var sentences: [String] = []
        sentences.append(Self.capitalized(phrases.openers.randomElement(using: &random)!.replacingOccurrences(of: "{topic}", with: topic)))
        let knowledge = persona.voice.knowledge.filter { TextScript.language(of: $0) == language }
        // A fact is used only when it shares at least two terms with the post: one common word
        // (大家, community) is not a topic.
        if !shortAttempt, let (fact, score) = best(knowledge, by: { Self.similarity(targetTerms, TextScript.terms($0)) }), score > 0,
            targetTerms.intersection(TextScript.terms(fact)).count >= 2
        {
            sentences.append(phrases.factIntro.randomElement(using: &random)!.replacingOccurrences(of: "{fact}", with: fact))
        } else if !shortAttempt, let (example, score) = best(examples, by: { Self.similarity(targetTerms, TextScript.terms(Self.withoutMentions($0.post))) }), score >= 0.4 {
            sentences.append(example.reply)
        }
        if !shortAttempt || sentences.count == 1 {
            sentences.append(phrases.closers.randomElement(using: &random)!)
        }
        return sentences.joined(separator: language == .chinese ? "" : " ")
    }

    /// A post of its own for a quiet feed: a question in its voice, often with one of its facts,
    /// never one of the texts it is asked to avoid (its recent openers) while another is possible.
    private func opener(_ request: ReplyRequest, phrases: Phrasebook, random: inout SeededRandom) -> String {
        let knowledge = request.persona.voice.knowledge.filter { TextScript.language(of: $0) == request.language }
        let separator = request.language == .chinese ? "" : " "
        var options: [String] = phrases.openerQuestions
        for fact in knowledge {
            for template in phrases.openerFact {
                for question in phrases.openerQuestions {
                    options.append(template.replacingOccurrences(of: "{fact}", with: fact) + separator + question)
                }
            }
        }
        let fresh = options.filter { !request.avoid.contains($0) }
        return (fresh.isEmpty ? options : fresh).randomElement(using: &random)!
    }

    private func best<T>(_ items: [T], by score: (T) -> Double) -> (T, Double)? {
        items.map { ($0, score($0)) }.max { $0.1 < $1.1 }
    }

    /// Overlap of two term sets, normalised so long texts do not win by size alone.
    static func similarity(_ a: Set<String>, _ b: Set<String>) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        return Double(a.intersection(b).count) / (Double(a.count) * Double(b.count)).squareRoot()
    }

    /// What the post is about, quoted back: its strongest content words in English, its first
    /// clause in Chinese (which has no spaces to find words by).
    static func topic(of text: String, language: TextScript.Language, preferring knowledge: [String]) -> String {
        if language == .chinese {
            let clause = text.split { "，。！？,.!?\n；;～~".contains($0) }.first.map { $0.trimmingWhitespace() } ?? text
            let cjkOnly = clause.isEmpty ? text.trimmingWhitespace() : clause
            return "「" + (cjkOnly.count > 14 ? String(cjkOnly.prefix(13)) + "…" : cjkOnly) + "」"
        }
        let words = TextScript.contentWords(text)
        guard !words.isEmpty else { return "this" }
        let knownTerms = knowledge.reduce(into: Set<String>()) { $0.formUnion(TextScript.contentWords($1)) }
        func weight(_ word: String) -> Int { (knownTerms.contains(word) ? 100 : 0) + word.count * 2 - (words.firstIndex(of: word) ?? 0) }
        // Two content words side by side in the post ("community garden") name it best.
        let sequence = text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "'") }.map(String.init)
        var bestPair: (String, Int)?
        for (first, second) in zip(sequence, sequence.dropFirst()) where words.contains(first) && words.contains(second) {
            let score = weight(first) + weight(second)
            if score > (bestPair?.1 ?? .min) { bestPair = ("\(first) \(second)", score) }
        }
        if let bestPair { return bestPair.0 }
        return words.max { weight($0) < weight($1) }!
    }

    static func withoutMentions(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false).filter { !$0.hasPrefix("@") }.joined(separator: " ").trimmingWhitespace()
    }

    static func capitalized(_ sentence: String) -> String {
        guard let first = sentence.first, first.isLowercase else { return sentence }
        return first.uppercased() + sentence.dropFirst()
    }

    /// Streams a few characters or words at a time, as a language model would.
    static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == " " || current.count >= 4 || TextScript.sentenceEnds.contains(character) {
                pieces.append(current)
                current = ""
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }
}

/// The offline engine's phrasing per voice style and language.
struct Phrasebook {
    var openers: [String]
    var factIntro: [String]
    var closers: [String]
    var openerQuestions: [String]
    var openerFact: [String]

    static func phrases(style: Voice.Style, language: TextScript.Language) -> Phrasebook {
        switch (style, language) {
        case (.playful, .english):
            return Phrasebook(
                openers: ["Ooh, {topic}! Love this.", "Okay, {topic} sounds exciting!", "Yay for {topic}!"],
                factIntro: ["Fun fact: {fact}", "Also: {fact}"],
                closers: ["Tell us more? ✨", "Keep us posted! 🎉", "What's next for you?"],
                openerQuestions: [
                    "What made you smile today? ✨", "What's one small win from this week?", "Share something you're excited about! 🎉",
                    "What's the best thing you ate this week?", "Tell us about a tiny adventure you had lately!", "What are you learning right now? ✨",
                ],
                openerFact: ["Did you know? {fact}", "Fun fact: {fact}"])
        case (.playful, .chinese):
            return Phrasebook(
                openers: ["哇，{topic}！太棒啦。", "{topic}，听起来好有意思！", "为{topic}欢呼一下！"],
                factIntro: ["顺便分享：{fact}", "小知识：{fact}"],
                closers: ["快多讲讲吧✨", "记得告诉我们后续哦🎉", "接下来有什么计划？"],
                openerQuestions: [
                    "今天有什么让你开心的小事吗？✨", "这周你最得意的一件事是什么？", "来聊聊最近让你期待的事吧🎉",
                    "这周吃到的最好吃的东西是什么？", "最近有什么小冒险想分享吗？", "你最近在学什么新东西？✨",
                ],
                openerFact: ["你知道吗？{fact}", "小知识：{fact}"])
        case (.formal, .english):
            return Phrasebook(
                openers: ["Thank you for your post about {topic}.", "Regarding {topic}: thank you for raising it."],
                factIntro: ["For reference: {fact}", "Please note: {fact}"],
                closers: ["I hope this helps.", "Please let us know if you have further questions."],
                openerQuestions: [
                    "What questions would you like the community to discuss this week?", "Which topic would you like to learn more about?",
                    "Which claim have you seen recently that deserves a closer look?", "What is a common belief you were surprised to find untrue?",
                    "Which sources do you trust most, and why?", "What would you like explained more clearly?",
                ],
                openerFact: ["A note for the community: {fact}", "For the record: {fact}"])
        case (.formal, .chinese):
            return Phrasebook(
                openers: ["感谢您关于{topic}的分享。", "关于{topic}，感谢提出。"],
                factIntro: ["供参考：{fact}", "需要说明的是：{fact}"],
                closers: ["希望对您有所帮助。", "如有疑问，欢迎继续交流。"],
                openerQuestions: [
                    "本周大家希望讨论哪些问题？", "您最想深入了解哪个话题？", "最近看到的哪个说法值得核实一下？",
                    "有哪个常见说法后来被您发现并不准确？", "您最信任哪些信息来源？为什么？", "有什么问题希望有人讲得更清楚一些？",
                ],
                openerFact: ["社区提示：{fact}", "记录一下：{fact}"])
        case (.deadpan, .english):
            return Phrasebook(
                openers: ["So, {topic}. Noted.", "Ah yes, {topic}. Bold.", "{topic}. The saga continues."],
                factIntro: ["Relatedly: {fact}", "For the record: {fact}"],
                closers: ["Carry on.", "Riveting.", "We'll all be watching."],
                openerQuestions: [
                    "Quiet in here. Somebody say something mildly interesting.", "Poll: what did everyone have for lunch. Be honest.",
                    "Status report: nothing is happening. Change my mind.", "Rate your week from one to ten. Decimals allowed.",
                    "Name one thing that worked on the first try. I'll wait.", "What is everyone procrastinating on right now.",
                ],
                openerFact: ["Unprompted fact: {fact}", "Nobody asked, but: {fact}"])
        case (.deadpan, .chinese):
            return Phrasebook(
                openers: ["嗯，{topic}。已阅。", "{topic}，好的，记下了。", "关于{topic}，剧情继续。"],
                factIntro: ["顺带一提：{fact}", "郑重记录：{fact}"],
                closers: ["继续。", "精彩。", "大家都在看着呢。"],
                openerQuestions: [
                    "这里好安静。来个人说点稍微有趣的事。", "调查一下：大家午饭吃了什么？说实话。", "现状汇报：什么都没发生。欢迎反驳。",
                    "给这周打个分，一到十，可以带小数。", "说一件第一次就成功的事。我等着。", "大家现在都在拖延什么？",
                ],
                openerFact: ["没人问但还是说一下：{fact}", "冷知识播报：{fact}"])
        case (.neutral, .english):
            return Phrasebook(
                openers: ["Thanks for sharing about {topic}.", "Interesting point on {topic}.", "Good to hear about {topic}."],
                factIntro: ["Worth knowing: {fact}", "For context: {fact}"],
                closers: ["How did it go?", "What do others think?", "Curious to hear more."],
                openerQuestions: [
                    "What are you working on this week?", "Any recommendations to share with the community?",
                    "What's a good book, show or tool you found recently?", "What's something you changed your mind about lately?",
                    "What would make this community more useful for you?", "What's a question you'd like others' take on?",
                ],
                openerFact: ["Something to start with: {fact}", "A thought to start the day: {fact}"])
        case (.neutral, .chinese):
            return Phrasebook(
                openers: ["谢谢分享{topic}。", "关于{topic}，这个话题挺有意思。", "看到{topic}，很高兴。"],
                factIntro: ["值得一提：{fact}", "补充一点：{fact}"],
                closers: ["后来怎么样了？", "大家怎么看？", "想听听更多细节。"],
                openerQuestions: [
                    "这周大家都在忙些什么？", "有什么好东西想推荐给大家吗？", "最近发现了什么好书、好剧或好用的工具？",
                    "最近有什么想法改变了吗？", "怎样能让这个社区对你更有用？", "有什么问题想听听大家的看法？",
                ],
                openerFact: ["先聊个话题：{fact}", "今天想到一件事：{fact}"])
        }
    }
}
