import Foundation
import GRDB
import GatewayProtocol
import Testing
@testable import Gateway

/// Where the two stores once behaved differently, one behaviour (`WriteRules` and the batch
/// policy), shown on whichever store the suite runs on: CI runs it on SQLite and on PostgreSQL.
@Suite("One behaviour on both stores", .serialized, .stopsServers)
struct StoreRulesTests {
    @Test("a failure the rules did not foresee fails only its own write: nothing of it is kept, the rest of its batch is written")
    func unforeseenFailure() async throws {
        let server = try await TestServer.start()
        // The database itself refuses the event of one comment, after its row and count changed.
        if TestServer.onPostgres {
            try await server.storeSQL("CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'poisoned for a test'; END $$")
            try await server.storeSQL("CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW WHEN (NEW.data LIKE '%poison%') EXECUTE FUNCTION poison()")
        } else {
            try await server.storeSQL(
                "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.data LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'poisoned for a test'); END")
        }
        let client = try await server.identified("u_writer")
        let post = try await client.request(["op": "post", "id": 100, "body": "a thread", "client_id": "p"])
        let postID = try #require(post.object("result").object("post").string("id"))
        let requests = (1...8).map { index -> [String: Any] in
            ["op": "comment", "id": index, "post_id": postID, "body": index == 4 ? "poison" : "comment \(index)", "client_id": "c\(index)"]
        }
        let replies = try await client.requestAll(requests)
        #expect(replies[4]?.string("code") == "internal")
        let written = (1...8).filter { $0 != 4 }
        #expect(written.allSatisfy { replies[$0]?.string("op") == "ack" })
        // No offset was spent on the failed write: the others have 1…7, in the order they were sent.
        #expect(written.compactMap { replies[$0]?.object("result").int("offset") } == Array(1...7))
        let thread = try await server.http("GET", "/v1/posts/\(postID)")
        #expect(thread.json.object("post").int("comment_count") == 7)
        #expect((thread.json["comments"] as? [[String: Any]])?.compactMap { $0.string("body") } == written.map { "comment \($0)" })
        // The failed write's client_id was not recorded: sent again once the database allows it, it is written.
        try await server.storeSQL("DROP TRIGGER poison" + (TestServer.onPostgres ? " ON events" : ""))
        let again = try await client.request(["op": "comment", "id": 9, "post_id": postID, "body": "poison", "client_id": "c4"])
        #expect(again.object("result").int("offset") == 8)
    }

    @Test("a client_id sent twice in one breath is written once, and its reuse for other content is a conflict")
    func clientIDWithinBatch() async throws {
        let server = try await TestServer.start()
        let client = try await server.identified("u_eager")
        let replies = try await client.requestAll([
            ["op": "post", "id": 1, "body": "once", "client_id": "same"],
            ["op": "post", "id": 2, "body": "once", "client_id": "same"],
            ["op": "post", "id": 3, "body": "other", "client_id": "same"],
        ])
        let first = replies[1]?.object("result") ?? [:]
        #expect(first.object("post").string("id") != nil)
        #expect(replies[2]?.object("result").object("post").string("id") == first.object("post").string("id"))
        #expect(replies[2]?.object("result").int("offset") == first.int("offset"))
        #expect(replies[3]?.string("code") == "conflict")
        #expect((try await server.http("GET", "/v1/feed").json["posts"] as? [Any])?.count == 1)
    }

    @Test("a user's row follows the name they write under, whether or not they identified, and back")
    func authorRow() async throws {
        let server = try await TestServer.start()
        let client = try await server.identified("u_renamed")
        _ = try await client.request(["op": "post", "id": 1, "body": "as before", "client_id": "a"])
        #expect(try await server.storeSQL("SELECT name FROM users WHERE id = 'u_renamed'") == [["u_renamed".capitalized]])
        let renamed = try await server.token("u_renamed", name: "Ren")
        let viaHTTP = try await server.http("POST", "/v1/posts", token: renamed, body: ["body": "as now", "client_id": "b"])
        #expect(viaHTTP.status == 201)
        #expect(try await server.storeSQL("SELECT name FROM users WHERE id = 'u_renamed'") == [["Ren"]])
        // And back: the store remembers a user by id, so the first name is not taken as still saved.
        let original = try await server.token("u_renamed")
        #expect(try await server.http("POST", "/v1/posts", token: original, body: ["body": "as at first", "client_id": "c"]).status == 201)
        #expect(try await server.storeSQL("SELECT name FROM users WHERE id = 'u_renamed'") == [["u_renamed".capitalized]])
        // A write that is refused saves nothing, and the author's next write still saves their row.
        let fresh = try await server.token("u_fresh", name: "Fresh")
        let refused = try await server.http("POST", "/v1/posts/p_0000000000000000Z/comments", token: fresh, body: ["body": "hi", "client_id": "c"])
        #expect(refused.status == 404)
        #expect(try await server.storeSQL("SELECT name FROM users WHERE id = 'u_fresh'").isEmpty)
        #expect(try await server.http("POST", "/v1/posts", token: fresh, body: ["body": "hello", "client_id": "p"]).status == 201)
        #expect(try await server.storeSQL("SELECT name FROM users WHERE id = 'u_fresh'") == [["Fresh"]])
    }

    @Test("a reply that also mentions its addressee reaches them as the reply, then the mention, at consecutive offsets")
    func notificationOrder() async throws {
        let server = try await TestServer.start()
        let bob = try await server.identified("u_bob")
        let alice = try await server.identified("u_alice")
        try await bob.send(["op": "sub", "id": 1, "stream": "user:u_bob"])
        _ = try await bob.expect("subscribed")
        let post = try await bob.request(["op": "post", "id": 2, "body": "news", "client_id": "p"])
        let postID = try #require(post.object("result").object("post").string("id"))
        _ = try await alice.request(["op": "comment", "id": 1, "post_id": postID, "body": "@u_bob congratulations", "client_id": "c"])
        let first = try await bob.expect("event")
        let second = try await bob.expect("event")
        #expect(first.string("type") == "reply" && second.string("type") == "mention")
        #expect((second.int("offset") ?? 0) == (first.int("offset") ?? 0) + 1)
    }

    @Test("offsets given by another process on the same store are never given again: the writer's cache of offsets yields to them")
    func offsetsMovedOutside() async throws {
        let server = try await TestServer.start()
        let client = try await server.identified("u_writer")
        let first = try await client.request(["op": "post", "id": 1, "body": "first", "client_id": "a"])
        let offset = try #require(first.object("result").int("offset"))
        // Another process appends ten events to the feed by itself (as a second gatewayd on the same file would).
        try await server.storeSQL("UPDATE streams SET last_offset = last_offset + 10 WHERE name = 'feed'")
        let second = try await client.request(["op": "post", "id": 2, "body": "second", "client_id": "b"])
        #expect(second.object("result").int("offset") == offset + 11)
        let third = try await client.request(["op": "post", "id": 3, "body": "third", "client_id": "c"])
        #expect(third.object("result").int("offset") == offset + 12)
    }

    // A connection's writes take their places in the store's queue on the event loop, in the
    // order their frames came (WebSocketSession.write), so pipelined writes keep their order.
    @Test("posts, a comment and a mention sent in one breath keep their order: consecutive offsets, every body stored and sent exactly")
    func mixedBatch() async throws {
        let server = try await TestServer.start()
        let client = try await server.identified("u_mixed")
        let reader = try await server.identified("u_reader")
        try await reader.send(["op": "sub", "id": 1, "stream": "feed"])
        _ = try await reader.expect("subscribed")
        let thread = try await client.request(["op": "post", "id": 100, "body": "the thread", "client_id": "t"])
        let postID = try #require(thread.object("result").object("post").string("id"))
        let base = try #require(thread.object("result").int("offset"))
        let bodies = ["plain", #"quotes " and \ backslash, {"json": null}"#, "emoji 🎉 and 中文", "@u_reader hello", "last"]
        var requests: [[String: Any]] = bodies.enumerated().map { ["op": "post", "id": $0 + 1, "body": $1, "client_id": "p\($0)"] }
        requests.insert(["op": "comment", "id": 50, "post_id": postID, "body": "a comment", "client_id": "c"], at: 2)
        let replies = try await client.requestAll(requests)
        #expect((1...bodies.count).compactMap { replies[$0]?.object("result").int("offset") } == Array(base + 1...base + bodies.count))
        #expect(replies[50]?.object("result").int("offset") == 1)
        var sent: [(Int, String)] = []
        while sent.count < bodies.count + 1 {
            let event = try await reader.expect("event")
            if event.string("stream") == "feed" { sent.append((event.int("offset") ?? 0, event.object("data").string("body") ?? "")) }
        }
        #expect(sent.map(\.0) == Array(base...base + bodies.count))
        #expect(sent.map(\.1) == ["the thread"] + bodies)
        let feed = try await server.http("GET", "/v1/feed")
        #expect((feed.json["posts"] as? [[String: Any]])?.compactMap { $0.string("body") } == bodies.reversed() + ["the thread"])
    }

    @Test("a hundred posts sent in one flush are applied in the order sent, each acked with its own offset")
    func pipelinedOrder() async throws {
        let server = try await TestServer.start { $0.writeLimits = .init(postsPerMinute: 1_000) }
        let client = try await server.identified("u_pipelined")
        let first = try await client.request(["op": "post", "id": 0, "body": "before", "client_id": "b"])
        let base = try #require(first.object("result").int("offset"))
        let count = 100
        let replies = try await client.requestAll((1...count).map { ["op": "post", "id": $0, "body": "post \($0)", "client_id": "o\($0)"] })
        #expect((1...count).map { replies[$0]?.object("result").int("offset") } == (1...count).map { base + $0 })
        let feed = try await server.http("GET", "/v1/feed?limit=\(count)")
        #expect((feed.json["posts"] as? [[String: Any]])?.compactMap { $0.string("body") } == (1...count).reversed().map { "post \($0)" })
    }

    @Test("a client_id gets the same ack when its record is new, after it was keyed and after a restart; a deleted item's body leaves every record")
    func clientRecordsWherever() async throws {
        // Records are keyed every three on SQLite (PostgreSQL keys each at once). At ten
        // posts a minute the first two replays are answered by the writer, the rest, over the
        // limit, by a reader (`GatewayRuntime.perform`): both find records keyed or not.
        let keyEveryThree: (inout GatewayConfiguration) -> Void = {
            $0.store.recentClientRecords = 3
            $0.writeLimits = .init(postsPerMinute: 10)
        }
        let server = try await TestServer.start(configure: keyEveryThree)
        let client = try await server.identified("u_records")
        var acks: [[String: Any]] = []
        for index in 0..<8 {
            acks.append(try await client.request(["op": "post", "id": index, "body": "post \(index)", "client_id": "r\(index)"]).object("result"))
        }
        let erased: Set = [0, 7]
        for index in erased {
            let postID = try #require(acks[index].object("post").string("id"))
            #expect(try await client.request(["op": "delete", "id": 100 + index, "target": postID]).string("op") == "ack")
        }
        func expectSameAcks(_ client: TestClient) async throws {
            for index in 0..<8 {
                let again = try await client.request(["op": "post", "id": 200 + index, "body": "post \(index)", "client_id": "r\(index)"]).object("result")
                #expect(again.object("post").string("id") == acks[index].object("post").string("id"))
                #expect(again.int("offset") == acks[index].int("offset"))
                #expect(again.object("post").string("body") == (erased.contains(index) ? "" : "post \(index)"))
            }
            let reused = try await client.request(["op": "post", "id": 300, "body": "something else", "client_id": "r5"])
            #expect(reused.string("code") == "conflict")
        }
        try await expectSameAcks(client)
        // Records keep a digest of what was written, never the body itself.
        for table in TestServer.onPostgres ? ["idempotency"] : ["idempotency_records"] {
            let rows = try await server.storeSQL("SELECT fingerprint, result FROM \(table)")
            #expect(rows.allSatisfy { $0[0]?.count == 32 && $0[0]?.allSatisfy(\.isHexDigit) == true }, "\(table): \(rows)")
            #expect(!rows.contains { row in erased.contains { row.compactMap { $0 }.joined().contains("post \($0)") } }, "\(table): \(rows)")
        }
        await server.stop()
        let restarted = try await TestServer.start(dataDirectory: server.dataDirectory, configure: keyEveryThree)
        try await expectSameAcks(try await restarted.identified("u_records"))
        let feed = try await restarted.http("GET", "/v1/feed")
        #expect((feed.json["posts"] as? [Any])?.count == 6)
    }

    @Test("pruning forgets client_id records past their age, keyed or not, and the writes after it are recorded as before")
    func clientRecordsPruned() async throws {
        let server = try await TestServer.start {
            $0.store.recentClientRecords = 3
            $0.store.idempotencyAge = .zero
            $0.writeLimits = .init(postsPerMinute: 1000)
        }
        let client = try await server.identified("u_pruned")
        func post(_ clientID: String, id: Int) async throws -> String? { try await Self.postID(clientID, id: id, by: client) }
        // Five records: on SQLite three keyed, two not yet.
        var before: [String?] = []
        for index in 0..<5 { before.append(try await post("c\(index)", id: index)) }
        try await Task.sleep(for: .milliseconds(5))
        try await server.runtime.store.prune()
        let table = TestServer.onPostgres ? "idempotency" : "idempotency_records"
        #expect(try await server.storeSQL("SELECT client_id FROM \(table)").isEmpty)
        if !TestServer.onPostgres { #expect(try await server.storeSQL("SELECT client_id FROM idempotency_keys").isEmpty) }
        // Forgotten, the client_id makes a new post; that post's record is found again, and so
        // are the records made after it, keyed or not.
        let after = try await post("c0", id: 10)
        #expect(after != nil && after != before[0])
        var later: [String?] = []
        for index in 1..<5 { later.append(try await post("d\(index)", id: 10 + index)) }
        #expect(try await post("c0", id: 20) == after)
        #expect(try await post("d1", id: 21) == later[0])
        #expect(try await post("d4", id: 22) == later[3])
        #expect(try await server.storeSQL("SELECT client_id FROM \(table) ORDER BY client_id") == [["c0"], ["d1"], ["d2"], ["d3"], ["d4"]])
        if !TestServer.onPostgres {
            // Keyed every three: the first three records since the prune; the last two not yet.
            #expect(try await server.storeSQL(
                "SELECT k.client_id FROM idempotency_keys k JOIN idempotency_records r ON r.id = k.record ORDER BY k.client_id") == [["c0"], ["d1"], ["d2"]])
        }
        let feed = try await server.http("GET", "/v1/feed?limit=100")
        #expect((feed.json["posts"] as? [Any])?.count == 10)
    }

    @Test("a SQLite file that lost its keyed-through mark keeps every client_id record: they are keyed again",
          .enabled(if: !TestServer.onPostgres, "the SQLite store's record tables"))
    func clientRecordsWithoutMark() async throws {
        let keyEveryThree: (inout GatewayConfiguration) -> Void = {
            $0.store.recentClientRecords = 3
            $0.writeLimits = .init(postsPerMinute: 1000)
        }
        let server = try await TestServer.start(configure: keyEveryThree)
        let client = try await server.identified("u_mark")
        var acks: [String?] = []
        for index in 0..<5 { acks.append(try await Self.postID("m\(index)", id: index, by: client)) }
        await server.stop()
        try await server.storeSQL("DELETE FROM meta WHERE key = 'idempotency_keyed_through'")
        let restarted = try await TestServer.start(dataDirectory: server.dataDirectory, configure: keyEveryThree)
        let again = try await restarted.identified("u_mark")
        // Every record is taken for unkeyed, then keyed again with the next batch; none is lost.
        for index in 0..<5 { #expect(try await Self.postID("m\(index)", id: 10 + index, by: again) == acks[index]) }
        for index in 5..<9 { _ = try await Self.postID("m\(index)", id: 10 + index, by: again) }
        for index in 0..<5 { #expect(try await Self.postID("m\(index)", id: 20 + index, by: again) == acks[index]) }
        #expect(try await restarted.storeSQL("SELECT CAST(count(*) AS TEXT) FROM idempotency_records") == [["9"]])
        let feed = try await restarted.http("GET", "/v1/feed?limit=100")
        #expect((feed.json["posts"] as? [Any])?.count == 9)
    }

    @Test("a client_id recorded before records kept digests, or by an older node beside, still gets its ack, and still refuses other content")
    func clientRecordsFromBeforeDigests() async throws {
        let body = "written before: é — 😀 日本"
        let server = try await TestServer.start()
        let client = try await server.identified("u_upgrade")
        let acks = [
            try await client.request(["op": "post", "id": 1, "body": body, "client_id": "old"]).object("result"),
            try await client.request(["op": "post", "id": 2, "body": body, "client_id": "older-node"]).object("result"),
        ]
        await server.stop()
        // The records as an older gateway wrote them: the write's canonical text.
        #expect(WriteCommand.post(body: body, clientID: "old", botsEnabled: true, generated: nil).canonicalText == "post\u{1F}\(body)\u{1F}on")
        let char = TestServer.onPostgres ? "chr" : "char"
        try await server.storeSQL(
            "UPDATE \(TestServer.onPostgres ? "idempotency" : "idempotency_records") SET fingerprint = 'post' || \(char)(31) || '\(body)' || \(char)(31) || 'on'")
        func expectReplays(_ clientIDs: [String], on server: TestServer) async throws {
            let client = try await server.identified("u_upgrade")
            for (index, clientID) in clientIDs.enumerated() {
                let replayed = try await client.request(["op": "post", "id": 10 + index, "body": body, "client_id": clientID]).object("result")
                #expect(replayed.object("post").string("id") == acks[index].object("post").string("id"))
                #expect(replayed.int("offset") == acks[index].int("offset"))
                let reused = try await client.request(["op": "post", "id": 20 + index, "body": "written after", "client_id": clientID])
                #expect(reused.string("code") == "conflict")
            }
        }
        // A record an older node wrote after the migration ran is still the same write's.
        let beside = try await TestServer.start(dataDirectory: server.dataDirectory)
        try await expectReplays(["old", "older-node"], on: beside)
        await beside.stop()
        // An upgrade from before the migration turns the text into its digest, the same on both stores.
        if TestServer.onPostgres {
            try await server.storeSQL("DELETE FROM schema_migrations WHERE name = 'v4-fingerprint-digests'")
        } else {
            // The SQLite tables as they were then: one record keyed, one recent, both migrated again.
            for statement in Self.sqliteRecordsBeforeNarrowKeys(keyed: "old") { try await server.storeSQL(statement) }
            try await server.storeSQL(
                "DELETE FROM grdb_migrations WHERE identifier IN ('v6-fingerprint-digests', 'v7-narrow-idempotency-keys')")
        }
        let upgraded = try await TestServer.start(dataDirectory: server.dataDirectory)
        let digest = WriteCommand.post(body: body, clientID: "old", botsEnabled: true, generated: nil).fingerprint
        let fingerprints = try await upgraded.storeSQL(TestServer.onPostgres
            ? "SELECT fingerprint FROM idempotency"
            : "SELECT fingerprint FROM idempotency_records")
        #expect(fingerprints == [[digest], [digest]])
        if !TestServer.onPostgres {
            #expect(try await upgraded.storeSQL("SELECT k.client_id FROM idempotency_keys k JOIN idempotency_records r ON r.id = k.record") == [["old"]])
            #expect(try await upgraded.storeSQL("SELECT value FROM meta WHERE key = 'idempotency_keyed_through'") == [["1"]])
        }
        try await expectReplays(["old", "older-node"], on: upgraded)
    }

    /// Posts "body of <clientID>" under `clientID`; the id of the post its ack names.
    static func postID(_ clientID: String, id: Int, by client: TestClient) async throws -> String? {
        try await client.request(["op": "post", "id": id, "body": "body of \(clientID)", "client_id": clientID]).object("result").object("post").string("id")
    }

    /// Turns the SQLite store's records back into the two tables of before migration v7: the
    /// record of `keyed` into the keyed table, the others into the recent one, and a stale copy of
    /// those in the keyed table too (a key in both tables, which the migration resolves as the
    /// gateway did: the recent record is the one).
    static func sqliteRecordsBeforeNarrowKeys(keyed: String) -> [String] {
        let columns = "user_id TEXT NOT NULL, client_id TEXT NOT NULL, fingerprint TEXT NOT NULL, result TEXT NOT NULL, created_at INTEGER NOT NULL"
        let record = "SELECT user_id, client_id, fingerprint, result, created_at FROM idempotency_records"
        return [
            "CREATE TABLE idempotency (\(columns), PRIMARY KEY (user_id, client_id)) WITHOUT ROWID",
            "CREATE INDEX idempotency_age ON idempotency(created_at)",
            "CREATE TABLE idempotency_recent (\(columns))",
            "INSERT INTO idempotency \(record) WHERE client_id = '\(keyed)'",
            "INSERT INTO idempotency_recent \(record) WHERE client_id <> '\(keyed)' ORDER BY id",
            "INSERT INTO idempotency SELECT user_id, client_id, fingerprint, '{\"stale\":true}', created_at FROM idempotency_records WHERE client_id <> '\(keyed)'",
            "DROP TABLE idempotency_keys",
            "DROP TABLE idempotency_records",
            "DELETE FROM meta WHERE key = 'idempotency_keyed_through'",
        ]
    }

    @Test("a write's fingerprint is the first half of its canonical text's SHA-256, in hex")
    func fingerprintDigest() {
        #expect(WriteFingerprint.digest(of: "abc") == "ba7816bf8f01cfea414140de5dae2223")
        #expect(WriteFingerprint.digest(of: "") == "e3b0c44298fc1c149afbf4c8996fb924")
    }

    @Test("the WAL is copied back into the SQLite file beside the writer, and starts again instead of growing under steady writes",
          .enabled(if: !TestServer.onPostgres, "the SQLite file's WAL"))
    func checkpointsBesideTheWriter() async throws {
        let server = try await TestServer.start {
            $0.writeLimits = .init(postsPerMinute: 100_000)
            $0.inboundMessagesPerSecond = 100_000
            $0.inboundBurst = 100_000
        }
        let client = try await server.identified("u_steady")
        let file = (server.dataDirectory as NSString).appendingPathComponent("gatewayd.sqlite")
        func size(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
        let store = try #require(server.runtime.store as? SQLiteStore)
        let pageSize = try #require(try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") })
        let walPages = { size(file + "-wal") / (pageSize + 24) }
        var posts = 0
        func post() async throws {
            let ack = try await client.request(["op": "post", "id": posts, "body": "steady \(posts)", "client_id": "s\(posts)"])
            try #require(ack.string("op") == "ack", "\(ack)")
            posts += 1
        }
        let sizeBefore = size(file)
        // One post per commit until the WAL asked for a checkpoint (the WAL's file never shrinks).
        while walPages() < Int(WALCheckpointer.pagesBetweenCheckpoints) + 100 && posts < 3000 { try await post() }
        #expect(try await eventually { size(file) > sizeBefore })
        // Copied by the connection beside the writer: the writer's own checkpoint waits for a longer WAL.
        #expect(walPages() < Int(WALCheckpointer.pagesBeforeWriterCheckpoint))
        // Three times as many posts again: far past the writer's checkpoint, had the WAL gone on growing.
        for _ in 0..<(3 * posts) { try await post() }
        #expect(walPages() <= Int(WALCheckpointer.pagesBeforeWriterCheckpoint) + 200)
        let feed = try await server.http("GET", "/v1/feed?limit=1")
        #expect(feed.json.int("offset") == posts)
    }

    @Test("the SQLite writer syncs the WAL at every commit: an ack is durable through a power cut, not only a crash",
          .enabled(if: !TestServer.onPostgres, "the SQLite writer's connection"))
    func writerSyncsEveryCommit() async throws {
        let server = try await TestServer.start()
        let store = try #require(server.runtime.store as? SQLiteStore)
        // 2 is FULL; opening the pool had set NORMAL, synced only at checkpoints.
        #expect(try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 2)
    }

    @Test("the writer's caches key text by its bytes, as the stores compare it, not by Swift's canonical equivalence")
    func cacheKeysCompareBytes() {
        let composed = "u_jos\u{E9}", decomposed = "u_jose\u{301}"
        #expect(composed == decomposed)
        #expect(ExactText(composed) != ExactText(decomposed))
        #expect(Set([ExactText.clientRecord(of: composed, clientID: "x"), ExactText.clientRecord(of: decomposed, clientID: "x")]).count == 2)
        #expect(ExactText(composed) == ExactText(String(composed.unicodeScalars)))
    }
}
