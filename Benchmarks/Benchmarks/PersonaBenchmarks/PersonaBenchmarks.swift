// Costs of the persona decisions on the hot path of a bot's turn: a tone check, a limiter
// decision, an incremental release, an offline reply, reading the room. Each benchmark runs its
// operation a thousand times per iteration: the figures are per thousand.
import Benchmark
import Foundation
import Persona

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .instructions, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 10_000)

    var persona = Persona(id: "kiki", name: "Kiki")
    persona.tone.maxChars = 280
    persona.tone.maxEmoji = 3
    persona.tone.bannedPhrases = ["as an AI language model", "作为一个AI语言模型", "trust me", "lol"]
    persona.tone.avoidTopics = ["politics"]
    let politics = Lexicon.parse(name: "politics", text: "election\nballot\nparliament\nreferendum\npolitical party\n选举\n政党\n议会\n公投\n竞选")
    let lexicons = ["politics": politics]
    let english = "Congrats on shipping your first app! The first one is always the hardest, and you did it. What's it called? 🎉"
    let chinese = "恭喜！投出去的那一刻最轻松，接下来好好睡一觉吧。论文的事情先放一放，周末出去走走 🎉"
    let englishChecker = ToneChecker(persona: persona, lexicons: lexicons, answering: "Finally shipped my first app!")
    let chineseChecker = ToneChecker(persona: persona, lexicons: lexicons, answering: "今天终于把论文投出去了")

    measure("tone check, English reply (111 chars)") { _ in englishChecker.violations(in: english).count }
    measure("tone check, Chinese reply (44 chars)") { _ in chineseChecker.violations(in: chinese).count }
    measure("avoided-topic check on a post") { _ in englishChecker.avoidedTopic(in: "Finally shipped my first app!") == nil ? 1 : 0 }

    var limiter = ReplyLimiter()
    persona.limits.replies = Rate.parse("100000/s")!
    persona.limits.perUser = Rate.parse("100000/s")!
    persona.limits.perThread = .init(replies: 1_000_000, cooldown: .zero)
    let threads = (0..<1000).map { "thread-\($0)" }
    let users = (0..<1000).map { "user-\($0)" }
    measure("limiter decision (check + record), 1k keys") { index in
        limiter.take(persona: persona, thread: threads[index % 1000], user: users[index % 997], now: Int64(index) * 1000) == .allow ? 1 : 0
    }
    var gcra = GCRA(rate: Rate.parse("30/min burst 5")!)
    measure("GCRA take") { index in gcra.take(now: Int64(index) * 2_000_000_000) == .allow ? 1 : 0 }
    measure("incremental release of a streamed reply") { _ in
        var checker = IncrementalChecker(checker: englishChecker)
        var released = 0
        for piece in ["Congrats on ", "shipping your ", "first app! ", "The first one ", "is always the ", "hardest. 🎉"] {
            if case .release(let text) = checker.feed(piece) { released += text.count }
        }
        if case .release(let text) = checker.finish() { released += text.count }
        return released
    }
    let responder = OfflineResponder()
    measure("offline reply, English") { index in
        responder.compose(ReplyRequest(persona: persona, post: "Baked my first sourdough loaf today", language: .english, seed: UInt64(index))).count
    }
    measure("offline reply, Chinese") { index in
        responder.compose(ReplyRequest(persona: persona, post: "今天终于把论文投出去了，好轻松", language: .chinese, seed: UInt64(index))).count
    }

    // Reading the room with the shipped rules: every item a bot might answer is read once,
    // every reply is fit-checked.
    let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../personas").standardized.path
    let catalog = PersonaCatalog.load(directory: shipped)
    if catalog.situations.isEmpty {
        print("(situation costs skipped: no situation rules in \(shipped))")
    } else {
        let reader = SituationReader(rules: catalog.situations)
        let grief = "My grandpa passed away this morning. He taught me to fish and I keep thinking about that lake."
        let chineseGrief = "今天外婆走了，走得很安详。小时候每个暑假都是她带我，现在家里好安静。"
        let everyday = "Finally tried the new ramen place downtown, the broth was amazing and the line was worth it"
        measure("situation reading, English grief post (96 chars)") { _ in reader.read(grief).situations.count }
        measure("situation reading, Chinese grief post (35 chars)") { _ in reader.read(chineseGrief).situations.count }
        measure("situation reading, English everyday post (92 chars)") { _ in reader.read(everyday).situations.count }
        let fit = FitCheck(reading: reader.read(grief), rules: catalog.situations, personaName: "Kiki")
        measure("fit check of a reply on a grief post") { _ in
            fit.violations(in: "I'm so sorry about your grandpa. Thinking of you today.", complete: true).count
        }
        let kiki = catalog.personas["kiki"] ?? persona
        measure("turn plan (read, policy, checks) for kiki") { _ in
            if case .reply = TurnPlanner(persona: kiki, catalog: catalog).decide(target: grief, post: grief) { return 1 }
            return 0
        }
    }
}

/// One benchmark of `body`, run a thousand times per iteration (`body` gets the running index).
func measure(_ name: String, _ body: @escaping (Int) -> Int) {
    Benchmark(name) { benchmark in
        for index in benchmark.scaledIterations { blackHole(body(index)) }
    }
}
