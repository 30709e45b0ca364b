import Foundation
import GRDB
import Persona

/// Applies one write inside the writer's transaction: checks what the write refers to, changes
/// the tables, appends its events with the next offsets, and records its `client_id`.
struct WriteContext {
    let db: Database
    let author: User
    let now: Timestamp
    let ids: IDGenerator
    let configuration: SQLiteStore.Configuration
    /// Events appended by this write, in offset order.
    private(set) var events: [StoredEvent] = []

    init(db: Database, author: User, now: Timestamp, ids: IDGenerator, configuration: SQLiteStore.Configuration) {
        self.db = db
        self.author = author
        self.now = now
        self.ids = ids
        self.configuration = configuration
    }

    /// The ack a repeated `client_id` gets (the same result, nothing written), or nil when it is
    /// new; a `client_id` reused for other content is a conflict.
    static func priorReceipt(for command: WriteCommand, by author: User, in db: Database) throws -> WriteReceipt? {
        guard let clientID = command.clientID,
            let row = try Row.fetchOne(
                db, sql: "SELECT fingerprint, result FROM idempotency WHERE user_id = ? AND client_id = ?", arguments: [author.id, clientID])
        else { return nil }
        guard row["fingerprint"] as String == command.fingerprint else { throw WriteRecords.reusedClientID(clientID) }
        return WriteReceipt(resultJSON: row["result"], replayed: true)
    }

    mutating func apply(_ command: WriteCommand) throws -> WriteReceipt {
        if let prior = try Self.priorReceipt(for: command, by: author, in: db) { return prior }
        try SQLiteStore.upsertUser(author, in: db)
        let receipt: WriteReceipt
        switch command {
        case .post(let body, _, let botsEnabled, let generated):
            receipt = try createPost(body: body, botsEnabled: botsEnabled, generated: generated)
        case .comment(let postID, let parentID, let body, _, let generated):
            receipt = try createComment(postID: postID, parentID: parentID, body: body, generated: generated)
        case .react(let target, let emoji, let on, _):
            receipt = try react(target: target, emoji: emoji, on: on)
        case .delete(let target, _):
            receipt = try delete(target: target)
        case .mute(let bot, let scope, let on, _):
            receipt = try mute(bot: bot, scope: scope, on: on)
        }
        if let clientID = command.clientID {
            try db.execute(
                sql: "INSERT INTO idempotency (user_id, client_id, fingerprint, result, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [author.id, clientID, command.fingerprint, receipt.resultJSON, now.milliseconds]
            )
        }
        return receipt
    }

    // MARK: Events

    private mutating func append(_ type: StoredEvent.Kind, to stream: String, json: String) throws {
        let offset = try Int64.fetchOne(
            db,
            sql: """
                INSERT INTO streams (name, last_offset) VALUES (?, 1)
                ON CONFLICT(name) DO UPDATE SET last_offset = last_offset + 1 RETURNING last_offset
                """,
            arguments: [stream]
        )!
        let event = StoredEvent(stream: stream, offset: offset, type: type, timestamp: now, dataJSON: json)
        try db.execute(
            sql: #"INSERT INTO events (stream, "offset", type, ts, data) VALUES (?, ?, ?, ?, ?)"#,
            arguments: [stream, offset, type.rawValue, now.milliseconds, event.dataJSON]
        )
        events.append(event)
    }

    private func offset(of type: StoredEvent.Kind, in stream: String) -> Int64 {
        events.last { $0.stream == stream && $0.type == type }?.offset ?? 0
    }

    // MARK: Posts and comments

    private mutating func createPost(body: String, botsEnabled: Bool, generated: Comment.Generated?) throws -> WriteReceipt {
        // Resolved before anything is changed: too many mentions refuse the write.
        let mentioned = try mentionedUsers(in: body)
        let post = Post(id: ids.make("p"), author: author, body: body, createdAt: now, botsEnabled: botsEnabled, generated: generated)
        try db.execute(
            sql: """
                INSERT INTO posts (id, author_id, author_name, author_role, author_persona, body, created_at, bots,
                    generated_persona, generated_engine, generated_model)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                post.id, author.id, author.name, author.role.rawValue, author.persona, body, now.milliseconds, botsEnabled,
                generated?.persona, generated?.engine, generated?.model,
            ]
        )
        try append(.postCreated, to: "feed", json: WriteRecords.json { post.write(to: &$0) })
        try notify(mentioned, postID: post.id, commentID: nil)
        return WriteReceipt(resultJSON: WriteRecords.completed(WriteRecords.createdResultPrefix(post), offset: offset(of: .postCreated, in: "feed")), post: post)
    }

    private mutating func createComment(postID: String, parentID: String?, body: String, generated: Comment.Generated?) throws -> WriteReceipt {
        guard let postRow = try Row.fetchOne(db, sql: "SELECT author_id FROM posts WHERE id = ? AND deleted = 0", arguments: [postID]) else {
            throw WriteRecords.noSuchPost(postID)
        }
        var depth = 0
        var addressee: String = postRow["author_id"]
        if let parentID {
            guard let parent = try Row.fetchOne(
                db, sql: "SELECT author_id, depth FROM comments WHERE id = ? AND post_id = ? AND deleted = 0", arguments: [parentID, postID])
            else {
                throw WriteRecords.noSuchParent(parentID, postID: postID)
            }
            depth = (parent["depth"] as Int) + 1
            addressee = parent["author_id"]
        }
        let mentioned = try mentionedUsers(in: body)
        let comment = Comment(
            id: ids.make("c"), postID: postID, parentID: parentID, author: author, body: body, createdAt: now, depth: depth,
            generated: generated)
        try db.execute(
            sql: """
                INSERT INTO comments (id, post_id, parent_id, author_id, author_name, author_role, author_persona, body, created_at, depth,
                    generated_persona, generated_engine, generated_model)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                comment.id, postID, parentID, author.id, author.name, author.role.rawValue, author.persona, body, now.milliseconds, depth,
                generated?.persona, generated?.engine, generated?.model,
            ]
        )
        try db.execute(sql: "UPDATE posts SET comment_count = comment_count + 1 WHERE id = ?", arguments: [postID])
        let stream = "thread:\(postID)"
        try append(.commentCreated, to: stream, json: WriteRecords.json { comment.write(to: &$0) })
        if addressee != author.id {
            try append(.reply, to: "user:\(addressee)", json: WriteRecords.notice(postID: postID, commentID: comment.id, by: author))
        }
        try notify(mentioned, postID: postID, commentID: comment.id)
        return WriteReceipt(resultJSON: WriteRecords.completed(WriteRecords.createdResultPrefix(comment), offset: offset(of: .commentCreated, in: stream)), comment: comment)
    }

    /// The users a body mentions: `@<user id>` names a user; a bot is also named by
    /// `@<persona id>` or `@<persona name>`. More than `MentionScanner.maximumMentions` refuse it.
    private func mentionedUsers(in body: String) throws -> [String] {
        var mentioned: [String] = []
        for candidate in MentionScanner.candidates(in: body) {
            // Three lookups, each by an index: the id, the persona id, the bot's name.
            let matches = try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM users WHERE id = ?
                    UNION SELECT id FROM users WHERE persona = ?
                    UNION SELECT id FROM users WHERE kind = 'bot' AND lower(name) = lower(?)
                    """,
                arguments: [candidate, candidate, candidate]
            )
            for userID in matches where userID != author.id && !mentioned.contains(userID) {
                mentioned.append(userID)
            }
        }
        if body.contains("@") {
            // Bots whose names have spaces ("@Night Owl") are not one word; there are few of them.
            // Bots have a persona: the users_persona index finds them without reading every user.
            let spaced = try Row.fetchAll(db, sql: "SELECT id, name FROM users WHERE persona IS NOT NULL AND name LIKE '% %'")
                .map { (id: $0["id"] as String, name: $0["name"] as String) }
            for userID in MentionScanner.spacedNames(in: body, among: spaced) where userID != author.id && !mentioned.contains(userID) {
                mentioned.append(userID)
            }
        }
        try MentionScanner.checkCount(mentioned.count)
        return mentioned
    }

    private mutating func notify(_ mentioned: [String], postID: String, commentID: String?) throws {
        for userID in mentioned {
            try append(.mention, to: "user:\(userID)", json: WriteRecords.notice(postID: postID, commentID: commentID, by: author))
        }
    }

    // MARK: Reactions, deletes, mutes

    /// The post whose thread carries events about `target`, which must exist and not be deleted.
    private func threadOf(target: String) throws -> String {
        if target.hasPrefix("p_") {
            guard try SQLiteStore.livePostExists(target, in: db) else { throw WriteRecords.noSuchPost(target) }
            return target
        }
        if target.hasPrefix("c_") {
            guard let postID = try String.fetchOne(
                db,
                sql: "SELECT c.post_id FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.id = ? AND c.deleted = 0 AND p.deleted = 0",
                arguments: [target])
            else { throw WriteRecords.noSuchComment(target) }
            return postID
        }
        throw WriteRecords.badTarget
    }

    private mutating func react(target: String, emoji: String, on: Bool) throws -> WriteReceipt {
        let postID = try threadOf(target: target)
        if on {
            try db.execute(
                sql: "INSERT OR IGNORE INTO reactions (target, emoji, user_id, created_at) VALUES (?, ?, ?, ?)",
                arguments: [target, emoji, author.id, now.milliseconds])
        } else {
            try db.execute(sql: "DELETE FROM reactions WHERE target = ? AND emoji = ? AND user_id = ?", arguments: [target, emoji, author.id])
        }
        let changed = db.changesCount > 0
        let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reactions WHERE target = ? AND emoji = ?", arguments: [target, emoji]) ?? 0
        if changed {
            try append(.reactionChanged, to: "thread:\(postID)",
                       json: WriteRecords.reactionChanged(target: target, emoji: emoji, count: count, userID: author.id, on: on))
        }
        return WriteReceipt(resultJSON: WriteRecords.reactionResult(count: count))
    }

    private mutating func delete(target: String) throws -> WriteReceipt {
        let postID = try threadOf(target: target)
        let table = target.hasPrefix("p_") ? "posts" : "comments"
        let ownerID = try String.fetchOne(db, sql: "SELECT author_id FROM \(table) WHERE id = ?", arguments: [target])
        guard ownerID == author.id || author.role.moderates else {
            throw WriteRecords.notAllowedToDelete(target)
        }
        try erase(target, table: table, postID: postID)
        if table == "posts" {
            try append(.postDeleted, to: "feed", json: WriteRecords.deleted(id: target))
            try append(.postDeleted, to: "thread:\(postID)", json: WriteRecords.deleted(id: target))
        } else {
            try db.execute(sql: "UPDATE posts SET comment_count = comment_count - 1 WHERE id = ?", arguments: [postID])
            try append(.commentDeleted, to: "thread:\(postID)", json: WriteRecords.deleted(id: target, postID: postID))
        }
        return WriteReceipt(resultJSON: "{}")
    }

    /// Marks `target` deleted and removes its body from every stored copy: its row, the event
    /// that created it (replays show `"body":""` and `"deleted":true`), its author's `client_id`
    /// record, moderation flags quoting it. Copies are found by the creation time they share.
    private func erase(_ target: String, table: String, postID: String) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT author_id, created_at FROM \(table) WHERE id = ?", arguments: [target]) else { return }
        let createdAt: Int64 = row["created_at"]
        try db.execute(sql: "UPDATE \(table) SET deleted = 1, body = '' WHERE id = ?", arguments: [target])
        let (stream, type) = table == "posts" ? ("feed", StoredEvent.Kind.postCreated) : ("thread:\(postID)", .commentCreated)
        for event in try Row.fetchAll(
            db, sql: #"SELECT "offset", data FROM events WHERE ts = ? AND stream = ? AND type = ?"#, arguments: [createdAt, stream, type.rawValue])
        {
            guard let erased = WriteRecords.erasing(target, in: event["data"]) else { continue }
            try db.execute(sql: #"UPDATE events SET data = ? WHERE stream = ? AND "offset" = ?"#, arguments: [erased, stream, event["offset"] as Int64])
        }
        for record in try Row.fetchAll(
            db, sql: "SELECT client_id, result FROM idempotency WHERE created_at = ? AND user_id = ?", arguments: [createdAt, row["author_id"] as String])
        {
            guard let erased = WriteRecords.erasing(target, in: record["result"]) else { continue }
            try db.execute(
                sql: "UPDATE idempotency SET result = ? WHERE user_id = ? AND client_id = ?",
                arguments: [erased, row["author_id"] as String, record["client_id"] as String])
        }
        try db.execute(sql: "UPDATE moderation_flags SET text = '' WHERE item_id = ?", arguments: [target])
    }

    private mutating func mute(bot: String, scope: MuteScope, on: Bool) throws -> WriteReceipt {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE id = ? AND kind = 'bot'", arguments: [bot]) ?? false else {
            throw WriteRecords.noSuchBot(bot)
        }
        if case .thread(let postID) = scope, try !SQLiteStore.livePostExists(postID, in: db) {
            throw WriteRecords.noSuchPost(postID)
        }
        if on {
            try db.execute(
                sql: "INSERT OR IGNORE INTO mutes (user_id, bot_id, scope) VALUES (?, ?, ?)", arguments: [author.id, bot, scope.wireValue])
        } else {
            try db.execute(
                sql: "DELETE FROM mutes WHERE user_id = ? AND bot_id = ? AND scope = ?", arguments: [author.id, bot, scope.wireValue])
        }
        return WriteReceipt(resultJSON: "{}")
    }
}

/// Finds the names written as `@name` in a body.
enum MentionScanner {
    /// The most users one body may mention: each mention is an event in someone's stream.
    static let maximumMentions = 20

    static func checkCount(_ count: Int) throws(GatewayError) {
        guard count <= maximumMentions else {
            throw .badRequest("A body may mention at most \(maximumMentions) people; this one mentions \(count).")
        }
    }

    /// The bots among `bots` whose name, spaces and all, follows an `@` in `body` as a whole name.
    static func spacedNames(in body: String, among bots: [(id: String, name: String)]) -> [String] {
        let lowered = body.lowercased()
        return bots.filter { TriggerMatcher.mentions(name: $0.name, inLowercased: lowered) }.map(\.id)
    }

    /// Names looked up per body: beyond them `@` words are text, so a body of `@a @b …` costs a
    /// bounded number of lookups.
    static let maximumCandidates = 64

    static func candidates(in body: String) -> [String] {
        var result: [String] = []
        var scalars = body.unicodeScalars[...]
        while let at = scalars.firstIndex(of: "@") {
            let rest = scalars[scalars.index(after: at)...]
            let end = rest.firstIndex { $0.properties.isWhitespace || ",;!?()[]{}<>\"'，。！？、".unicodeScalars.contains($0) } ?? rest.endIndex
            var name = String(rest[..<end])
            while let last = name.last, ".:".contains(last) { name.removeLast() }
            if !name.isEmpty, name.utf8.count <= 256, !result.contains(name) {
                result.append(name)
                if result.count == maximumCandidates { break }
            }
            scalars = rest[end...]
        }
        return result
    }
}
