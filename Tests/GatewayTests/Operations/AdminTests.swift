import Foundation
import Testing
@testable import Gateway
@testable import GatewayProtocol

/// The admin API (issue 10): every endpoint refuses every other role; sessions are counted and
/// kicked; a user's write limits can be read.
@Suite("Admin API", .serialized, .stopsServers)
struct AdminTests {
    static let endpoints: [(method: String, path: String)] = [
        ("GET", "/v1/admin/personas"),
        ("POST", "/v1/admin/personas/kiki/pause"),
        ("POST", "/v1/admin/personas/kiki/resume"),
        ("GET", "/v1/admin/personas/kiki/decisions"),
        ("GET", "/v1/admin/sessions"),
        ("POST", "/v1/admin/sessions/s_none/kick"),
        ("POST", "/v1/admin/users/u_bob/kick"),
        ("GET", "/v1/admin/users/u_bob/limits"),
    ]

    func start() async throws -> TestServer {
        try await TestServer.start(personas: ["kiki.yaml": "id: kiki\nname: Kiki\n"]) {
            $0.writeLimits = .init(postsPerMinute: 3, commentsPerMinute: 60)
        }
    }

    @Test("every admin endpoint answers 401 without a token or with a bad one, 403 to users, moderators and bots, and not 401/403 to an admin")
    func refusesEveryOtherRole() async throws {
        let server = try await start()
        let user = try await server.token("u_carol")
        let moderator = try await server.token("u_mod", role: .moderator)
        let bot = try await server.token("b_kiki", role: .bot)
        let admin = try await server.token("u_root", role: .admin)
        for (method, path) in Self.endpoints {
            #expect(try await server.http(method, path).status == 401, "\(method) \(path) without a token")
            #expect(try await server.http(method, path, token: "not.a.token").status == 401, "\(method) \(path) with a bad token")
            for token in [user, moderator, bot] {
                let answer = try await server.http(method, path, token: token)
                #expect(answer.status == 403, "\(method) \(path)")
                #expect(answer.json.object("error").string("code") == "forbidden")
            }
            let status = try await server.http(method, path, token: admin).status
            #expect(status != 401 && status != 403, "\(method) \(path) as admin: \(status)")
            // A paused persona's token is refused (401), which is not what this test is about.
            _ = try await server.http("POST", "/v1/admin/personas/kiki/resume", token: admin)
        }
    }

    @Test("sessions are counted by state and listed; kicking a user closes all their sessions with 4003, kicking one session closes only it")
    func countAndKick() async throws {
        let server = try await start()
        let admin = try await server.token("u_root", role: .admin)
        let bobPhone = try await server.identified("u_bob")
        let bobLaptop = try await server.identified("u_bob")
        let anonymous = try await server.connect()
        try await anonymous.send(["op": "identify"])
        _ = try await anonymous.expect("ready")
        let carol = try await server.connect()
        try await carol.send(["op": "identify", "token": try await server.token("u_carol")])
        let carolSession = try await carol.expect("ready").string("session_id")
        let waiting = try await server.connect()

        let listing = try await server.http("GET", "/v1/admin/sessions", token: admin).json
        #expect(listing.int("count") == 5)
        #expect(listing.object("by_state").int("identified") == 3)
        #expect(listing.object("by_state").int("anonymous") == 1)
        #expect(listing.object("by_state").int("connecting") == 1)
        let bobs = try await server.http("GET", "/v1/admin/sessions?user=u_bob", token: admin).json["sessions"] as? [[String: Any]] ?? []
        #expect(bobs.count == 2)
        #expect(bobs.allSatisfy { $0.string("state") == "identified" && $0.string("id")?.hasPrefix("s_") == true })

        let kicked = try await server.http("POST", "/v1/admin/users/u_bob/kick", token: admin)
        #expect(kicked.json.int("closed") == 2)
        #expect(try await bobPhone.expectClose() == 4003)
        #expect(try await bobLaptop.expectClose() == 4003)

        let one = try await server.http("POST", "/v1/admin/sessions/\(try #require(carolSession))/kick", token: admin)
        #expect(one.json.int("closed") == 1)
        #expect(try await carol.expectClose() == 4003)
        #expect(try await server.http("POST", "/v1/admin/sessions/s_gone/kick", token: admin).status == 404)

        try await anonymous.send(["op": "ping", "t": 1])
        _ = try await anonymous.expect("pong")
        // A kicked session leaves the registry a moment after its close.
        #expect(try await eventually { try await server.http("GET", "/v1/admin/sessions", token: admin).json.int("count") == 2 })
        _ = waiting
    }

    @Test("a user's write limits: all available at first, none after the burst, with the wait until the next")
    func userLimits() async throws {
        let server = try await start()
        let admin = try await server.token("u_root", role: .admin)
        let fresh = try await server.http("GET", "/v1/admin/users/u_dave/limits", token: admin).json
        #expect(fresh.object("limits").object("posts").int("available") == 3)
        #expect(fresh.object("limits").object("comments").int("per_minute") == 60)
        let dave = try await server.identified("u_dave")
        for number in 1...3 {
            try await dave.send(["op": "post", "id": number, "body": "Post \(number)", "client_id": "d\(number)"])
            _ = try await dave.expect("ack")
        }
        let spent = try await server.http("GET", "/v1/admin/users/u_dave/limits", token: admin).json.object("limits").object("posts")
        #expect(spent.int("available") == 0)
        #expect((spent.int("retry_after_ms") ?? 0) > 10_000)
    }

    @Test("the admin persona listing shows engine, model and state")
    func personaListing() async throws {
        let server = try await start()
        let admin = try await server.token("u_root", role: .admin)
        _ = try await server.http("POST", "/v1/admin/personas/kiki/pause", token: admin)
        let rows = try await server.http("GET", "/v1/admin/personas", token: admin).json["personas"] as? [[String: Any]] ?? []
        let kiki = try #require(rows.first)
        #expect(kiki.string("id") == "kiki")
        #expect(kiki.string("state") == "paused")
        #expect(kiki.string("engine") == "offline")
        #expect(kiki.string("model") == "offline-v1")
        #expect(kiki["circuit_open"] as? Bool == false)
    }
}
