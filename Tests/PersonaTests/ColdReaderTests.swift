import Testing
@testable import Persona

/// Posts a reader who had never seen the rules wrote, and the replies that hurt or misread them
/// on the offline engine; each is held here to what a person would want instead.
@Suite("Posts a cold reader wrote")
struct ColdReaderTests {
    let catalog = SituationTests.catalog

    func persona(_ style: Voice.Style = .playful) -> Persona {
        var persona = Persona(id: "kiki", name: "Kiki")
        persona.voice.style = style
        persona.voice.knowledge = ["Goldfish can remember things for months; the three-second memory is a myth.",
                                   "The Moon landing was not faked; twelve Apollo astronauts walked on the Moon between 1969 and 1972."]
        return persona
    }

    /// What the persona says to `target` (a post, or a comment under `above`), nil when silent.
    func reply(_ target: String, above: [String] = [], addressed: Bool = false, style: Voice.Style = .playful, seed: UInt64 = 3) -> String? {
        let planner = TurnPlanner(persona: persona(style), catalog: catalog)
        guard case .reply(let plan) = planner.decide(target: target, above: above, addressed: addressed) else { return nil }
        var request = plan.request(post: above.last ?? target, parent: above.isEmpty ? nil : target, seed: seed)
        request.support = "Call 988."
        let text = OfflineResponder().compose(request)
        return text.isEmpty ? nil : text
    }

    static let condolence = ["sorry for your loss", "condolence", "节哀", "离世", "rest in peace"]

    @Test("figures of speech and the living get no condolence", arguments: [
        "rip my phone screen, dropped it in the toilet", "RIP to my diet, someone brought donuts", "how do you keep basil alive, mine dies every time",
        "今天加班到十点，我已经死了，有事烧纸", "hospice came today. we're keeping him comfortable now", "照顾瘫痪的爸爸三年了，真的好累，有时候想一走了之",
    ])
    func noCondolence(post: String) {
        for style in [Voice.Style.playful, .formal] {
            let text = (reply(post, style: style) ?? "").lowercased()
            #expect(!Self.condolence.contains { text.contains($0) }, "\(post) → \(text)")
        }
    }

    @Test("a wish for harm and a put-down of a group are hostility, whatever good-news words they hold")
    func hostility() {
        let reader = SituationReader(rules: catalog.situations)
        for post in ["i hope my ex's new house burns down honestly", "women shouldn't be allowed to drive lol"] {
            #expect(reader.read(post).primary == .conflict, "\(post)")
            #expect(reply(post) == nil, "\(post)")
        }
    }

    @Test("quiet hints of not wanting to be here get the support text", arguments: ["what's the point of anything anymore", "我是不是消失了大家会更轻松"])
    func quietHints(post: String) {
        #expect(SituationReader(rules: catalog.situations).read(post).primary == .selfHarm)
        #expect(reply(post)?.hasSuffix("Call 988.") == true)
    }

    @Test("good news with someone missing from it gets no cheer; good news is named by whole words")
    func goodNews() {
        #expect(reply("got my citizenship today after 9 years. my dad didn't live to see it") == nil)
        #expect(reply("my son graduated today. his father would have been so proud.") == nil)
        let win = reply("we won regionals!!! bus ride home is pure chaos rn 🏆") ?? ""
        #expect(win.contains("win") && !win.contains("home"), "\(win)")
        let card = reply("got my green card after 9 years!! I can finally fly home to see my mom") ?? ""
        #expect(card.contains("green card"), "\(card)")
        for post in ["surprise! twins 😳😳", "my grandma turned 100 today!! she still beats everyone at cards", "it's my last chemo session today 🔔"] {
            let text = (reply(post) ?? "").lowercased()
            #expect(!text.isEmpty && !text.contains("sorry") && !text.contains("thanks for sharing"), "\(post) → \(text)")
        }
    }

    @Test("tears and fear beside tender news are not bad news", arguments: [
        "our son came out to us tonight. we told him we love him. he cried, we cried",
        "three miscarriages and today we heard a heartbeat. terrified to hope",
        "my therapist said i'm making progress. feels weird to hear",
    ])
    func tenderNews(post: String) {
        let text = (reply(post) ?? "").lowercased()
        #expect(!text.contains("sorry") && !text.contains("hard"), "\(post) → \(text)")
    }

    @Test("a loss remembered on its day is not answered as news")
    func anniversary() {
        let chinese = reply("今天是奶奶去世三周年，好想她", style: .formal) ?? ""
        #expect(!chinese.contains("惊闻") && !chinese.contains("离世") && chinese.contains("奶奶"), "\(chinese)")
        let english = reply("miss you dad. would've been your 60th today") ?? ""
        #expect(!english.isEmpty && !english.contains("sorry for your loss"), "\(english)")
    }

    @Test("a medicine named in passing is no medical question; a worried question meets the worry before the pointer")
    func medicine() {
        #expect(!SituationReader(rules: catalog.situations).read("just got out of surgery, everything went fine, very high on painkillers rn lmao").medicalQuestion)
        let worried = reply("is my mom going to be ok? the surgery is tomorrow", addressed: true) ?? ""
        #expect(!worried.hasPrefix("I can't give") && worried.contains("doctor"), "\(worried)")
        let urgent = reply("chest pain since last night, how much ibuprofen should I take?") ?? ""
        #expect(urgent.hasPrefix("If it feels urgent"), "\(urgent)")
    }

    @Test("a pet's medicine is a question for a vet")
    func vet() {
        let text = reply("can i give my dog tylenol? he's limping", addressed: true) ?? ""
        #expect(text.contains("vet") && !text.contains("Thinking of you"), "\(text)")
    }

    @Test("money trouble is not read as loneliness for a stray 'alone'")
    func distressTopic() {
        let text = reply("car broke down on the highway and the tow alone is $400 i don't have") ?? ""
        #expect(!text.lowercased().contains("lonely"), "\(text)")
    }

    @Test("a fact is pasted only when the post is about its subject")
    func noStrayFact() {
        #expect(!(reply("i'm dead 😂😂 my dog just walked into the glass door", addressed: true) ?? "").contains("Apollo"))
        #expect(!(reply("my grandmother doesn't remember my name anymore but she still hums our song", addressed: true) ?? "").contains("Goldfish"))
        #expect((reply("is it true that goldfish only remember three seconds?", addressed: true) ?? "").contains("Goldfish"))
    }

    @Test("spoken to under a loss: a joke or a hurtful comment gets silence, thanks a quiet word, a question a plain answer")
    func careThread() {
        let loss = ["my mom passed away last night. she was 71."]
        #expect(reply("lol i remember your mom's lasagna, legendary 😂", above: loss, addressed: true) == nil)
        #expect(reply("at least it was early, you can try again", above: ["we lost the baby at 10 weeks."], addressed: true) == nil)
        let thanks = reply("thank you kiki ❤️", above: loss, addressed: true) ?? ""
        #expect(thanks.contains("Take care") && !thanks.contains("❤") && !thanks.contains("!"), "\(thanks)")
        let unknown = reply("was it expensive? we might have to do the same", above: ["had to put my dog Biscuit down today"], addressed: true) ?? ""
        #expect(unknown == "I'm sorry, I don't know.", "\(unknown)")
        let disclosure = reply("are you a bot?", above: loss) ?? ""
        #expect(disclosure == "I'm Kiki, an AI assistant, not a person.", "\(disclosure)")
    }

    @Test("thanks open a comment; thanks inside it are for someone else")
    func thanks() {
        #expect(SituationPhrasebook.opensWithThanks("thanks for checking that!"))
        #expect(SituationPhrasebook.opensWithThanks("谢谢大家，爸爸走得很安详"))
        #expect(!SituationPhrasebook.opensWithThanks("the dentist said i have impressive plaque. thanks i guess"))
        #expect(!SituationPhrasebook.opensWithThanks("终于怀上了，备孕两年，谢谢老天"))
    }

    @Test("a new post that opens by speaking to someone else is left to them")
    func addressedToOther() {
        var persona = persona()
        persona.triggers.newPost = .init(chance: 1, delay: DelayRange(.seconds(1), .seconds(1)))
        let gate = TurnGate(persona: persona, catalog: catalog)
        var random = SeededRandom(seed: 1)
        let text = "@factcheck is the earth flat?"
        let item = TurnGate.Item(text: text, above: [], isPost: true, repliesToPersona: false, chainIsBot: [false], replyDepth: 0,
                                 reading: SituationReader(rules: catalog.situations).read(text))
        guard case .none(let refusal) = gate.trigger(item, random: &random) else {
            Issue.record("a post for @factcheck set off a persona that comments on every post")
            return
        }
        #expect(refusal?.rule == .addressedToOther && refusal?.rule.name == "triggers.new_post.addressed_to_other")
        let own = TurnGate.Item(text: "@kiki hello!", above: [], isPost: true, repliesToPersona: false, chainIsBot: [false], replyDepth: 0,
                                reading: SituationReader(rules: catalog.situations).read("@kiki hello!"))
        guard case .match(let match) = gate.trigger(own, random: &random) else {
            Issue.record("a post for @kiki did not set off Kiki")
            return
        }
        #expect(match.trigger == .mention)
    }
}
