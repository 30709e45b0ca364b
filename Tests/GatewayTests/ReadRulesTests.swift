import Testing
@testable import Gateway
@testable import GatewayProtocol

/// `ReadRules` and the retention cutoffs alone: no database, no server.
@Suite("Read rules")
struct ReadRulesTests {
    @Test("a subscription recovers only in its epoch, up to the stream's offset, while every missed event is kept")
    func recovery() {
        func start(_ since: (Int64, String)?, oldestKept: Int64? = 1) -> (Bool, Int64?) {
            let start = ReadRules.start(since: since, epoch: "e_1", latest: 5, oldestKept: oldestKept)
            #expect(start.position == StreamPosition(offset: 5, epoch: "e_1"))
            return (start.recovered, start.replayAfter)
        }
        #expect(start(nil) == (false, nil))
        #expect(start((3, "e_0")) == (false, nil), "another epoch")
        #expect(start((6, "e_1")) == (false, nil), "an offset the stream never reached")
        #expect(start((5, "e_1"), oldestKept: nil) == (true, nil), "nothing missed")
        #expect(start((3, "e_1")) == (true, 3))
        #expect(start((3, "e_1"), oldestKept: 4) == (true, 3))
        #expect(start((3, "e_1"), oldestKept: 5) == (false, nil), "event 4 was pruned")
        #expect(start((3, "e_1"), oldestKept: nil) == (false, nil), "nothing is kept")
    }

    @Test("a bot reads the comment it answers, its parents, then the post")
    func context() {
        let poster = User(id: "u_p", name: "P", role: .user)
        let post = Post(id: "p_1", author: poster, body: "post", createdAt: Timestamp(milliseconds: 0))
        let parent = Comment(id: "c_1", postID: "p_1", parentID: nil, author: User(id: "u_a", name: "A", role: .user), body: "parent",
                             createdAt: Timestamp(milliseconds: 1), depth: 0)
        let answered = Comment(id: "c_2", postID: "p_1", parentID: "c_1", author: User(id: "u_b", name: "B", role: .user), body: "child",
                               createdAt: Timestamp(milliseconds: 2), depth: 1)
        let context = ReadRules.context(post: post, chain: [answered, parent])
        #expect(context.comment?.id == "c_2")
        #expect(context.chain.map(\.body) == ["child", "parent", "post"])
        #expect(context.chainAuthors == ["u_b", "u_a", "u_p"])
        #expect(ReadRules.context(post: post, chain: []).chain.map(\.body) == ["post"])
    }

    @Test("pruning lets go of what is older than each retention age")
    func cutoffs() {
        var configuration = StoreConfiguration()
        configuration.retainedEventAge = .seconds(60)
        configuration.idempotencyAge = .seconds(120)
        configuration.decisionAge = .seconds(180)
        let cutoffs = configuration.cutoffs(at: Timestamp(milliseconds: 1_000_000))
        #expect(cutoffs.events == 940_000 && cutoffs.clientIDs == 880_000 && cutoffs.decisions == 820_000)
    }
}
