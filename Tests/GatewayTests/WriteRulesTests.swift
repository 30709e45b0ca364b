import Testing
@testable import Gateway
@testable import GatewayProtocol

/// `WriteRules` alone, with facts as a store would answer them: no database, no server.
@Suite("Write rules")
struct WriteRulesTests {
    let alice = User(id: "u_alice", name: "Alice", role: .user)
    let bob = User(id: "u_bob", name: "Bob", role: .user)
    let moderator = User(id: "u_mod", name: "Mod", role: .moderator)
    let now = Timestamp(milliseconds: 1_700_000_000_000)
    let ids = IDGenerator(now: { Timestamp(milliseconds: 1_700_000_000_000) })

    func plan(_ command: WriteCommand, by author: User, _ facts: WriteFacts) throws -> WritePlan {
        guard case .apply(let plan) = try WriteRules.decide(command, by: author, facts: facts, now: now, ids: ids) else {
            Issue.record("expected a plan")
            throw GatewayError(.internal, "no plan")
        }
        return plan
    }

    func refusal(_ command: WriteCommand, by author: User, _ facts: WriteFacts) -> ErrorCode? {
        do {
            _ = try WriteRules.decide(command, by: author, facts: facts, now: now, ids: ids)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("a client_id used before replays its ack for the same write and is a conflict for another")
    func clientIDs() throws {
        let command = WriteCommand.post(body: "hi", clientID: "k1", botsEnabled: true, generated: nil)
        var facts = WriteFacts(record: .init(fingerprint: command.fingerprint, result: #"{"post":{},"offset":3}"#), authorKnown: true)
        guard case .replay(let receipt) = try WriteRules.decide(command, by: alice, facts: facts, now: now, ids: ids) else {
            Issue.record("a repeat must replay")
            return
        }
        #expect(receipt.replayed && receipt.resultJSON == #"{"post":{},"offset":3}"#)
        facts.record = .init(fingerprint: "other", result: "{}")
        #expect(refusal(command, by: alice, facts) == .conflict)
        // A new client_id is recorded with the ack; the new item's ack ends with its event's offset.
        let planned = try plan(command, by: alice, WriteFacts(authorKnown: true))
        #expect(planned.record?.clientID == "k1" && planned.record?.fingerprint == command.fingerprint)
        #expect(planned.result(offsets: [42]).hasSuffix(#","offset":42}"#))
    }

    @Test("the author's row is saved when the store does not have it as it is, before anything else")
    func authorRow() throws {
        let command = WriteCommand.post(body: "hi", clientID: "k", botsEnabled: true, generated: nil)
        #expect(try plan(command, by: alice, WriteFacts(authorKnown: false)).changes.first == .saveUser(alice))
        #expect(try !plan(command, by: alice, WriteFacts(authorKnown: true)).changes.contains(.saveUser(alice)))
    }

    @Test("mentions: in the order names appear, a shared name in user id order, spaced bot names last, the author too, at most 20")
    func mentionOrder() throws {
        let body = "@zed and @Helper, also @u_alice and @Night Owl and @zed again"
        let questions = WriteRules.questions(for: .post(body: body, clientID: "k", botsEnabled: true, generated: nil), by: alice)
        #expect(questions.mentionCandidates == ["zed", "Helper", "u_alice", "Night"])
        #expect(questions.botsNamedWithSpaces)
        var facts = WriteFacts(authorKnown: true)
        facts.usersNamed = [["u_zed"], ["b_helper2", "b_helper1"], ["u_alice"], []]
        facts.botsNamedWithSpaces = [(id: "b_owl", name: "Night Owl"), (id: "b_lark", name: "Morning Lark")]
        let events = try plan(.post(body: body, clientID: "k", botsEnabled: true, generated: nil), by: alice, facts).events
        #expect(events.map(\.stream) == ["feed", "user:u_zed", "user:b_helper1", "user:b_helper2", "user:u_alice", "user:b_owl"])
        #expect(events.dropFirst().allSatisfy { $0.type == .mention })
        facts.usersNamed = [(1...21).map { "u_\($0)" }, [], [], []]
        #expect(refusal(.post(body: body, clientID: "k", botsEnabled: true, generated: nil), by: alice, facts) == .badRequest)
    }

    @Test("a comment needs its live post and parent; it replies to the parent's author, then mentions, and counts once")
    func comments() throws {
        let reply = WriteCommand.comment(postID: "p_1", parentID: "c_1", body: "yes @u_bob", clientID: "k", generated: nil)
        #expect(refusal(reply, by: alice, WriteFacts(authorKnown: true)) == .notFound)
        var facts = WriteFacts(authorKnown: true, livePostAuthor: "u_carol")
        #expect(refusal(reply, by: alice, facts) == .notFound, "the parent is missing")
        facts.parent = (authorID: "u_bob", depth: 2)
        facts.usersNamed = [["u_bob"]]
        let planned = try plan(reply, by: alice, facts)
        #expect(planned.comment?.depth == 3)
        #expect(planned.events.map(\.type) == [.commentCreated, .reply, .mention])
        #expect(planned.events.map(\.stream) == ["thread:p_1", "user:u_bob", "user:u_bob"])
        #expect(planned.changes.contains(.countComments(postID: "p_1", by: 1)))
        // No reply event to oneself.
        facts.parent = (authorID: "u_alice", depth: 0)
        facts.usersNamed = [[]]
        #expect(try plan(reply, by: alice, facts).events.map(\.type) == [.commentCreated])
    }

    @Test("reactions count from the store's count; nothing changes, no event, when the reaction is already as asked")
    func reactions() throws {
        let on = WriteCommand.react(target: "c_1", emoji: "👍", on: true, clientID: nil)
        var facts = WriteFacts(authorKnown: true, target: .init(postID: "p_1", ownerID: "u_bob"))
        facts.reaction = (mine: false, count: 2)
        var planned = try plan(on, by: alice, facts)
        #expect(planned.result(offsets: [9]) == #"{"count":3}"#)
        #expect(planned.events.map(\.stream) == ["thread:p_1"])
        facts.reaction = (mine: true, count: 3)
        planned = try plan(on, by: alice, facts)
        #expect(planned.result(offsets: []) == #"{"count":3}"# && planned.events.isEmpty && planned.changes.isEmpty)
        #expect(refusal(.react(target: "x_1", emoji: "👍", on: true, clientID: nil), by: alice, WriteFacts()) == .badRequest)
        #expect(refusal(on, by: alice, WriteFacts()) == .notFound)
    }

    @Test("deletes: the author or a moderator; a post leaves the feed and its thread, a comment uncounts")
    func deletes() throws {
        let deletePost = WriteCommand.delete(target: "p_1", clientID: nil)
        let facts = WriteFacts(authorKnown: true, target: .init(postID: "p_1", ownerID: "u_bob"))
        #expect(refusal(deletePost, by: alice, facts) == .forbidden)
        let planned = try plan(deletePost, by: moderator, facts)
        #expect(planned.erasure?.target == "p_1" && planned.erasure?.kind == .post)
        #expect(planned.events.map(\.stream) == ["feed", "thread:p_1"])
        let comment = try plan(.delete(target: "c_1", clientID: nil), by: bob, facts)
        #expect(comment.changes == [.countComments(postID: "p_1", by: -1)])
        #expect(comment.events.map(\.type) == [.commentDeleted])
    }

    @Test("mutes need a real bot, and a thread scope a live post")
    func mutes() throws {
        let mute = WriteCommand.mute(bot: "b_x", scope: .thread(postID: "p_1"), on: true, clientID: nil)
        #expect(refusal(mute, by: alice, WriteFacts()) == .notFound)
        #expect(refusal(mute, by: alice, WriteFacts(botExists: true)) == .notFound)
        #expect(try plan(mute, by: alice, WriteFacts(authorKnown: true, livePostAuthor: "u_bob", botExists: true)).changes
            == [.setMute(bot: "b_x", scope: .thread(postID: "p_1"), on: true)])
    }
}
