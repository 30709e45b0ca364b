import NIOCore
import Persona
import Testing
@testable import Gateway
@testable import GatewayProtocol

/// The session's lifecycle as a value: phases, what each message leads to, the deadlines; no
/// socket, no clock but the instants given.
@Suite("Session lifecycle rules")
struct SessionLifecycleRulesTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let alice = User(id: "u_alice", name: "Alice", role: .user)

    func lifecycle(anonymous: Bool = false) -> SessionLifecycle {
        SessionLifecycle(limits: .init(identifyTimeout: .seconds(10), heartbeat: .seconds(30), heldWhileIdentifying: 2, allowAnonymous: anonymous,
                                       inboundRate: Rate(count: 2, period: .seconds(1), burst: 2), floodThreshold: 3, floodWindow: .seconds(10)),
                         connectedAt: start)
    }

    @Test("identify first; messages behind it wait and come back in order once ready; a second identify closes")
    func identify() {
        var session = lifecycle()
        #expect(session.received(.ping(id: nil, t: nil)) == .pong(id: nil, t: nil), "a ping is answered in every phase")
        #expect(session.received(.identify(token: "t")) == .verify(token: "t"))
        #expect(session.phase == .identifying)
        let subscribe = ClientMessage.subscribe(id: .number("1"), stream: "feed", since: nil)
        #expect(session.received(subscribe) == .nothing)
        #expect(session.received(.identify(token: "again")) == .close(.alreadyIdentified))
        #expect(session.becomeReady(user: alice, tokenExpiry: nil) == [subscribe])
        #expect(session.phase == .ready(user: alice, readOnly: false))
        #expect(session.received(subscribe) == .handle(subscribe, user: alice, readOnly: false))
        #expect(session.becomeReady(user: alice, tokenExpiry: nil) == nil, "a late answer changes nothing")
    }

    @Test("before ready: other ops close 4001, too many waiting close 4008, anonymous only where allowed")
    func beforeReady() {
        var session = lifecycle()
        #expect(session.received(.subscribe(id: nil, stream: "feed", since: nil)) == .close(.onlyIdentifyBeforeReady))
        #expect(session.received(.identify(token: nil)) == .close(.anonymousRefused))
        var anonymous = lifecycle(anonymous: true)
        #expect(anonymous.received(.identify(token: nil)) == .readyAnonymous)
        #expect(anonymous.becomeReady(user: nil, tokenExpiry: nil) == [])
        #expect(anonymous.phase == .ready(user: nil, readOnly: true))
        var busy = lifecycle()
        _ = busy.received(.identify(token: "t"))
        let typing = ClientMessage.typing(id: nil, stream: "thread:p_1")
        #expect(busy.received(typing) == .nothing && busy.received(typing) == .nothing)
        #expect(busy.received(typing) == .close(.floodBeforeReady))
        // A request with a bad field: a reply once ready, a close before.
        let error = GatewayError.badRequest("stream must be a string")
        #expect(busy.refused(op: "identify", id: nil, error) == .close(.authenticationFailed("stream must be a string")))
        #expect(busy.refused(op: "sub", id: nil, error) == .close(.identifyFirst))
        #expect(busy.refused(op: "ping", id: nil, error) == .nothing)
        #expect(anonymous.refused(op: "sub", id: .number("3"), error) == .reply(id: .number("3"), error))
    }

    @Test("deadlines: identify within its timeout, a frame within two heartbeats, the token's expiry; none once closing")
    func deadlines() {
        var session = lifecycle()
        #expect(session.nextDeadline() == start + .seconds(10))
        #expect(session.expired(at: start + .seconds(9)) == nil)
        #expect(session.expired(at: start + .seconds(10)) == .identifyTimeout(milliseconds: 10_000))
        _ = session.received(.identify(token: "t"))
        _ = session.becomeReady(user: alice, tokenExpiry: start + .seconds(45))
        session.frameArrived(at: start + .seconds(20))
        #expect(session.nextDeadline() == start + .seconds(45))
        #expect(session.expired(at: start + .seconds(44)) == nil)
        #expect(session.expired(at: start + .seconds(45)) == .tokenExpired)
        var silent = lifecycle()
        _ = silent.received(.identify(token: "t"))
        _ = silent.becomeReady(user: alice, tokenExpiry: nil)
        #expect(silent.nextDeadline() == start + .seconds(60))
        #expect(silent.expired(at: start + .seconds(60)) == .heartbeatTimeout(milliseconds: 60_000))
        #expect(silent.beginClosing() && !silent.beginClosing())
        #expect(silent.expired(at: start + .seconds(600)) == nil)
    }

    @Test("messages over the inbound rate are refused with a wait; the threshold of refusals within the window closes; a new window starts over")
    func flood() {
        var session = lifecycle()
        #expect(session.messageArrived(at: start) == .accept)
        #expect(session.messageArrived(at: start) == .accept, "the burst")
        guard case .refuse(let wait) = session.messageArrived(at: start) else {
            Issue.record("the third message at once is over the rate")
            return
        }
        #expect(wait > 0)
        #expect(session.messageArrived(at: start + .milliseconds(1)) != .accept)
        #expect(session.messageArrived(at: start + .milliseconds(2)) == .close(.inboundFlood))
        var patient = lifecycle()
        for _ in 0..<4 { _ = patient.messageArrived(at: start) }
        #expect(patient.messageArrived(at: start + .seconds(11)) == .accept, "the rate recovered")
        _ = patient.messageArrived(at: start + .seconds(11))
        #expect(patient.messageArrived(at: start + .seconds(11)) != .close(.inboundFlood), "refusals of an old window do not count")
    }
}
