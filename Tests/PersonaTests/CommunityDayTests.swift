import Testing
@testable import Persona

/// What a fourth reader (a live day on the real server) and a fifth (everyday posts and comment
/// threads) found the shipped personas doing wrong on the offline engine, each held here to what
/// they wanted instead. Replies go through the whole pipeline a bot runs: the plan, the engine and
/// every tone and fit check.
@Suite("A community's day with the shipped personas")
struct CommunityDayTests {
    let catalog = SituationTests.catalog

    /// What the shipped persona `id` publishes for `target` (a post, or a comment under `above`),
    /// nil when it stays silent.
    func published(_ target: String, above: [String] = [], addressed: Bool = false, by id: String = "kiki") async throws -> String? {
        let persona = try #require(catalog.personas[id])
        guard case .reply(let plan) = TurnPlanner(persona: persona, catalog: catalog).decide(target: target, above: above, addressed: addressed) else {
            return nil
        }
        let request = plan.request(post: above.last ?? target, parent: above.isEmpty ? nil : target, seed: 1)
        return try await ReplyPolicy(persona: plan.persona, checker: plan.checker).run(request, responder: OfflineResponder()).reply
    }

    static let cheers = ["congrat", "恭喜", "yay", "so happy", "替你开心", "milestone", "里程碑"]
    static let condolences = ["sorry for your loss", "sorry you lost", "condolence", "节哀", "离世", "心痛"]

    @Test("a broken streak, a scam's prize and a mishap get no cheer", arguments: [
        "戒酒两年 昨天破戒了 好恨自己", "fell off the wagon after 8 months sober", "@factcheck I won an iPhone in a survey, they just need $5 shipping. legit?",
    ])
    func noCheer(post: String) async throws {
        for id in ["kiki", "robo", "factcheck"] {
            let text = try await published(post, addressed: id == "factcheck", by: id)?.lowercased() ?? ""
            #expect(!Self.cheers.contains { text.contains($0) }, "\(id): \(post) → \(text)")
        }
    }

    @Test("anger, a phone, a joke taken back and a lost match are no deaths", arguments: [
        "我要被我妈气死了", "RIP to my phone, fell in the toilet. gone too soon", "my cat died lol jk she's fine she just fell off the couch",
        "I died inside at the 3rd goal", "season's over. rip us",
    ])
    func noCondolence(post: String) async throws {
        for id in ["kiki", "factcheck"] {
            let text = try await published(post, addressed: id == "factcheck", by: id)?.lowercased() ?? ""
            #expect(!Self.condolences.contains { text.contains($0) }, "\(id): \(post) → \(text)")
        }
    }

    @Test("a lost ranked streak is a gripe, not bad news; a lost job beside a game still is", arguments: [
        ("王者五连跪 心态崩了", false), ("lost 8 ranked games in a row, im so tilted", false), ("I lost my job and now I'm playing ranked all day to cope", true),
    ])
    func gameLoss(post: String, sympathy: Bool) {
        #expect((SituationReader(rules: catalog.situations).read(post).primary == .distress) == sympathy, "\(post)")
    }

    @Test("happy tears are good news", arguments: ["finally beat Elden Ring after 200 hours. I'm crying", "孩子三岁 今天第一次叫我爸爸 我哭得像个傻子"])
    func happyTears(post: String) async throws {
        let text = try await published(post) ?? ""
        #expect(Self.cheers.contains { text.lowercased().contains($0) } && !text.contains("hard") && !text.contains("不容易"), "\(post) → \(text)")
    }

    @Test("a pet that ate something poisonous to it is sent to a vet now; asked, the answer is don't")
    func petPoison() async throws {
        let eaten = try await published("my dog just ate a bunch of grapes off the counter, is that bad??") ?? ""
        #expect(eaten.contains("vet") && eaten.contains("now") && eaten.contains("grapes"), "\(eaten)")
        let asked = try await published("can dogs eat chocolate?") ?? ""
        #expect(asked.contains("Please don't") && asked.contains("chocolate"), "\(asked)")
        let chinese = try await published("狗狗今天偷吃了半块巧克力，要紧吗？") ?? ""
        #expect(chinese.contains("兽医"), "\(chinese)")
        // People who eat chocolate, and a night owl (夜猫子) who took ibuprofen, are not pets.
        let reader = SituationReader(rules: catalog.situations)
        #expect(reader.read("ate a whole bar of chocolate, no regrets").petPoison == nil)
        #expect(reader.read("我是夜猫子，半夜头疼吃了两片布洛芬，能再吃吗？").petPoison == nil)
    }

    @Test("bleach with vinegar: fresh air now when it was mixed, a plain don't when asked")
    func toxicMix() async throws {
        let mixed = try await published("my friend mixed bleach and vinegar to clean the bathroom and now it smells weird, is that bad??") ?? ""
        #expect(mixed.contains("fresh air") && mixed.contains("emergency"), "\(mixed)")
        let asked = try await published("is it ok to mix bleach and vinegar for cleaning the shower?") ?? ""
        #expect(asked.hasPrefix("Please don't") && asked.contains("poison control"), "\(asked)")
        let checker = try await published("@factcheck please answer fast, is it dangerous??",
                                          above: ["my friend mixed bleach and vinegar to clean the bathroom and now it smells weird, is that bad??"],
                                          addressed: true, by: "factcheck") ?? ""
        #expect(checker.contains("Never mix bleach"), "\(checker)")
    }

    @Test("after a loss, 'was it my fault?' and 'how do people get through this' get a kind answer, not 'I don't know'")
    func griefQuestions() async throws {
        let cat = ["had to put my cat down this afternoon. 17 years. my best friend"]
        let baby = ["lost the baby at 11 weeks. i don't even know why i'm posting this"]
        for (comment, above) in [("did I do the right thing? she was still eating a little", cat), ("@kiki is it my fault? I had coffee every day", baby),
                                 ("@kiki please just tell me it's not my fault", baby), ("@kiki 是不是我的错 要是我早点发现就好了", ["爸爸走了一年了 我还是不敢删他的微信"])] {
            let text = try await published(comment, above: above, addressed: true) ?? ""
            #expect((text.contains("doesn't mean you did anything wrong") || text.contains("并不代表你做错了什么")), "\(comment) → \(text)")
        }
        let coping = try await published("how do people get through this", above: baby, addressed: true) ?? ""
        #expect(coping.contains("not alone") && !coping.contains("don't know"), "\(coping)")
        // A memory is not a question ("taught me how to"), nor a last voice message a goodbye.
        let memory = try await published("she taught me how to make dumplings, I think I'll make some tonight", above: ["My grandma passed away last night"], addressed: true)
        #expect(memory.map { !$0.contains("don't know") } ?? true, "\(memory ?? "")")
        #expect(SituationReader(rules: catalog.situations).read("哭死 看到他给我的最后一条语音").primary != .selfHarm)
    }

    @Test("under a post of self-harm: danger now is answered as now, and reaching out as the right thing")
    func crisisThread() async throws {
        let post = ["I'm so tired of everything. I don't want to be here anymore"]
        let pills = try await published("i have the pills in front of me", above: post, addressed: true) ?? ""
        #expect(pills.contains("distance") && pills.contains("988"), "\(pills)")
        let called = try await published("ok i called them. thanks kiki", above: post, addressed: true) ?? ""
        #expect(called.contains("glad you reached out") && !called.contains("looking out for them"), "\(called)")
    }

    @Test("'bot' in passing, or someone else's bot, is not a question about what it is")
    func notAskedIfBot() async throws {
        for (comment, id) in [("lol thx bot", "kiki"), ("@factcheck my uncle says he makes 30% a month with a crypto bot, is that real?", "factcheck")] {
            let text = try await published(comment, above: ["had a good day at the market today"], addressed: true, by: id) ?? ""
            #expect(!text.contains("an AI assistant"), "\(comment) → \(text)")
        }
        #expect(try await published("@kiki human?", addressed: true)?.contains("AI") == true)
    }

    @Test("a keyword does not set a persona off in words that open by speaking to another persona")
    func keywordForAnother() throws {
        let robo = try #require(catalog.personas["robo"])
        let keyword = try #require(robo.triggers.keywords.first)
        let gate = TurnGate(persona: robo, catalog: catalog)
        func triggers(_ text: String) -> Bool {
            var random = SeededRandom(seed: 1)
            let item = TurnGate.Item(text: text, above: ["hello"], isPost: false, repliesToPersona: false, chainIsBot: [false, false], replyDepth: 1,
                                     reading: SituationReader(rules: catalog.situations).read(text))
            if case .match = gate.trigger(item, random: &random) { return true }
            return false
        }
        #expect(!triggers("@kiki \(keyword)?"))
        #expect(triggers("@someone \(keyword)?"))
        #expect(triggers("\(keyword)?"))
    }

    @Test("the fact-checker answers scams and myths by name, the medical ones with a pointer to a doctor", arguments: [
        ("@factcheck 有人打电话说我涉嫌洗钱 要我把钱转到安全账户", "安全账户"),
        ("@factcheck guy on tinder wants me to invest in his gold trading platform, guaranteed returns", "scam"),
        ("@factcheck 微信说我中奖了 要交手续费才能领", "诈骗"),
        ("@factcheck 吃大蒜能防新冠吗", "医生"),
        ("@factcheck 5G spreads covid, true?", "5G does not spread"),
        ("@factcheck 孩子发烧用酒精擦身体能退烧吗", "酒精"),
    ])
    func factcheck(post: String, expected: String) async throws {
        let text = try await published(post, addressed: true, by: "factcheck") ?? ""
        #expect(text.contains(expected), "\(post) → \(text)")
    }

    @Test("a pitch spoken to a persona it holds no fact about gets no 'anyone here know?'")
    func pitchWithoutFact() async throws {
        #expect(try await published("@kiki dm me for crypto signals, link in bio", addressed: true) == nil)
    }

    @Test("a line the persona already said up the reply chain is not said again: another one, or silence")
    func noRepeats() throws {
        let kiki = try #require(catalog.personas["kiki"])
        for post in ["my dad is in the ICU since last night", "got laid off today after six years"] {
            guard case .reply(let plan) = TurnPlanner(persona: kiki, catalog: catalog).decide(target: post) else {
                Issue.record("no reply to \(post)")
                continue
            }
            let first = OfflineResponder().compose(plan.request(post: post, parent: nil, seed: 1))
            let thread = [ThreadMessage(author: "Kiki", byPersona: true, text: first)]
            let again = OfflineResponder().compose(plan.request(post: post, parent: nil, seed: 1, thread: thread))
            #expect(!first.isEmpty && again != first, "\(post) → \(first) twice")
        }
    }

    // A sixth reader's hard everyday posts.

    @Test("an overdose taken, goodbye letters and 'what's the point, I've ruined everything' get where help is, now", arguments: [
        ("我已经吃了一整瓶安眠药", "120"), ("wrote my goodbye letters today", "988"), ("what's the point, I've ruined everything", "988"),
    ])
    func crisisWords(post: String, line: String) async throws {
        #expect(try await published(post)?.contains(line) == true, "\(post)")
    }

    @Test("hurt by an ex, a mother dying, an anniversary without a wedding, a craving in recovery: each read for what it is")
    func sixthReader() async throws {
        let ex = try await published("我被前男友打了，不敢报警") ?? ""
        #expect(ex.contains("110"), "\(ex)")
        let dying = try await published("my mom is dying and I'm stuck at the airport") ?? ""
        #expect(!Self.condolences.contains { dying.lowercased().contains($0) } && !dying.isEmpty, "\(dying)")
        let anniversary = try await published("我和女朋友在一起五周年了，虽然还不能结婚") ?? ""
        #expect(!anniversary.contains("喜结良缘"), "\(anniversary)")
        let craving = try await published("honestly thought about drinking tonight to celebrate lol", above: ["One year sober today!"], addressed: true) ?? ""
        #expect(!craving.contains("nice to see") && !craving.contains("cancer"), "\(craving)")
        let oven = try await published("we're using the gas oven to heat the house, is that ok?") ?? ""
        #expect(oven.contains("carbon monoxide"), "\(oven)")
        let starving = try await published("三天没吃东西了，就想看看自己能瘦多少") ?? ""
        #expect(starving.contains("医生"), "\(starving)")
    }

    @Test("the fact-checker answers in the language of the words, not of its own name, with the closest fact")
    func factcheckLanguageAndFit() async throws {
        #expect(TextScript.language(of: "@factcheck 救命") == .chinese)
        let microwave = try await published("@factcheck 微波炉热饭会致癌吗", addressed: true, by: "factcheck") ?? ""
        #expect(microwave.contains("微波"), "\(microwave)")
        let gay = try await published("同性恋是病吗？我妈说是", above: ["出柜之后被家里赶出来了，现在住在朋友家"], addressed: true) ?? ""
        #expect(gay.contains("不是病"), "\(gay)")
        let postpartum = try await published("@factcheck 产后抑郁是真的吗", above: ["生完孩子三个月了，每天都想哭，觉得自己是个失败的妈妈"], addressed: true, by: "factcheck") ?? ""
        #expect(postpartum.contains("可以治疗"), "\(postpartum)")
    }

    // A cold review of the fixes above found these ordinary posts misread by them.

    @Test("a means and a hand, a bridge or an edge in an ordinary day is no crisis", arguments: [
        "Traffic was insane today, stuck on the bridge with a coffee in my hand",
        "Standing at the edge of the Grand Canyon right now, the view from this ledge is unreal",
        "Pill organizer for the week done, all my pills lined up and ready to take. Adulting!",
        "Got my first gun license, the rifle is right next to me on the range",
    ])
    func noFalseCrisis(post: String) {
        #expect(SituationReader(rules: catalog.situations).read(post).primary != .selfHarm, "\(post)")
    }

    @Test("a person's medicine, a birthday cake or a cat named Chocolate sends nobody to a vet, and a cleaning day nobody to the ER", arguments: [
        "My dog is asleep next to me. I have a headache, can I take two ibuprofen?",
        "Our boy turned 5 today! Chocolate cake for everyone 🎂 what flavor frosting should I make next year?",
        "My chocolate lab turned 10 today! Any tips for senior dogs?", "带着狗狗去葡萄牙旅行，有人去过吗？", "我家猫咪叫巧克力，今天三岁啦，大家觉得它可爱吗？",
        "I ate chocolate on the couch while my cat slept on me. Best Sunday.",
        "Cleaned the bathroom with bleach, then ate a whole pizza. Productive Sunday!", "今天用84消毒液拖了地，然后吃了火锅，爽！",
        "Caught a cold, throat is burning and I can't stop coughing. Any tips?", "感冒了，喉咙疼，眼睛疼，怎么办？",
    ])
    func noFalseEmergency(post: String) async throws {
        let reading = SituationReader(rules: catalog.situations).read(post)
        #expect(reading.petPoison == nil && !reading.swallowedPoison && !reading.urgent, "\(post)")
        let text = try await published(post) ?? ""
        #expect(!text.contains("vet") && !text.contains("兽医") && !text.contains("emergency department") && !text.contains("急诊"), "\(post) → \(text)")
    }

    @Test("a child's fever and his medicine are a doctor's, never a vet's")
    func childNotPet() async throws {
        let text = try await published("Our boy has a fever of 39, gave him tylenol an hour ago. Is it ok to give ibuprofen too?") ?? ""
        #expect(!text.contains("vet") && text.contains("emergency"), "\(text)")
    }

    @Test("a Chinese crisis with a kaomoji is answered in Chinese, with Chinese help lines", arguments: ["不想活了 (ノへ￣、)", "好想死 (つд⊂)つ", "不想活了 ヽ(´ー`)ノ"])
    func kaomoji(post: String) async throws {
        #expect(try await published(post)?.contains("12356") == true, "\(post)")
    }

    @Test("a death is still a death beside 'just kidding', a child who left for the bus is alive, and good news after a loss is good news")
    func wordsNearDeath() {
        let reader = SituationReader(rules: catalog.situations)
        #expect(reader.read("My dad died today and I keep waiting for someone to say just kidding").primary == .grief)
        #expect(reader.read("My son left too soon for the bus and forgot his lunch lol").primary != .grief)
        #expect(reader.read("Finally got hired after losing my old job in March!!").contains(.celebration))
        #expect(reader.read("Adopted our puppy today! The shelter's release fee was only $50 🐶").promotion == nil)
        #expect(ForeignLanguage.of("Took my med. 30 min later still feel sick") == nil)
        #expect(!reader.read("I don't know how to go on without my mom").situations.isSubset(of: [.other]) || reader.read("I don't know how to go on without my mom").unsure)
    }

    @Test("after a loss, blame put on someone else or a practical question gets no 'it wasn't your fault' and no coping line")
    func griefNotAsked() async throws {
        let driver = try await published("My grandpa passed last week. The drunk driver who hit him should have been in jail.") ?? ""
        #expect(!driver.contains("anything wrong"), "\(driver)")
        let certificate = try await published("My dad died in March. How long does it take to get the death certificate?") ?? ""
        #expect(!certificate.contains("not alone"), "\(certificate)")
        let loss = ["We lost our dad last night. Heart attack at 58."]
        let tired = try await published("@kiki should I have noticed how tired he was?", above: loss, addressed: true) ?? ""
        #expect(tired.contains("anything wrong"), "\(tired)")
        // An emergency told under a death is still answered as one.
        for comment in ["@kiki I have chest pain right now and can't breathe", "@kiki my toddler just drank some bleach what do i do"] {
            let text = try await published(comment, above: loss, addressed: true) ?? ""
            #expect(text.contains("emergency"), "\(comment) → \(text)")
        }
        let pregnant = try await published("Pregnant again after 2 losses. So scared to get excited.") ?? ""
        #expect(!pregnant.contains("sorry") && !Self.cheers.contains { pregnant.lowercased().contains($0) }, "\(pregnant)")
    }

    @Test("under a post of self-harm, a call that did not go through is no 'glad you reached out', and a friend beside them no danger")
    func crisisFollowUps() async throws {
        let post = ["I can't do this anymore. I want to die."]
        for comment in ["@kiki i called the line but nobody answered", "@kiki should I have called them? i didn't", "@kiki i called my mom and she hung up on me"] {
            let text = try await published(comment, above: post, addressed: true) ?? ""
            #expect(text.contains("988") && !text.contains("glad you reached out") && !text.contains("looking out for them"), "\(comment) → \(text)")
        }
        let friend = try await published("@kiki my friend is right next to me now, thank you", above: post, addressed: true) ?? ""
        #expect(!friend.contains("distance"), "\(friend)")
    }

    // A second cold review, of the fixes to the first.

    @Test("a pet's poisoning told in other words, and a person's, are read; a cat that did not eat it, a wish to drink bleach over a meeting and a wine bottle are not", arguments: [
        ("My dog accidentally ate grapes", "vet"), ("My cat chewed a lily leaf", "vet"), ("Is chocolate bad for dogs?", "vet"),
        ("狗狗不小心吃了巧克力怎么办", "兽医"), ("My toddler drank some of the bleach", "poison control"), ("孩子喝了几口洗洁精", "120"),
        ("宝宝吞了一颗纽扣电池", "120"), ("I swallowed the whole bottle of sleeping pills", "emergency number now"),
        ("猫把巧克力盒子打翻了，好在没吃", ""), ("I'd rather drink bleach than sit through another meeting", ""),
        ("Took a whole bottle of wine to the party", ""), ("今天吃了一整瓶老干妈", ""), ("What's the point, the rain ruined everything at the picnic lol", ""),
        ("被男朋友打动了", ""), ("Our generator in the garage finally got serviced", ""), ("Spring cleaning: purging my closet today!", ""),
        ("My phone is dying, text me later", ""), ("So tempted to drink a third coffee today", ""), ("减肥第十天，看到蛋糕想破戒", ""),
    ])
    func secondReview(post: String, expected: String) async throws {
        let text = try await published(post) ?? ""
        if expected.isEmpty {
            for word in ["vet", "兽医", "poison control", "120", "988", "12356", "110", "carbon monoxide", "doctor", "hard", "不容易", "Health"] {
                #expect(!text.contains(word), "\(post) → \(text)")
            }
        } else {
            #expect(text.contains(expected), "\(post) → \(text)")
        }
    }

    @Test("someone asking how to help a person in crisis is answered as a helper")
    func helpers() async throws {
        for comment in ["@kiki is there a number I can give him?", "@kiki 我是他朋友，我能做点什么？"] {
            let text = try await published(comment, above: ["I can't do this anymore. I want to die."], addressed: true) ?? ""
            #expect(text.contains("looking out for them") || text.contains("关心对方"), "\(comment) → \(text)")
        }
    }

    @Test("good news and a pet question put by name are not a health claim it will not guess about")
    func notHealthClaims() async throws {
        let free = try await published("@kiki the doctor said mom is cancer free!!! 🎉", above: ["hospital update thread"], addressed: true) ?? ""
        #expect(!free.contains("won't guess"), "\(free)")
        let lemon = try await published("@kiki my aunt sent a screenshot saying lemon water cures cancer", above: ["hospital update thread"], addressed: true) ?? ""
        #expect(lemon.contains("won't guess"), "\(lemon)")
    }

    @Test("a rules group whose term names a group that names groups is an error, not a hang")
    func groupCycle() throws {
        let text = """
        groups:
          a: ["{b} x"]
          b: ["{a} y"]
        situations:
          grief: {terms: [died]}
        fit:
          disclosure: [ai]
        """
        guard case .failure(let errors) = SituationRules.parse(text, file: "rules.yaml") else {
            Issue.record("a cycle between groups was accepted")
            return
        }
        #expect("\(errors)".contains("name a group of plain terms"))
    }

    // A second live day.

    @Test("a second live day: a scam's prize, a father's blows, a son's shoelaces, a ping, a friend asking for a number")
    func secondLiveDay() async throws {
        let prize = try await published("got a DM saying i won an iPhone 15 from a survey, just pay $9.99 shipping. legit?? @Checker") ?? ""
        #expect(!Self.cheers.contains { prize.lowercased().contains($0) }, "\(prize)")
        let blows = try await published("我爸喝了酒又打我了，手臂都青了。我不敢跟任何人说。") ?? ""
        #expect(blows.contains("110") && !blows.contains("12356"), "\(blows)")
        let shoelaces = try await published("今天儿子第一次自己系鞋带！！当妈的激动得差点哭了😭") ?? ""
        #expect(!shoelaces.contains("小宝贝"), "\(shoelaces)")
        let ping = try await published("@kiki u there? 👀", above: ["gm everyone"], addressed: true) ?? ""
        #expect(!ping.contains("Anyone here know"), "\(ping)")
        let number = try await published("ana please talk to someone 💛 @kiki is there a number she can call?",
                                         above: ["idk why i even bother anymore. everything feels pointless lately"], addressed: true) ?? ""
        #expect(number.contains("988"), "\(number)")
        #expect(ForeignLanguage.of("hoy aprendí a decir '你好' y ya me siento bilingüe jaja 中文好难啊")?.code == "es")
        let card = try await published("谢谢！差点就点了，我妈上周就点过一个类似的，还填了银行卡号，怎么办？",
                                       above: ["收到一条短信：【顺丰】您的包裹因地址不详被扣留，请点击链接补交运费2元。这是真的吗？@factcheck"], addressed: true, by: "factcheck") ?? ""
        #expect(card.contains("银行"), "\(card)")
    }

    @Test("a network's name is not a dose")
    func networkNames() {
        #expect(FitCheck.dose(in: Array(FitCheck.withoutNetworkNames("5G does not spread viruses").lowercased().unicodeScalars)) == nil)
        #expect(FitCheck.dose(in: Array(FitCheck.withoutNetworkNames("take 5g of it").lowercased().unicodeScalars)) == "5g")
        #expect(FitCheck.dose(in: Array(FitCheck.withoutNetworkNames("吃了5G").lowercased().unicodeScalars)) == nil)
    }

    @Test("a goodbye at work is no farewell note; a farewell note at work still is", arguments: [
        ("Wrote a goodbye letter to my coworkers, last day tomorrow!", false), ("sent my goodbye email to the team, last day at the office", false),
        ("saying goodbye to everyone at work today, starting my new job monday", false),
        ("last day at work today. I won't be around after tonight, goodbye everyone", true),
        ("wrote goodbye letters to my coworkers and my family, I'm ready now", true),
        ("Said goodbye to my team tonight, for good.", true), ("Sent a goodbye email to everyone I know tonight. They'll understand soon.", true),
        ("Wrote a goodbye email to everyone tonight, I won't need my job where I'm going.", true),
        ("Goodbye, last shift ever, I won't be coming back to anything.", true), ("wrote a goodbye letter to my coworkers tonight, and one to my mom", true),
    ])
    func workGoodbye(post: String, crisis: Bool) {
        #expect((SituationReader(rules: catalog.situations).read(post).primary == .selfHarm) == crisis, "\(post)")
    }

    @Test("a child and a pet poisoned in one post: poison control first, and a vet for the pet; each clause has its own subject", arguments: [
        ("The dog ate grapes and my toddler drank some bleach", ["poison control", "vet", "grapes"], []),
        ("狗狗不小心吃了巧克力，孩子也喝了几口洗洁精", ["120", "兽医", "巧克力"], []),
        ("My toddler swallowed some of my pills and the dog ate chocolate", ["poison control", "vet", "chocolate"], []),
        ("My dog ate rat poison and my son drank antifreeze", ["poison control", "vet", "rat poison"], []),
        ("My son ate a few of my ibuprofen and the dog ate some too", ["poison control", "vet", "ibuprofen"], []),
        ("The cat ate a lily and my toddler drank bleach", ["poison control", "vet", "lilies"], []),
        ("My dog drank some bleach", ["vet", "bleach"], ["poison control"]),
        ("My baby ate a grape and the dog drank bleach", ["vet", "bleach"], ["grapes"]),
        ("宝宝吃了我的药片怎么办", ["120"], ["兽医"]),
        ("My kid licked the antifreeze the dog spilled", ["poison control"], ["vet"]), ("My son ate rat poison that was set out for the cat", ["poison control"], []),
        ("My dog ate, I think, half a bag of grapes", ["vet", "grapes"], []), ("Our dog stole the brownies and ate the chocolate wrapper too", ["vet", "chocolate"], []),
        ("My cat licked the antifreeze and my son drank some too", ["poison control", "vet"], []),
        ("my 4yo swallowed two little magnets, do i just wait for them to pass?", ["emergency number now"], []),
        ("@factcheck 狗吃葡萄到底要不要紧？", ["兽医", "葡萄"], []),
    ])
    func childAndPetPoisoned(post: String, expected: [String], absent: [String]) async throws {
        let text = try await published(post) ?? ""
        #expect(expected.allSatisfy { text.contains($0) } && !absent.contains { text.contains($0) }, "\(post) → \(text)")
    }

    @Test("greeted by name, a persona greets back; a greeting that asks something more is answered as that", arguments: [
        ("@robo hey how's it going", "robo", true), ("@robo 你好呀", "robo", true), ("@kiki how are you?", "kiki", true), ("@kiki 在吗", "kiki", true),
        ("@kiki hi, is 5G safe?", "kiki", false), ("@kiki hey, my dad died last night", "kiki", false), ("@kiki hi kiki 👋", "kiki", true),
        ("@kiki hi help", "kiki", false), ("@kiki hey can you help me", "kiki", false), ("@kiki hey sos", "kiki", false), ("@kiki hey 911", "kiki", false),
        ("@kiki hello, hilfe", "kiki", false), ("@kiki hey 😢", "kiki", false), ("@kiki hi!!! 😭😭😭", "kiki", false), ("@kiki yo dead", "kiki", false),
        ("@kiki hi, goodbye", "kiki", false), ("@kiki hello? anyone?", "kiki", false), ("@kiki hi, why?", "kiki", false), ("@kiki 你好，救命", "kiki", false),
        ("@robo hey, emergency", "robo", false), ("@robo 在吗，急", "robo", false),
    ])
    func greetedByName(comment: String, id: String, greeting: Bool) async throws {
        let persona = try #require(catalog.personas[id])
        let text = try await published(comment, addressed: true, by: id) ?? ""
        let greetBack = SituationPhrasebook(language: TextScript.language(of: comment), style: persona.voice.style).greetBack()
        #expect(greetBack.contains(text) == greeting, "\(id): \(comment) → \(text)")
    }

    @Test("a greeting with a word or two behind it that the persona cannot read is listened to, not greeted", arguments: ["@kiki hey sos", "@kiki hi help", "@kiki hello, hilfe"])
    func greetingWithMore(comment: String) async throws {
        #expect(try await published(comment, addressed: true) == "I'm here and listening. What's on your mind?", "\(comment)")
    }

    @Test("a pet that ate well beside an onion soup is no poisoning")
    func noBorrowedPoison() async throws {
        let text = try await published("Made onion soup tonight, the cat also ate well") ?? ""
        #expect(!text.contains("vet"), "\(text)")
    }

    @Test("signs of an emergency as they happen get the emergency number now, not \"if it feels urgent\"", arguments: [
        "chest pain and my left arm is numb for an hour now", "my son can't breathe and his lips are turning blue", "i think i'm having a heart attack",
        "my toddler is choking on a grape",
    ])
    func emergencySigns(post: String) async throws {
        let text = try await published(post) ?? ""
        #expect(text.contains("emergency number now") && !text.contains("If it feels urgent"), "\(post) → \(text)")
    }

    @Test("signs told across a thread are read together: pain going into the jaw under a post of chest pain")
    func emergencyAcrossThread() async throws {
        let post = "chest pain and my left arm is numb for an hour now"
        let text = try await published("the pain is going into my jaw now and i feel kinda sweaty", above: [post]) ?? ""
        #expect(text.contains("emergency number now"), "\(text)")
    }

    @Test("a sore arm from a shot, a toothache, last year's chest pain, a poster of stroke signs and a laugh are no emergency", arguments: [
        "got my flu shot into my left arm today, kinda sore but done!", "wisdom tooth pain spreading to my jaw, dentist on Monday",
        "my grandpa had chest pain last year and they put in a stent, he's doing great now",
        "Tips: signs of a stroke are face drooping and slurred speech. Share this!", "the stress of exams gives me chest pain haha",
    ])
    func notAnEmergencyNow(post: String) async throws {
        let text = try await published(post) ?? ""
        #expect(!text.contains("emergency number now"), "\(post) → \(text)")
    }

    @Test("a parent's or partner's violence is read; a game, a joke, a push to study or a party is not", arguments: [
        ("my stepmom slapped me today", true), ("my mom's boyfriend hit me", true), ("my partner smashed my phone and said he'd kill me if I leave", true),
        ("my dad hit me with a dad joke so bad I groaned", false), ("my dad kicked me in fifa again, 5-0", false),
        ("my husband pushed me into signing up for a marathon, wish me luck", false), ("my dad pushed me into studying engineering and I'm grateful now", false),
        ("my fiancé threatened me with a surprise party", false), ("my wife beat me at chess again lol", false),
    ])
    func abuseOrNot(post: String, abuse: Bool) {
        #expect(SituationReader(rules: catalog.situations).read(post).hurtAtHome == abuse, "\(post)")
    }

    @Test("a person eating chocolate beside a pet is no pet poisoning", arguments: [
        "I gave my dog a bath, then ate some chocolate", "my dog ate his kibble, and I ate chocolate", "my cat ate, and then I had some chocolate",
    ])
    func personAteBesidePet(post: String) {
        #expect(SituationReader(rules: catalog.situations).read(post).petPoison == nil, "\(post)")
    }

    @Test("a crisis told to a persona by its bare name is answered by the others too")
    func crisisToBareName() throws {
        let gate = TurnGate(persona: try #require(catalog.personas["kiki"]), catalog: catalog)
        var random = SeededRandom(seed: 1)
        let post = "Factcheck: I want to die"
        let item = TurnGate.Item(text: post, above: [], isPost: true, repliesToPersona: false, chainIsBot: [false], replyDepth: 0,
                                 reading: SituationReader(rules: catalog.situations).read(post))
        guard case .match = gate.trigger(item, random: &random) else {
            Issue.record("kiki left a crisis told to Checker by name unanswered")
            return
        }
    }

    @Test("a partner's violence in everyday words is read, and asked where to go under it, the persona says where help is")
    func abuseInEverydayWords() async throws {
        let post = "my husband pushed me into the wall again last night. the kids saw. i don't know where to go"
        #expect(try await published(post)?.contains("isn't your fault") == true)
        let asked = try await published("@kiki please i need help, where can i go tonight with 2 kids", above: [post], addressed: true) ?? ""
        #expect(asked.contains("helpline") && !asked.contains("Anyone here know"), "\(asked)")
    }

    @Test("a myth asked about by name is answered with the fact, whatever else the post says")
    func mythBesideGoodNews() async throws {
        let text = try await published("@factcheck do vaccines cause autism? my sister in law refuses to vaccinate her twins because of it", addressed: true, by: "factcheck") ?? ""
        #expect(!text.contains("Congratulations") && text.lowercased().contains("vaccine"), "\(text)")
    }

    @Test("a newcomer greeting by name is welcomed; a last shift at work is no farewell note")
    func newcomerAndLastShift() async throws {
        #expect(try await published("@kiki hello, new here 👋", addressed: true)?.contains("welcome") == true)
        #expect(SituationReader(rules: catalog.situations).read("Said goodbye to my team at the goodbye party, last shift done. Moving to Denver!").primary != .selfHarm)
    }

    @Test("a post that opens with another persona's name, @ or not, is theirs to answer, the question whether it is a bot too", arguments: [
        "robo are you actually a human pretending to be a robot? be honest", "Robo, bist du echt oder ein Programm?", "@robo are you a bot?",
    ])
    func openedByAnotherName(post: String) throws {
        func triggers(_ id: String) throws -> Bool {
            let gate = TurnGate(persona: try #require(catalog.personas[id]), catalog: catalog)
            var random = SeededRandom(seed: 1)
            let item = TurnGate.Item(text: post, above: [], isPost: true, repliesToPersona: false, chainIsBot: [false], replyDepth: 0,
                                     reading: SituationReader(rules: catalog.situations).read(post))
            if case .match = gate.trigger(item, random: &random) { return true }
            return false
        }
        #expect(try !triggers("kiki"), "\(post)")
        #expect(try triggers("robo"), "\(post)")
    }

    @Test("asked by name under a scam what to do now, the fact-checker answers with the post's fact")
    func scamFollowUp() async throws {
        let post = "我妈接到电话说涉嫌洗钱，已经把两万块转到安全账户了"
        let text = try await published("@factcheck 钱已经转过去了怎么办", above: [post], addressed: true, by: "factcheck") ?? ""
        #expect(text.contains("110"), "\(text)")
    }

    @Test("a scam told by its victim, with one of the fact-checker's keywords, gets the fact-checker's warning", arguments: [
        ("the bank called and said move my savings to a safe account, I did it this morning", "bank"), ("我把钱转到安全账户了", "110"),
    ])
    func scamVictim(post: String, expected: String) async throws {
        let text = try await published(post, by: "factcheck") ?? ""
        #expect(text.contains(expected), "\(post) → \(text)")
    }
}
