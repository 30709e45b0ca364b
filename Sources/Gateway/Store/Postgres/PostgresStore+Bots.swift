import PostgresNIO
public import GatewayProtocol

extension PostgresStore: BotStore {
    public func botReplies(since: Timestamp) async throws(GatewayError) -> [(persona: String, postID: String, addressee: String, at: Timestamp)] {
        let logger = self.logger
        return try await read { client in
            var replies: [(persona: String, postID: String, addressee: String, at: Timestamp)] = []
            let rows = try await client.query(
                """
                SELECT c.generated_persona, c.post_id, COALESCE(parent.author_id, post.author_id), c.created_at
                FROM comments c JOIN posts post ON post.id = c.post_id LEFT JOIN comments parent ON parent.id = c.parent_id
                WHERE c.generated_persona IS NOT NULL AND c.created_at >= \(since.milliseconds) ORDER BY c.created_at
                """, logger: logger)
            for try await (persona, postID, addressee, at) in rows.decode((String, String, String, Int64).self) {
                replies.append((persona, postID, addressee, Timestamp(milliseconds: at)))
            }
            return replies
        }
    }

    public func latestPost() async throws(GatewayError) -> (at: Timestamp, body: String)? {
        let logger = self.logger
        return try await read { client in
            try await client.query("SELECT created_at, body FROM posts WHERE NOT deleted ORDER BY id DESC LIMIT 1", logger: logger)
                .collect().first.map { row in
                    let (at, body) = try row.decode((Int64, String).self)
                    return (Timestamp(milliseconds: at), body)
                }
        }
    }

    public func openers(since: Timestamp) async throws(GatewayError) -> [(persona: String, at: Timestamp, body: String)] {
        let logger = self.logger
        return try await read { client in
            var openers: [(persona: String, at: Timestamp, body: String)] = []
            let rows = try await client.query(
                """
                SELECT author_persona, created_at, body FROM posts
                WHERE author_persona IS NOT NULL AND created_at >= \(since.milliseconds) ORDER BY created_at
                """, logger: logger)
            for try await (persona, at, body) in rows.decode((String, Int64, String).self) {
                openers.append((persona, Timestamp(milliseconds: at), body))
            }
            return openers
        }
    }

    public func decisions(persona: String, limit: Int) async throws(GatewayError) -> [BotDecision] {
        let logger = self.logger
        return try await read { client in
            var decisions: [BotDecision] = []
            let rows = try await client.query(
                """
                SELECT persona, at, trigger, item_id, post_id, outcome, rule, detail, situation FROM bot_decisions
                WHERE persona = \(persona) ORDER BY id DESC LIMIT \(limit)
                """, logger: logger)
            for try await (persona, at, trigger, itemID, postID, outcome, rule, detail, situation)
                in rows.decode((String, Int64, String, String, String, String, String, String, String).self) {
                decisions.append(BotDecision(
                    persona: persona, at: Timestamp(milliseconds: at), trigger: trigger, itemID: itemID, postID: postID, outcome: outcome,
                    rule: rule, detail: detail, situation: situation))
            }
            return decisions
        }
    }

    public func raise(_ flag: ModerationFlag) async {
        let logger = self.logger
        do {
            try await read { client in
                try await client.query(
                    """
                    INSERT INTO moderation_flags (key, at, reason, situation, item_id, post_id, persona, bot_action, rule, text)
                    VALUES (\(flag.key), \(flag.at.milliseconds), \(flag.reason.rawValue), \(flag.situation), \(flag.itemID), \(flag.postID),
                        \(flag.persona), \(flag.botAction), \(flag.rule), \(flag.text))
                    ON CONFLICT (key) DO UPDATE SET bot_action = excluded.bot_action, rule = excluded.rule, persona = excluded.persona
                    """, logger: logger)
                return ()
            }
        } catch {
            logger.error("A moderation flag for \(flag.itemID) could not be stored: \(error)")
        }
    }

    public func flags(limit: Int) async throws(GatewayError) -> [ModerationFlag] {
        let logger = self.logger
        return try await read { client in
            var flags: [ModerationFlag] = []
            let rows = try await client.query(
                """
                SELECT at, reason, situation, item_id, post_id, persona, bot_action, rule, text FROM moderation_flags
                ORDER BY at DESC, key LIMIT \(limit)
                """, logger: logger)
            for try await (at, reason, situation, itemID, postID, persona, botAction, rule, text)
                in rows.decode((Int64, String, String, String, String, String, String, String, String).self) {
                guard let reason = ModerationFlag.Reason(rawValue: reason) else { continue }
                flags.append(ModerationFlag(
                    at: Timestamp(milliseconds: at), reason: reason, situation: situation, itemID: itemID, postID: postID, persona: persona,
                    botAction: botAction, rule: rule, text: text))
            }
            return flags
        }
    }

    public func decidedItems(persona: String, since: Timestamp) async throws(GatewayError) -> Set<String> {
        let logger = self.logger
        return try await read { client in
            var items: Set<String> = []
            let rows = try await client.query(
                "SELECT item_id FROM bot_decisions WHERE persona = \(persona) AND at >= \(since.milliseconds)", logger: logger)
            for try await item in rows.decode(String.self) { items.insert(item) }
            return items
        }
    }

    public func recentItems(since: Timestamp) async throws(GatewayError) -> [StoredEvent] {
        let logger = self.logger
        return try await read { client in
            var events: [StoredEvent] = []
            let rows = try await client.query(
                #"""
                SELECT stream, "offset", type, ts, data FROM events
                WHERE ts >= \#(since.milliseconds) AND type IN ('post.created', 'comment.created') ORDER BY seq
                """#, logger: logger)
            for try await (stream, offset, type, ts, data) in rows.decode((String, Int64, String, Int64, String).self) {
                guard let kind = StoredEvent.Kind(rawValue: type) else { continue }
                events.append(StoredEvent(stream: stream, offset: offset, type: kind, timestamp: Timestamp(milliseconds: ts), dataJSON: data))
            }
            return events
        }
    }

    public func pausedPersonas() async throws(GatewayError) -> Set<String> {
        let logger = self.logger
        return try await read { client in
            var paused: Set<String> = []
            for try await persona in try await client.query("SELECT persona FROM persona_state WHERE paused", logger: logger).decode(String.self) {
                paused.insert(persona)
            }
            return paused
        }
    }

    public func setPaused(_ persona: String, _ paused: Bool) async throws(GatewayError) {
        let logger = self.logger
        try await read { client in
            try await client.query(
                """
                INSERT INTO persona_state (persona, paused) VALUES (\(persona), \(paused))
                ON CONFLICT (persona) DO UPDATE SET paused = excluded.paused
                """, logger: logger)
            return ()
        }
    }

    public func isMuted(botID: String, by userID: String, postID: String) async throws(GatewayError) -> Bool {
        let logger = self.logger
        return try await read { client in
            try await !client.query(
                "SELECT 1 FROM mutes WHERE user_id = \(userID) AND bot_id = \(botID) AND scope IN ('all', \("thread:\(postID)"))", logger: logger
            ).collect().isEmpty
        }
    }

    public func context(postID: String, commentID: String?) async throws(GatewayError) -> ThreadContext {
        try await snapshot { connection, logger in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.postColumns) FROM posts WHERE id = \(postID) AND NOT deleted", logger: logger
            ).collect()
            guard let post = try await Self.posts(rows, on: connection, logger: logger).first else { throw WriteRecords.noSuchPost(postID) }
            guard let commentID else { return ReadRules.context(post: post, chain: []) }
            let chain = try await connection.query(
                """
                WITH RECURSIVE chain(cid, n) AS (
                    SELECT \(commentID)::text, 0
                    UNION ALL SELECT c.parent_id, chain.n + 1 FROM comments c JOIN chain ON c.id = chain.cid
                    WHERE c.post_id = \(postID) AND c.parent_id IS NOT NULL AND chain.n < \(ReadRules.longestChain - 1))
                SELECT \(unescaped: Self.commentColumns) FROM comments JOIN chain ON comments.id = chain.cid
                WHERE comments.post_id = \(postID) ORDER BY chain.n
                """, logger: logger
            ).collect().map(Self.comment)
            return ReadRules.context(post: post, chain: chain)
        }
    }
}
