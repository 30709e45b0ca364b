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

    func reply(_ post: String, seed: UInt64 = 7, style: Voice.Style = .playful) -> String {
        let language = TextScript.language(of: post)
        return OfflineResponder().compose(ReplyRequest(persona: persona(style: style), post: post, language: language, seed: seed))
    }

    @Test("the same post and seed give the same reply; another seed may differ")
    func determinism() {
        let post = "Baked my first sourdough loaf today"
        #expect(reply(post) == reply(post))
        let variety = Set((1...12).map { reply(post, seed: UInt64($0)) })
        #expect(variety.count > 1)
    }

    @Test("English replies pick up the post's content words or the matching knowledge", arguments: [
        "Baked my first sourdough loaf today",
        "Anyone going to the community garden this weekend?",
        "My cat knocked the plant off the shelf again",
        "Learning Rust has been humbling",
    ])
    func englishRelevance(post: String) {
        let text = reply(post)
        let postWords = Set(TextScript.contentWords(post))
        let replyWords = Set(TextScript.contentWords(text))
        #expect(!postWords.isDisjoint(with: replyWords), "\(text)")
        #expect(TextScript.language(of: text) == .english)
    }

    @Test("Chinese replies quote the post or use the matching knowledge, in Chinese", arguments: [
        "周末去社区花园种菜", "今天终于把论文投出去了", "天气越来越冷了，大家注意保暖",
    ])
    func chineseRelevance(post: String) {
        let text = reply(post)
        #expect(TextScript.language(of: text) == .chinese, "\(text)")
        let shared = Set(TextScript.cjkBigrams(post)).intersection(TextScript.cjkBigrams(text))
        #expect(!shared.isEmpty, "\(text)")
    }

    @Test("a post like one of its examples gets that example's reply, in its own voice")
    func examples() {
        #expect(reply("Finally shipped my first app!") == "Congrats on shipping! What's it called?")
    }

    @Test("styles sound different")
    func styles() {
        let post = "Baked my first sourdough loaf today"
        let replies = Set(Voice.Style.allCases.map { reply(post, style: $0) })
        #expect(replies.count == Voice.Style.allCases.count)
    }

    @Test("replies stream in pieces that add up to the reply")
    func streaming() async throws {
        let request = ReplyRequest(persona: persona(), post: "今天终于把论文投出去了", language: .chinese, seed: 3)
        var pieces: [String] = []
        for try await piece in OfflineResponder().reply(to: request) { pieces.append(piece) }
        #expect(pieces.count > 2)
        #expect(pieces.joined() == OfflineResponder().compose(request))
    }
}
