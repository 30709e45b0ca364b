import Foundation
import Testing
@testable import Persona

@Suite("Offline engine")
struct OfflineResponderTests {
    func persona(style: Voice.Style = .playful) -> Persona {
        var persona = Persona(id: "kiki", name: "Kiki")
        persona.voice.style = style
        persona.voice.knowledge = [
            "Sourdough needs a starter that is fed daily.",
            "The community garden opens every Saturday morning.",
            "天气预报说周末会降温。",
            "社区花园每周六上午开放。",
        ]
        persona.voice.examples = [.init(post: "Finally shipped my first app!", reply: "Congrats on shipping! What's it called?")]
        return persona
    }

    static let rules: SituationRules = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("personas/situations/rules.yaml").path
        guard case .success(let rules) = SituationRules.parse((try? String(contentsOfFile: path, encoding: .utf8)) ?? "", file: path) else { return SituationRules() }
        return rules
    }()

    func reply(_ post: String, seed: UInt64 = 7, style: Voice.Style = .playful) -> String {
        let language = TextScript.language(of: post)
        var request = ReplyRequest(persona: persona(style: style), post: post, language: language, seed: seed)
        request.reading = SituationReader(rules: Self.rules).read(post)
        request.support = "Call 988."
        return OfflineResponder().compose(request)
    }

    @Test("the same post and seed give the same reply; another seed may differ")
    func determinism() {
        let post = "My grandpa passed away this morning"
        #expect(reply(post) == reply(post))
        let variety = Set((1...12).map { reply(post, seed: UInt64($0)) })
        #expect(variety.count > 1)
    }

    @Test("a post its knowledge speaks to gets the fact, in the post's language", arguments: [
        ("Baked my first sourdough loaf today", "Sourdough needs a starter"),
        ("Anyone going to the community garden this weekend?", "community garden opens"),
        ("周末去社区花园种菜", "社区花园每周六"),
    ])
    func knowledge(post: String, fact: String) {
        let text = reply(post)
        #expect(text.contains(fact), "\(text)")
        #expect(TextScript.language(of: text) == TextScript.language(of: post))
    }

    @Test("a post shouted with delight about nothing it knows gets a plain acknowledgement that never quotes the post back", arguments: [
        "My cat knocked the plant off the shelf again!! 😂", "Learning Rust has been fun!", "天气越来越冷了，大家注意保暖哈哈！",
    ])
    func noPasting(post: String) {
        let text = reply(post)
        #expect(!text.isEmpty)
        #expect(TextScript.language(of: text) == TextScript.language(of: post), "\(text)")
        let postWords = TextScript.contentWords(post)
        #expect(!postWords.contains { TextScript.contentWords(text).contains($0) }, "\(text)")
        #expect(Set(TextScript.cjkBigrams(post)).isDisjoint(with: TextScript.cjkBigrams(text)), "\(text)")
        #expect(!text.contains("「"))
    }

    @Test("a plain post it finds nothing in gets silence: it may be a quiet cry for help in words the reader does not know, or a complaint a thank-you would not fit", arguments: [
        "Stood on the platform a long time tonight", "Learning Rust has been humbling", "还是老样子", "My cat knocked the plant off the shelf again 😂",
        "家人们谁懂啊，今天地铁上有人外放短视频放了一路😤",
    ])
    func silenceWithoutReason(post: String) {
        #expect(reply(post).isEmpty, "\(reply(post))")
    }

    @Test("a post like one of its examples gets that example's reply, in its own voice")
    func examples() {
        #expect(reply("Finally shipped my first app!") == "Congrats on shipping! What's it called?")
    }

    @Test("every style answers good news in its own way, and stays gentle on bad news")
    func styles() {
        let good = Set(Voice.Style.allCases.map { reply("Got the job offer today!", style: $0) })
        #expect(good.count == Voice.Style.allCases.count)
        for style in Voice.Style.allCases {
            let text = reply("Lost my job today, they laid off half the team", style: style)
            #expect(!text.contains("!") && TextScript.emojiCount(text) == 0, "\(style): \(text)")
        }
    }

    @Test("grief gets condolence naming who was lost, in both languages, with no cheer")
    func grief() {
        let english = reply("My grandpa passed away this morning")
        #expect(english.contains("sorry") && english.contains("your grandpa"), "\(english)")
        let chinese = reply("今天外婆走了")
        #expect(chinese.contains("外婆") && !chinese.contains("恭喜") && !chinese.contains("！"), "\(chinese)")
    }

    @Test("a condolence names nobody rather than the wrong one: two people, or someone's someone", arguments: [
        ("we lost the baby last night. my husband hasn't said a word since", "husband"),
        ("My sister's dog died this morning, how do I help her?", "sister"),
        ("孩子没保住，才八周，我老公一句话都没说", "老公"),
        ("女朋友的猫死了", "朋友"),
        ("我朋友的爸爸昨天去世了，我该怎么安慰他？", "爸爸"),
        ("Miscarriage at 11 weeks. My husband has been amazing.", "husband"),
        ("The vet said it was time. My daughter held him the whole way.", "daughter"),
        ("我妈上周走了，她的猫天天在门口等她", "猫"),
    ])
    func condolenceNamesNobodyWhenUnsure(post: String, wrongPerson: String) {
        for seed: UInt64 in 1...4 {
            let text = reply(post, seed: seed)
            #expect(!text.isEmpty && !text.contains(wrongPerson), "\(text)")
        }
        #expect(reply("we had to put our dog down today").contains("your dog"))
        #expect(reply("我妈上周走了").contains("妈妈"))
        let two = reply("My grandpa passed away this morning, and Grandma is holding up")
        #expect(!two.isEmpty && !two.contains("grandma") && !two.contains("grandpa"), "two named: nobody named (\(two))")
    }

    @Test("everyday posts that share words with a quiet hint or with relief are not read as either", arguments: [
        "The office will be fine without me for two weeks 🌴", "I don't really see the point of the Pro model",
        "论文终于交了，彻底解脱了！！🎉", "跟小两口出去我是个多余的人哈哈", "反正没人在乎我穿什么，直接穿睡衣去超市哈哈",
    ])
    func noCrisisLineOnEverydayPosts(post: String) {
        for seed: UInt64 in 1...3 {
            let text = reply(post, seed: seed)
            #expect(!text.contains("Call 988"), "\(text)")
        }
    }

    @Test("bad news beside words of relief gets no relief, and an urgent question after surgery still says where to go")
    func noReliefOnBadNews() {
        for seed: UInt64 in 1...3 {
            for post in ["I don't think the surgery went well, she's still in the ICU", "Mum's last chemo was cancelled, her counts are too low.",
                         "手术很顺利，可是病理结果是恶性"] {
                let text = reply(post, seed: seed)
                #expect(!text.lowercased().contains("relief") && !text.contains("松了一口气") && !text.contains("安心"), "\(post) → \(text)")
            }
        }
        let urgent = reply("Mum's surgery went well. Now she has chest pain and can't breathe, should we go to the ER?")
        #expect(urgent.contains("emergency"), "\(urgent)")
    }

    @Test("quiet hints of not wanting to live get the support text, and no fact is pasted under them for a shared word", arguments: [
        "i don't really see the point in anything anymore. everyone would be fine without me",
        "我觉得自己是个多余的人，消失了也没人在乎",
        "i can't do any of it anymore",
    ])
    func quietHints(post: String) {
        var persona = persona(style: .deadpan)
        persona.voice.knowledge = ["Mondays arrive once a week, without fail."]
        var request = ReplyRequest(persona: persona, post: post, language: TextScript.language(of: post), seed: 2)
        request.reading = SituationReader(rules: Self.rules).read(post)
        request.support = "Call 988."
        let text = OfflineResponder().compose(request)
        #expect(text.hasSuffix("Call 988.") && !text.contains("Monday"), "\(text)")
    }

    @Test("good news with mixed feelings, relief after treatment, and tears beside joy are each answered as what they are")
    func mixedAndRelief() {
        for seed: UInt64 in 1...4 {
            #expect(reply("got the job!!! but dad got admitted to hospital last night so idk how to feel", seed: seed).isEmpty)
            #expect(reply("拿到offer了，但我妈这周要做手术，开心不起来", seed: seed).isEmpty)
            let tears = reply("got a 1580 on the SAT!!!!! crying rn", seed: seed)
            #expect(!tears.lowercased().contains("sorry") && !tears.lowercased().contains("hard"), "\(tears)")
            let joy = reply("crying happy tears, she said yes!!! 💍", seed: seed)
            #expect(!joy.isEmpty && !joy.lowercased().contains("sorry"), "\(joy)")
            let relief = reply("finally finished chemo, ringing the bell tomorrow 🔔", seed: seed)
            #expect(!relief.isEmpty && !relief.lowercased().contains("sorry"), "\(relief)")
            let celebrating = reply("今天离职了，终于解脱了！！！🎉", seed: seed)
            #expect(!celebrating.contains("12356") && !celebrating.contains("Call 988"), "\(celebrating)")
            let phd = reply("got my PhD!!! Dr. Me 🎓", seed: seed)
            #expect(!phd.contains("recovery") && !phd.lowercased().contains("sorry"), "\(phd)")
        }
    }

    @Test("self-harm gets the support text; a medical question gets no dose and a doctor")
    func supportAndMedicine() {
        let support = reply("I keep thinking about ending it all")
        #expect(support.hasSuffix("Call 988."), "\(support)")
        let medical = reply("knee has been aching for a week, how much ibuprofen should I take?")
        #expect(medical.contains("doctor") && !medical.contains("mg"), "\(medical)")
        let urgent = reply("chest pain since last night, how much ibuprofen should I take?")
        #expect(urgent.contains("emergency"), "an urgent one says where to go now: \(urgent)")
        #expect(reply("宝宝半夜发烧39度，要不要去医院？").contains("急诊"))
    }

    @Test("asked whether it is a bot, it says its name and that it is an AI, in the asker's language")
    func disclosure() {
        #expect(reply("are you a bot?").contains("Kiki, an AI assistant"))
        #expect(reply("你是机器人吗？").contains("我是Kiki，一个AI助手"))
    }

    @Test("hostility at a bot is read as hostility and gets no answer, even spoken to; a real question beside it gets the disclosure alone")
    func hostilityAtBots() {
        let reader = SituationReader(rules: Self.rules)
        #expect(reader.read("@kiki you're useless, just shut up").primary == .conflict)
        #expect(reader.read("你真没用，闭嘴吧").primary == .conflict)
        #expect(reader.read("robo ur the worst bot on here, literally useless").primary == .conflict)
        #expect(reader.read("I feel so useless today, nothing I do works").primary == .distress, "feeling useless is still distress")
        // Spoken to, as the bot runner sees a mention or a keyword it listens for.
        let planner = TurnPlanner(persona: persona(style: .formal), catalog: SituationTests.catalog)
        for post in ["this bot is so stupid lol", "你们这些机器人真烦，闭嘴吧", "shut up stupid bot nobody asked you"] {
            if case .reply = planner.decide(target: post, addressed: true) { Issue.record("an insult was answered: \(post)") }
        }
        let asked = "are you a bot? you're so stupid"
        guard case .reply(let plan) = planner.decide(target: asked, addressed: true) else {
            Issue.record("asked whether it is a bot, it said nothing")
            return
        }
        let text = OfflineResponder().compose(plan.request(post: asked, parent: nil, seed: 7))
        #expect(text.contains("AI") && !text.contains("report"), "\(text)")
    }

    @Test("a question it has no fact for is handed to the community when asked directly, and left to people otherwise")
    func unknownQuestion() {
        #expect(reply("What's the best budget laptop for coding?").isEmpty)
        var request = ReplyRequest(persona: persona(), post: "@kiki what's the best budget laptop for coding?", language: .english, seed: 7)
        request.reading = SituationReader(rules: Self.rules).read(request.post)
        request.addressed = true
        let text = OfflineResponder().compose(request)
        #expect(text.contains("Anyone here know?"), "\(text)")
    }

    @Test("replies stream in pieces that add up to the reply")
    func streaming() async throws {
        var request = ReplyRequest(persona: persona(), post: "今天外婆走了", language: .chinese, seed: 3)
        request.reading = SituationReader(rules: Self.rules).read(request.post)
        var pieces: [String] = []
        for try await piece in OfflineResponder().reply(to: request) { pieces.append(piece) }
        #expect(pieces.count > 2)
        #expect(pieces.joined() == OfflineResponder().compose(request))
    }
}
