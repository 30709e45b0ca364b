import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import Gateway

/// The page's files and the development login (issue 6): the login exists only in development mode.
@Suite("Page and development login", .stopsServers)
struct PageTests {
    @Test("development mode: the page is served, a name gets a user token that identifies, bad names are refused")
    func development() async throws {
        let server = try await TestServer.start()
        let (page, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(server.port)/")!)
        #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("text/html") == true)
        #expect(String(decoding: page, as: UTF8.self).contains("<script src=\"/app.js\"></script>"))
        let (script, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(server.port)/app.js")!)
        #expect(String(decoding: script, as: UTF8.self).contains("client_id"))

        let login = try await server.http("POST", "/v1/dev/login", body: ["name": "Alice"])
        #expect(login.status == 200)
        #expect(login.json.object("user").string("id") == "dev_alice", "development accounts have a namespace of their own")
        #expect(login.json.object("user").string("role") == "user")
        let token = try #require(login.json.string("token"))
        let client = try await server.connect()
        try await client.send(["op": "identify", "token": token])
        #expect(try await client.expect("ready").object("user").string("name") == "Alice")
        let chinese = try await server.http("POST", "/v1/dev/login", body: ["name": "小明"])
        #expect(chinese.json.object("user").string("id")?.hasPrefix("dev_") == true)
        #expect(try await server.http("POST", "/v1/dev/login", body: ["name": "小明"]).json.object("user").string("id")
            == chinese.json.object("user").string("id"))
        #expect(try await server.http("POST", "/v1/dev/login", body: ["name": ""]).status == 400)
        #expect(try await server.http("POST", "/v1/dev/login", body: ["name": String(repeating: "x", count: 33)]).status == 400)
        #expect(try await server.http("POST", "/v1/dev/login", body: [:]).status == 400)
    }

    @Test("production mode: there is no development login, the page still loads")
    func production() async throws {
        let server = try await TestServer.start { $0.mode = .production }
        let login = try await server.http("POST", "/v1/dev/login", body: ["name": "Mallory"])
        #expect(login.status == 404)
        let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(server.port)/")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
    }
}
