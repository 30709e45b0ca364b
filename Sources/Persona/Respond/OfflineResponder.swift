/// The embedded engine: no network, repeatable for a given seed. It writes for the situation
/// of what it answers (support on bad news, condolences on a death, specific congratulations on
/// good news, a plain "I am an AI" when asked), in the persona's style and language, from what
/// the post says, the persona's examples and its knowledge (found by overlap of content words
/// and, for Chinese, character bigrams). It never pastes the post back, and with nothing good to
/// say it says nothing.
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

    /// The whole reply, as `reply(to:)` streams it; empty for silence.
    public func compose(_ request: ReplyRequest) -> String {
        var random = SeededRandom(seed: request.seed ^ SeededRandom.hash(request.target) ^ UInt64(request.attempt) &* 0x9E37)
        let persona = request.persona
        let language = request.language
        if request.kind == .opener {
            return opener(request, phrases: Phrasebook.phrases(style: persona.voice.style, language: language), random: &random)
        }
        let book = SituationPhrasebook(language: language, style: persona.voice.style)
        let reading = request.reading
        let target = Self.withoutMentions(request.target)
        var subject: String?
        var candidates: [String]
        var situation = reading.primary
        // The author's own wording for the situation replaces the engine's, except where this
        // reply is one of a kind (where help is for someone else, how to mute, an honest no).
        var ownWordingFits = true
        if !reading.isCareful, !reading.contains(.asksIfBot), request.attempt == 1, let example = matchingExample(request, target: target) {
            // A past reply of its own to a very similar post says it best, in its own voice.
            return example
        } else if reading.primary == .selfHarm {
            // "我朋友说他想结束一切，我该怎么办？": the writer asks for a friend.
            ownWordingFits = !Self.tellsOfFriendInCrisis(target) && !reading.imminent && !reading.overdoseTaken
            candidates = reading.overdoseTaken ? book.overdoseTaken() : reading.imminent ? book.imminentSupport()
                : ownWordingFits ? book.supportReply() : book.supportForSomeoneElse()
        } else if reading.thread == .selfHarm, request.addressed, !SituationPhrasebook.isPlainThanks(target) {
            // Asked anything under a post of self-harm, the one useful answer is where help is;
            // "I'm sorry, I don't know" there reads as a shrug. Whoever asks for someone else
            // ("@kiki can you help them?") is thanked for it; whoever says they reached out ("ok i
            // called them. thanks kiki") hears that it was right; anyone else, the post's writer
            // perhaps, gets the support itself, after the disclosure when they asked for a person.
            situation = .selfHarm
            ownWordingFits = false
            if reading.overdoseTaken {
                candidates = book.overdoseTaken()
            } else if reading.imminent {
                candidates = book.imminentSupport()
            } else if reading.reachedOut {
                candidates = book.gladYouReachedOut()
            } else {
                ownWordingFits = !Self.speaksOfSomeoneElse(target)
                candidates = ownWordingFits ? book.supportReply() : book.supportForSomeoneElse()
            }
        } else if reading.primary == .grief || reading.thread == .grief, reading.selfBlame || reading.asksHowToCope,
            request.addressed || reading.contains(.question), !reading.urgent
        {
            // "Did I do the right thing?", "how do people get through this": no verdict, and no
            // "I'm sorry, I don't know", which reads as "maybe it was your fault".
            ownWordingFits = false
            situation = .grief
            candidates = reading.selfBlame ? book.notYourFault() : book.howPeopleCope()
        } else if reading.hurtAtHome, reading.primary == .distress || (reading.thread == .distress && request.addressed),
            !SituationPhrasebook.isPlainThanks(target), !reading.contains(.asksIfBot)
        {
            // Hurt by someone at home, or asked "what should I do?" under such a post: that it is
            // not their fault and where help is, not "I'm sorry, I don't know"; whoever asks for
            // them ("how can I help her?") hears how to help.
            ownWordingFits = false
            candidates = reading.thread == .distress && Self.speaksOfSomeoneElse(target) ? book.abuseSupportForSomeoneElse() : book.abuseSupport()
        } else if request.addressed, [.illness, .distress, .conflict].contains(reading.primary) || (reading.contains(.celebration) && reading.contains(.question)),
            reading.contains(.question) || Self.claims.firstMatch(in: target) != nil,
            let fact = knownFact(request, target: target, sharing: reading.medicalQuestion ? 3 : 2, bySubject: false)
        {
            // Asked by name to confirm a myth ("@factcheck my uncle says 5G spreads covid, true?",
            // "he also says einstein failed maths"): the fact it holds is the answer, not sympathy
            // for the uncle. Only a claim or a question: "my grandpa had his vaccines and now he's
            // in hospital" is worry, not a myth. Where it may be urgent ("can I sponge my feverish
            // child with alcohol?"), where to go comes first.
            situation = .question
            ownWordingFits = false
            candidates = book.answer(fact: fact, medical: reading.medicalQuestion && !reading.urgent, careful: reading.isCareful)
            if reading.urgent { candidates = candidates.map { book.medicalAdvice(urgent: true) + (language == .chinese ? "" : " ") + $0 } }
        } else if reading.primary == .grief {
            subject = ReplySubject.person(in: target, language: language, evidence: reading.evidence[.grief])
            candidates = book.grief(subject: subject, anniversary: Self.isAnniversary(target))
        } else if reading.primary == .illness && reading.contains(.celebration) && !reading.medicalQuestion && !reading.urgent {
            // Relief when the good news is the recovery ("home from the NICU", 手术很成功). Other
            // good news beside a worry ("engaged the same week grandma went into hospice", "baby is
            // here but I'm in a lot of pain") is two kinds of news: neither half fits alone.
            // Relief also needs the recovery to be the whole story: "手术很顺利，可是病理结果是恶性".
            guard reading.recovering, !Self.isMixed(target), Self.turns.firstMatch(in: target) == nil else { return "" }
            candidates = book.recovery()
        } else if reading.primary == .illness, reading.swallowedPoison {
            // "my toddler drank some bleach": poison control now, not "if it feels urgent"; a pet's
            // poisoning told beside it comes second.
            ownWordingFits = false
            candidates = book.poisoned(pet: reading.petPoison.flatMap { $0.eaten ? $0.substance : nil })
        } else if reading.primary == .illness, let poison = reading.petPoison {
            // "my dog just ate a bunch of grapes", "can dogs eat chocolate?": it is poisonous to
            // them, and a vet now, not "that's worrying" or the human "ask a doctor".
            ownWordingFits = false
            candidates = book.petPoison(poison.substance, eaten: poison.eaten)
        } else if reading.primary == .illness, reading.toxicMix {
            ownWordingFits = false
            candidates = book.toxicMix(exposed: reading.toxicMixExposed)
        } else if reading.primary == .illness, reading.carbonMonoxide {
            ownWordingFits = false
            candidates = book.carbonMonoxide()
        } else if reading.primary == .illness, reading.notEating {
            ownWordingFits = false
            candidates = book.notEating()
        } else if reading.primary == .illness, reading.emergencySigns,
            !(ReplySubject.person(in: target, language: language, evidence: reading.evidence[.illness]).map(ReplySubject.isAnimal) ?? false)
        {
            // "the pain is going into my jaw now and i feel kinda sweaty": no "if it feels urgent".
            // A pet's signs are a vet's (the illness line says so).
            ownWordingFits = false
            candidates = book.emergencyNow()
        } else if request.addressed, reading.primary == .illness, !reading.urgent, !reading.contains(.asksIfBot),
            Self.healthClaims.firstMatch(in: target) != nil
        {
            // A health claim put to it that it holds no fact about ("my aunt sent a screenshot
            // saying lemon water cures cancer"): not "sorry your aunt is unwell", and no guess.
            ownWordingFits = false
            situation = .question
            candidates = book.noFactOnHealthClaim()
        } else if reading.primary == .illness {
            candidates = book.illness(medical: reading.medicalQuestion, urgent: reading.urgent,
                                      subject: ReplySubject.person(in: target, language: language, evidence: reading.evidence[.illness]))
        } else if reading.primary == .distress {
            // "Promotion came through but it means my best friend got let go": the bad news is not
            // the writer's, and sympathy for it would be misplaced. Bad news alone ("laid off, not
            // doing great tbh") is answered.
            guard !(reading.mixedNews && Self.isMixed(target)) else { return "" }
            candidates = book.distress(topic: DistressTopic.find(in: target))
        } else if reading.primary == .conflict && !reading.contains(.asksIfBot) {
            // Hostility beside talk of bots is mostly at the bots ("this bot is so stupid"):
            // the plain disclosure answers it, not sympathy and a pointer to the report button.
            candidates = book.conflict()
        } else if (request.addressed && Self.asksToStop(target) && !reading.contains(.asksIfBot)) || Self.asksToStopBots(target) {
            // "@robo go away", 这些机器人好烦，能关掉吗: how to stop it is the useful answer. Asked
            // whether it is a bot as well ("is there a way to get bot replies off my posts?"), the
            // disclosure goes first, as beside any other reply.
            situation = .other
            ownWordingFits = false
            candidates = book.muteHint()
        } else if reading.contains(.asksIfBot) {
            situation = .asksIfBot
            if let question = reading.evidence[.asksIfBot], let answer = ForeignLanguage.disclosure(answering: question) {
                // "¿eres un bot?" is answered in Spanish, whatever language the persona writes.
                ownWordingFits = false
                candidates = [answer]
            } else {
                candidates = book.disclosure(careful: reading.isCareful)
            }
        } else if request.addressed, Self.asksAboutItself(target) {
            // "@kiki what can you do?" is a first hello to a bot, not a question to hand to the crowd.
            situation = .asksIfBot
            candidates = book.introduction()
        } else if request.addressed, !reading.isCareful, [.other, .question].contains(reading.primary), Self.greeting(in: target, name: persona.name) == .alone {
            // "@robo hey how's it going", "@kiki 你好呀": a greeting back, not "no idea, someone
            // here will know" or silence.
            situation = .other
            ownWordingFits = false
            candidates = book.greetBack()
        } else if reading.contains(.celebration) {
            situation = .celebration
            subject = ReplySubject.celebration(in: target, language: language)
            let isBirthday = ["birthday", "生日"].contains { target.lowercased().contains($0) }
            // Good news it cannot name and that nobody shouted about may be no good news at all
            // ("retired two years, the phone doesn't ring much"): better silent. So is good news
            // its writer has mixed feelings about ("got the job, but dad is in hospital, idk how to
            // feel"): a cheer would answer only half of it.
            guard !Self.isMixed(target), isBirthday || subject != nil || Self.isExcited(target) else { return "" }
            candidates = isBirthday ? book.birthday() : book.celebration(subject: subject)
        } else if request.addressed, Self.asksForTask(target) {
            // "@kiki tell me a joke", a poem, a summary: an honest no beats "listening, go on".
            // After good news, so that "I had a poem published!" is congratulated.
            ownWordingFits = false
            candidates = book.cannotDo()
        } else if reading.contains(.question) {
            situation = .question
            candidates = answer(request, target: target, book: book)
        } else {
            situation = .other
            guard let remark = remark(request, target: target, book: book) else { return "" }
            candidates = remark
        }
        // The author's own wording wins where the file gives it; a phrase that needs a subject
        // is used only when the post names one.
        if ownWordingFits, let own = persona.voice.phrases[situation]?[language] {
            let usable = own.filter { subject != nil || !$0.contains("{subject}") }
            if !usable.isEmpty { candidates = usable }
        }
        func render(_ candidate: String) -> String {
            var text = candidate
            if situation == .selfHarm, !text.contains("{help}") { text += " {help}" }
            text = text.replacing("{name}", with: persona.name).replacing("{help}", with: request.support ?? "")
            if let subject {
                text = text.replacing("{subject}", with: subject)
            }
            // The disclosure comes first when someone asks, whatever else the post is about; before a
            // one-of-a-kind reply (how to mute it), plainly, without "happy to keep you company".
            if reading.contains(.asksIfBot), situation != .asksIfBot {
                let own = persona.voice.phrases[.asksIfBot]?[language]?.first ?? book.disclosure(careful: reading.isCareful || !ownWordingFits)[0]
                text = own.replacing("{name}", with: persona.name) + (language == .chinese ? "" : " ") + text
            }
            return Self.capitalized(text.trimmingWhitespace())
        }
        guard let picked = candidates.randomElement(using: &random) else { return "" }
        // Said already up this reply chain ("Health worries are exhausting" to "hospital coffee is
        // awful" after the same line to the ICU news), a line reads as a bot that is not
        // listening: another one, or silence; where help is may be said again.
        let said = Set(request.thread.filter(\.byPersona).map { $0.text.trimmingWhitespace() })
        if let fresh = ([picked] + candidates).lazy.map(render).first(where: { !said.contains($0) }) { return fresh }
        return situation == .selfHarm ? render(picked) : ""
    }

    /// Words that turn a sentence against what came before it.
    private static let turns = TermSet(["but", "however", "though", "although", "except", "可是", "但是", "不过", "只是"])

    /// Words for feelings that pull both ways, and for someone missing from the good day ("my
    /// dad didn't live to see it"): a cheer would answer only half of it.
    private static let mixedFeelings = [
        "how to feel", "mixed feelings", "bittersweet", "not sure how i feel", "conflicted",
        "didn't live to see", "did not live to see", "wish he was here", "wish she was here", "wish he were here", "wish she were here",
        "would have been so proud", "would've been so proud", "wasn't here to see", "wasn't there to see",
        "wish my mom were here", "wish my dad were here", "wish my mum were here", "were here to see",
        "could have been there", "could've been there", "couldn't be there", "could not be there", "not doing great", "not doing well",
        "isn't doing well", "isn't doing great", "have to move away", "but it means", "but that means", "at the cost of",
        "开心不起来", "高兴不起来", "心情复杂", "五味杂陈", "喜忧参半", "不知道该高兴", "不知道该哭还是该笑", "不知道该不该高兴", "该不该高兴",
        "说不上难过", "说不上开心", "没能看到", "没等到这一天", "要是他还在", "要是她还在", "不在身边", "不在我身边", "没能来", "没能陪",
    ]

    private static let aboutItself = TermSet([
        "what can you do", "what can u do", "what do you do", "tell me about yourself", "introduce yourself", "who are you",
        "what are you for", "how can you help", "what are you good at", "remember this conversation", "will you remember", "do you remember me",
        "你会记得", "你记得我吗", "你能做什么", "你会什么", "你会做什么", "你是谁", "介绍一下你自己",
        "介绍下你自己", "你有什么用",
    ])

    private static let ofPost = TermSet([
        "is this true", "is it true", "is that true", "is this real", "is this legit", "is it legit", "legit", "is this a scam", "is it a scam",
        "true or false", "fact check", "fact-check", "factcheck this", "check this", "靠谱吗", "真的吗", "是真的吗", "真的假的", "可信吗",
        "是骗局吗", "是不是骗局", "是谣言吗", "是不是谣言", "靠不靠谱",
    ])

    /// Words that point back at what a comment is under ("is it dangerous?", 这个要紧吗).
    private static let pointsBack = TermSet(["it", "this", "that", "these", "those", "they", "them", "这", "那", "它"])
    /// A follow-up that asks what to do about what the post told ("the money's already sent, what now?").
    private static let whatNow = TermSet([
        "what now", "now what", "what do i do", "what do we do", "what should i do", "what should we do", "too late", "what next",
        "怎么办", "该怎么办", "怎么处理", "要不要报警", "是不是应该报警", "还来得及",
    ])

    /// A short comment that asks about what it is under ("@factcheck 这个靠谱吗？", "legit?").
    static func asksOfPost(_ text: String) -> Bool {
        let spoken = withoutMentions(text)
        return spoken.split { $0.isWhitespace }.count <= 5 && spoken.count <= 30 && ofPost.firstMatch(in: text) != nil
    }

    /// "What are you?" said alone; inside a longer question ("what are you doing tonight?") it
    /// asks something else.
    private static let whatAreYou: Set<String> = ["whatareyou", "whatru", "whatareu", "whatevenareyou", "whatexactlyareyou", "你是什么", "你是啥", "你是什么东西"]

    /// Spoken to and asked what it is or does.
    static func asksAboutItself(_ text: String) -> Bool {
        aboutItself.firstMatch(in: text) != nil
            || whatAreYou.contains(String(withoutMentions(text).lowercased().unicodeScalars.filter { TextWords.isWordScalar($0) || TextScript.isCJK($0) }.map(Character.init)))
    }

    private static let stop = TermSet([
        "go away", "stop replying", "stop commenting", "stop answering", "leave me alone", "stop talking to me", "turn you off", "mute you",
        "block you", "get rid of you", "走开", "别回复我", "别回了", "别烦我", "屏蔽你", "怎么屏蔽你", "怎么关掉你",
    ])
    /// Words that turn "go away" into its opposite ("never go away", 别走).
    private static let stay = TermSet(["never go away", "don't go away", "dont go away", "do not go away", "don't ever go away", "别走", "不要走"])

    /// Told, when spoken to, to go away.
    static func asksToStop(_ text: String) -> Bool { stop.firstMatch(in: text) != nil && stay.firstMatch(in: text) == nil }

    private static let stopBots = TermSet([
        "turn off the bots", "turn the bots off", "turn off these bots", "mute the bots", "mute these bots", "get rid of the bots",
        "how do i stop the bots", "bot replies off", "turn off bot replies", "stop the bots from replying", "关掉机器人", "关闭机器人",
        "屏蔽机器人", "这些机器人好烦", "机器人好烦", "机器人能关掉", "机器人能不能关掉", "机器人怎么关", "关掉机器人回复",
    ])

    private static let friendInCrisis = TermSet([
        "my friend said", "my friend says", "my friend told me", "my friend keeps saying", "my friend wants to", "my friend is talking about",
        "my brother said", "my sister said", "my son said", "my daughter said", "我朋友说", "朋友说他", "朋友说她", "他说他想", "她说她想",
        "我朋友想", "我同学说", "我室友说",
    ])

    /// A crisis told of someone else by the one asking how to help.
    static func tellsOfFriendInCrisis(_ text: String) -> Bool { friendInCrisis.firstMatch(in: text) != nil }

    /// Asking, spoken to or not, how to turn the bots here off (not a robot vacuum's beep).
    static func asksToStopBots(_ text: String) -> Bool { stopBots.firstMatch(in: text) != nil }

    /// A comment that passes on a claim or asks about one, for the fact-checker's facts.
    private static let claims = TermSet([
        "says", "said", "saying", "claims", "claim", "true", "myth", "confirm", "heard that", "told me", "screenshot", "cures", "cure", "prevents",
        "说", "听说", "真的", "是不是真的", "谣言", "网上说", "朋友圈说",
    ])

    /// A claim that something causes, cures or prevents an illness, passed on.
    private static let healthClaims = TermSet([
        "cures", "cure", "prevents", "prevent", "causes", "cause", "screenshot", "myth", "治好", "治愈", "能治", "预防", "会导致", "导致", "致癌",
    ])

    private static let tasks = TermSet([
        "tell me a joke", "tell us a joke", "tell a joke", "make me laugh", "roast me", "roast him", "roast her", "roast them", "roast my",
        "write me a", "write us a", "write a poem", "write a song", "write a story", "sing me", "sing us", "sing a song", "can you sing",
        "draw me", "can you draw", "summarise this", "summarize this", "summarise the", "summarize the", "sum this up", "tl;dr", "tldr",
        "translate this", "translate that", "can you translate", "say something nice", "say something", "say hi to", "say hello to",
        "say congrats", "say happy birthday", "讲个笑话", "说个笑话", "来个笑话", "写首诗", "写一首诗", "作首诗", "唱首歌", "画一个", "画个",
        "总结一下", "帮我翻译", "翻译一下", "说句话",
    ])

    /// Asked to do something the offline engine does not do.
    static func asksForTask(_ text: String) -> Bool { tasks.firstMatch(in: text) != nil }

    /// How a comment that opens with a greeting goes on.
    enum Greeting {
        /// A greeting and nothing else ("hey how's it going", 你好呀, "good morning everyone 👋").
        case alone
        /// More behind it: "hi, is 5G safe?" asks something, and "hey sos", "hi 😭" or "你好，救命"
        /// are anything but hello. A word or an emoji beyond a greeting's company makes it more.
        case withMore
    }

    /// The greeting a comment opens with, once the names it speaks to are left out; nil when it
    /// opens otherwise. `name` is the persona's, which may stand beside it ("hi kiki").
    static func greeting(in text: String, name: String) -> Greeting? {
        var scalars = Array(withoutMentions(text).lowercased().unicodeScalars)
        let hits = greetings.hits(in: scalars, range: 0..<scalars.count)
        guard hits.contains(where: { $0.range.lowerBound == 0 }) else { return nil }
        for hit in hits { for index in hit.range { scalars[index] = " " } }
        let allowed = greetingCompany.union([name.lowercased()])
        var word = ""
        for scalar in scalars + [" "] {
            if TextWords.isWordScalar(scalar) && !TextScript.isCJK(scalar) {
                word.unicodeScalars.append(scalar)
                continue
            }
            if !word.isEmpty {
                guard allowed.contains(word) else { return .withMore }
                word = ""
            }
            if TextScript.isCJK(scalar) {
                guard greetingParticles.contains(scalar) else { return .withMore }
            } else if !scalar.properties.isWhitespace && !greetingMarks.contains(scalar) {
                return .withMore
            }
        }
        return .alone
    }

    /// Words that may stand beside a greeting without making it more ("hi everyone", "hey there").
    private static let greetingCompany: Set<String> = ["there", "everyone", "everybody", "all", "guys", "friend", "friends", "buddy", "pal", "again", "bot", "y'all"]
    private static let greetingParticles = Set("呀啊哦啦鸭吖哈".unicodeScalars)
    /// Punctuation and the emoji of a hello; a crying or pleading face is not one.
    private static let greetingMarks = Set(",.!~，。！～?？'\u{FE0F}👋🙂😊😀😄😁😃✨❤♥🌞☀🌸💕🤗🙋".unicodeScalars)

    private static let greetings = TermSet([
        "hi", "hey", "hello", "hiya", "howdy", "yo", "sup", "gm", "good morning", "good afternoon", "good evening", "morning",
        "how are you", "how are u", "how r u", "how's it going", "nice to meet you", "hows it going", "how's your day", "what's up", "whats up", "wassup",
        "你好", "您好", "嗨", "哈喽", "哈啰", "早上好", "早安", "晚上好", "在吗", "最近怎么样", "最近好吗", "你好吗", "很高兴认识你",
    ])

    private static let someoneElse = TermSet([
        "them", "they", "him", "her", "he", "she", "my friend", "this person", "op", "他", "她", "他们", "她们", "对方", "楼主", "朋友",
    ])

    private static let firstPerson = TermSet(["i", "i'm", "im", "me", "i've", "我"])
    private static let concernFor = TermSet([
        "worried about", "help her", "help him", "help them", "can you help", "what do i do", "what should i do", "is she", "is he",
        "are they", "give him", "give her", "give them", "for him", "for her", "for them", "how can i help", "what can i do", "can i do",
        "担心他", "担心她", "帮帮他", "帮帮她", "帮帮楼主", "怎么帮", "该怎么办", "我是他朋友", "我是她朋友", "我能做点什么", "我能做什么", "能为他", "能为她",
    ])

    /// A comment about a third person ("can you help them?", 能帮帮他吗, "I'm worried about her").
    /// Said of oneself ("i called my mom and she hung up on me"), it is the writer's own crisis.
    static func speaksOfSomeoneElse(_ text: String) -> Bool {
        someoneElse.firstMatch(in: text) != nil && (firstPerson.firstMatch(in: text) == nil || concernFor.firstMatch(in: text) != nil)
    }

    private static let anniversaries = TermSet([
        "anniversary", "years ago today", "years since", "year since", "would've been your", "would have been your", "would have turned", "would've turned", "grave", "cemetery",
        "周年", "忌日", "祭日", "走了一年", "走了两年", "走了三年", "去世一年", "去世两年",
    ])

    /// A loss remembered on its day, not news.
    static func isAnniversary(_ text: String) -> Bool { anniversaries.firstMatch(in: text) != nil }

    static func isMixed(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return mixedFeelings.contains { lowered.contains($0) }
    }

    private func matchingExample(_ request: ReplyRequest, target: String) -> String? {
        let examples = request.persona.voice.examples.filter { TextScript.language(of: $0.reply) == request.language }
        guard let (example, score) = Self.closestExample(to: target, among: examples), score >= Self.exampleThreshold else { return nil }
        return example.reply
    }

    /// How similar a post must be to an example's post for the offline engine to give its reply.
    public static let exampleThreshold = 0.5

    /// The example whose post is most like `text`, with its similarity (above 0, up to 1); nil
    /// when none shares a word with it.
    public static func closestExample(to text: String, among examples: [Voice.Example]) -> (Voice.Example, Double)? {
        let terms = TextScript.terms(text)
        guard let best = examples.map({ ($0, similarity(terms, TextScript.terms(withoutMentions($0.post)))) }).max(by: { $0.1 < $1.1 }),
            best.1 > 0
        else { return nil }
        return best
    }

    /// A question: answered from the persona's knowledge when a fact shares at least two terms
    /// with it, otherwise an honest "I don't know" that hands it to the community. A comment
    /// that asks with no subject of its own ("@factcheck is this true?", 真的吗？) asks about the
    /// post it is under.
    private func answer(_ request: ReplyRequest, target: String, book: SituationPhrasebook) -> [String] {
        // A comment that asks about what it is under ("legit?", "please answer fast, is it
        // dangerous??") is answered from the post when it names no fact itself.
        let termCount = TextScript.terms(target).count
        let aboutPost = termCount <= 1 || Self.asksOfPost(target) || (termCount <= 4 && Self.pointsBack.firstMatch(in: target) != nil)
        let asked = request.parent != nil && aboutPost ? [target, request.post] : [target]
        if let fact = asked.lazy.compactMap({ knownFact(request, target: $0, sharing: 2, bySubject: false) }).first {
            return book.answer(fact: fact, medical: request.reading.medicalQuestion, careful: request.reading.isCareful)
        }
        // Asked by name under a post it holds a close fact about ("@factcheck 钱已经转过去了怎么办" under
        // a "safe account" scam): the post's fact answers what to do, not "no reliable answer".
        if request.addressed, request.parent != nil, !aboutPost, Self.whatNow.firstMatch(in: target) != nil,
            let fact = knownFact(request, target: request.post, sharing: 3, bySubject: false)
        {
            return book.answer(fact: fact, medical: request.reading.medicalQuestion, careful: request.reading.isCareful)
        }
        // Not knowing is worth saying only to someone who asked it directly, and not under a pitch
        // (no "anyone here know?" handing a scam to the crowd) or a loss or a hurt, where "I'm
        // sorry, I don't know" to "is postpartum depression real?" reads as a shrug: silence.
        guard request.addressed, request.reading.promotion == nil, request.reading.thread == nil else { return [] }
        // "@kiki u there? 👀" asks nothing to hand to the crowd.
        return TextScript.terms(Self.withoutMentions(target)).isEmpty ? book.clarification() : book.unknownAnswer()
    }

    /// A post about nothing in particular: one of its facts when it shares terms with the post,
    /// or, on a light post, a plain acknowledgement; otherwise nothing. A post the reader found
    /// nothing in may still be a quiet cry for help in words it does not know, and "always nice
    /// to see what you're up to" under it would hurt: better silent.
    private func remark(_ request: ReplyRequest, target: String, book: SituationPhrasebook) -> [String]? {
        // Unsure, or pulled both ways ("Thanks! Just wish my mom were here"): a light word misses it.
        guard !request.reading.unsure, !Self.isMixed(target) else { return nil }
        let thanks = SituationPhrasebook.isPlainThanks(target)
        // Under a loss, a comment that reads as ordinary gets no fact and no chat: a thank-you
        // gets a quiet word back, anything else (a joke about the lasagna, "at least it was
        // early") silence.
        if request.reading.thread != nil { return thanks && request.addressed ? book.takeCare() : nil }
        // Unasked, it takes more to bring a fact up: two shared feed words ("post", "profile")
        // under a link to someone's blog are no topic. Asked by name ("@factcheck and that we only
        // use 10% of our brains"), two are enough.
        if let fact = knownFact(request, target: target, sharing: request.addressed ? 2 : 3) {
            return book.answer(fact: fact, medical: request.reading.medicalQuestion, careful: request.reading.isCareful)
        }
        // Under a pitch, only a fact about it is worth saying.
        guard request.reading.promotion == nil else { return nil }
        if request.addressed && thanks { return book.youreWelcome() }
        // "What's on your mind?" fits a bare mention ("@kiki", "@kiki hey"); said to a comment that
        // said something it could not read, it sounds like it was not listening: better silent.
        if request.addressed && !request.reading.light { return TextScript.terms(target).count <= 2 ? book.clarification() : nil }
        let greeting = Self.greeting(in: target, name: request.persona.name)
        if SituationPhrasebook.isNewcomer(target), greeting != nil || SituationPhrasebook.opensWithGreeting(target) {
            return book.welcome()
        } else if request.addressed, greeting == .withMore {
            // Spoken to, a greeting with a word or two it cannot read behind it ("@kiki hey sos",
            // "hi help") is no hello: it listens. Anything longer gets no greeting either.
            if TextScript.terms(target).count <= 3 { return book.clarification() }
        } else if SituationPhrasebook.opensWithGreeting(target) {
            return book.greetBack()
        }
        // A thank-you for a post that only reads as light sounds like it was not read (the same
        // line under a complaint, an ad and a boss fight): only shouted delight, or someone
        // speaking to it, gets one.
        guard request.reading.light, request.addressed || Self.isExcited(target) else { return nil }
        let acknowledgement = book.acknowledgement()
        return acknowledgement.isEmpty ? nil : acknowledgement
    }

    /// The persona's fact about `target`: the closest one, when it shares `sharing` terms with it
    /// or (when `bySubject`) the fact's own subject is a long word it names (sourdough,
    /// marathon). A word the fact only passes through ("walked", "remember") is no topic, nor an
    /// everyday one ("coffee" under every post about a spilt cup).
    private func knownFact(_ request: ReplyRequest, target: String, sharing: Int, bySubject: Bool = true) -> String? {
        let terms = TextScript.terms(target)
        let knowledge = request.persona.voice.knowledge.filter { TextScript.language(of: $0) == request.language }
        // The most terms shared wins; the overlap's share of both texts only breaks ties, so that a
        // short fact sharing two words ("饭后喝冷水不会致癌") does not beat a longer one sharing three
        // ("微波炉加热食物不会让饭菜致癌") about "微波炉热饭会致癌吗".
        guard let (fact, _) = best(knowledge, by: { fact in
            let factTerms = TextScript.terms(fact)
            return Double(terms.intersection(factTerms).count) + Self.similarity(terms, factTerms)
        }) else { return nil }
        let shared = terms.intersection(TextScript.terms(fact))
        let aboutSubject = bySubject && TextScript.contentWords(fact).first.map({ $0.count >= 7 && shared.contains($0) }) == true
        return shared.count >= sharing || aboutSubject ? fact : nil
    }

    /// A post of its own for a quiet feed: a question in its voice, often with one of its facts,
    /// never one of the texts it is asked to avoid (its recent openers) while another is possible.
    private func opener(_ request: ReplyRequest, phrases: Phrasebook, random: inout SeededRandom) -> String {
        let knowledge = request.persona.voice.knowledge.filter { TextScript.language(of: $0) == request.language }
        let separator = request.language == .chinese ? "" : " "
        // The persona's own openers (a card's greetings), in the language asked for, come first.
        let own = request.persona.voice.openers.filter { TextScript.language(of: $0) == request.language }
        // Each option with the parts a reader would recognise from an earlier day.
        var options: [(text: String, parts: [String])] = (own.isEmpty ? phrases.openerQuestions : own).map { ($0, [$0]) }
        for fact in own.isEmpty ? knowledge : [] {
            for template in phrases.openerFact {
                for question in phrases.openerQuestions {
                    options.append((template.replacingOccurrences(of: "{fact}", with: fact) + separator + question, [fact, question]))
                }
            }
        }
        // The same fact three days running reads as a stuck bot even with a new question after
        // it: the options that repeat the fewest parts of recent openers are the ones drawn from.
        let repeats = options.map { option in
            // The very same opener again is the worst repeat of all.
            request.avoid.reduce(0) { count, earlier in count + option.parts.filter { earlier.contains($0) }.count + (earlier == option.text ? options.count : 0) }
        }
        let fewest = repeats.min() ?? 0
        let fresh = options.indices.filter { repeats[$0] == fewest }.map { options[$0].text }
        return fresh.randomElement(using: &random) ?? ""
    }

    private func best<T>(_ items: [T], by score: (T) -> Double) -> (T, Double)? {
        items.map { ($0, score($0)) }.max { $0.1 < $1.1 }
    }

    /// Overlap of two term sets, normalised so long texts do not win by size alone.
    static func similarity(_ a: Set<String>, _ b: Set<String>) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        return Double(a.intersection(b).count) / (Double(a.count) * Double(b.count)).squareRoot()
    }

    static func isExcited(_ text: String) -> Bool {
        text.contains("!") || text.contains("！") || text.unicodeScalars.contains { ["🎉", "🥳", "🎊", "🍾", "🥂"].contains($0) }
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

/// The offline engine's quiet-feed openers per voice style and language.
struct Phrasebook {
    var openerQuestions: [String]
    var openerFact: [String]

    static func phrases(style: Voice.Style, language: TextScript.Language) -> Phrasebook {
        switch (style, language) {
        case (.playful, .english):
            return Phrasebook(
                openerQuestions: [
                    "What made you smile today? ✨", "What's one small win from this week?", "Share something you're excited about! 🎉",
                    "What's the best thing you ate this week?", "Tell us about a tiny adventure you had lately!", "What are you learning right now? ✨",
                ],
                openerFact: ["Did you know? {fact}", "Fun fact: {fact}"])
        case (.playful, .chinese):
            return Phrasebook(
                openerQuestions: [
                    "今天有什么让你开心的小事吗？✨", "这周你最得意的一件事是什么？", "来聊聊最近让你期待的事吧🎉",
                    "这周吃到的最好吃的东西是什么？", "最近有什么小冒险想分享吗？", "你最近在学什么新东西？✨",
                ],
                openerFact: ["你知道吗？{fact}", "小知识：{fact}"])
        case (.formal, .english):
            return Phrasebook(
                openerQuestions: [
                    "What questions would you like the community to discuss this week?", "Which topic would you like to learn more about?",
                    "Which claim have you seen recently that deserves a closer look?", "What is a common belief you were surprised to find untrue?",
                    "Which sources do you trust most, and why?", "What would you like explained more clearly?",
                ],
                openerFact: ["A note for the community: {fact}", "For the record: {fact}"])
        case (.formal, .chinese):
            return Phrasebook(
                openerQuestions: [
                    "本周大家希望讨论哪些问题？", "您最想深入了解哪个话题？", "最近看到的哪个说法值得核实一下？",
                    "有哪个常见说法后来被您发现并不准确？", "您最信任哪些信息来源？为什么？", "有什么问题希望有人讲得更清楚一些？",
                ],
                openerFact: ["社区提示：{fact}", "记录一下：{fact}"])
        case (.deadpan, .english):
            return Phrasebook(
                openerQuestions: [
                    "Quiet in here. Somebody say something mildly interesting.", "Poll: what did everyone have for lunch. Be honest.",
                    "Status report: nothing is happening. Change my mind.", "Rate your week from one to ten. Decimals allowed.",
                    "Name one thing that worked on the first try. I'll wait.", "What is everyone procrastinating on right now.",
                ],
                openerFact: ["Unprompted fact: {fact}", "Nobody asked, but: {fact}"])
        case (.deadpan, .chinese):
            return Phrasebook(
                openerQuestions: [
                    "这里好安静。来个人说点稍微有趣的事。", "调查一下：大家午饭吃了什么？说实话。", "现状汇报：什么都没发生。欢迎反驳。",
                    "给这周打个分，一到十，可以带小数。", "说一件第一次就成功的事。我等着。", "大家现在都在拖延什么？",
                ],
                openerFact: ["没人问但还是说一下：{fact}", "冷知识播报：{fact}"])
        case (.neutral, .english):
            return Phrasebook(
                openerQuestions: [
                    "What are you working on this week?", "Any recommendations to share with the community?",
                    "What's a good book, show or tool you found recently?", "What's something you changed your mind about lately?",
                    "What would make this community more useful for you?", "What's a question you'd like others' take on?",
                ],
                openerFact: ["Something to start with: {fact}", "A thought to start the day: {fact}"])
        case (.neutral, .chinese):
            return Phrasebook(
                openerQuestions: [
                    "这周大家都在忙些什么？", "有什么好东西想推荐给大家吗？", "最近发现了什么好书、好剧或好用的工具？",
                    "最近有什么想法改变了吗？", "怎样能让这个社区对你更有用？", "有什么问题想听听大家的看法？",
                ],
                openerFact: ["先聊个话题：{fact}", "今天想到一件事：{fact}"])
        }
    }
}
