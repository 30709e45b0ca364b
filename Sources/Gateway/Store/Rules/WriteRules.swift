import GatewayProtocol

/// The rules of every write, in one copy for both stores (plan, then apply). A store asks the
/// `questions` of a write inside the batch's transaction, after the batch's earlier writes, and
/// answers them as `WriteFacts`; `decide` turns the facts into a refusal, the replay of an earlier
/// ack, or a `WritePlan` that the store applies in its own SQL, assigning the events' offsets.
/// Nothing here touches a database, so a refused write can never have changed anything.
enum WriteRules {
    /// What `decide` needs to know about `command`.
    static func questions(for command: WriteCommand, by author: User) -> WriteQuestions {
        var questions = WriteQuestions(clientID: command.clientID)
        switch command {
        case .post(let body, _, _, _):
            questions.askMentions(in: body)
        case .comment(let postID, let parentID, let body, _, _):
            questions.livePost = postID
            questions.parent = parentID
            questions.askMentions(in: body)
        case .react(let target, let emoji, _, _):
            questions.target = target
            questions.reaction = WriteQuestions.ReactionKey(target: target, emoji: emoji, userID: author.id)
        case .delete(let target, _):
            questions.target = target
        case .mute(let bot, let scope, _, _):
            questions.bot = bot
            if case .thread(let postID) = scope { questions.livePost = postID }
        }
        return questions
    }

    /// Refuses `command` (a `GatewayError` a client reads), replays its earlier ack, or plans it.
    /// - Parameter fingerprint: `command.fingerprint`, when its caller has it already (`QueuedWrite`).
    static func decide(_ command: WriteCommand, by author: User, fingerprint: String? = nil, facts: WriteFacts, now: Timestamp,
                       ids: IDGenerator) throws(GatewayError) -> WriteDecision {
        if let receipt = try replay(command, fingerprint: fingerprint, record: facts.record) { return .replay(receipt) }
        var plan = WritePlan(author: author, now: now)
        if !facts.authorKnown { plan.changes.append(.saveUser(author)) }
        switch command {
        case .post(let body, _, let botsEnabled, let generated):
            let mentioned = try mentions(in: body, facts: facts)
            let post = Post(id: ids.make("p"), author: author, body: body, createdAt: now, botsEnabled: botsEnabled, generated: generated)
            plan.changes.append(.insertPost(post))
            plan.post = post
            let postJSON = WriteRecords.json { post.write(to: &$0) }
            plan.append(.postCreated, to: "feed", json: postJSON)
            plan.notify(mentioned, postID: post.id, commentID: nil)
            plan.ack = .created(prefix: WriteRecords.createdResultPrefix("post", itemJSON: postJSON))
        case .comment(let postID, let parentID, let body, _, let generated):
            guard let postAuthor = facts.livePostAuthor else { throw WriteRecords.noSuchPost(postID) }
            var (depth, addressee) = (0, postAuthor)
            if let parentID {
                guard let parent = facts.parent else { throw WriteRecords.noSuchParent(parentID, postID: postID) }
                (depth, addressee) = (parent.depth + 1, parent.authorID)
            }
            let mentioned = try mentions(in: body, facts: facts)
            let comment = Comment(
                id: ids.make("c"), postID: postID, parentID: parentID, author: author, body: body, createdAt: now, depth: depth,
                generated: generated)
            plan.changes += [.insertComment(comment), .countComments(postID: postID, by: 1)]
            plan.comment = comment
            let commentJSON = WriteRecords.json { comment.write(to: &$0) }
            plan.append(.commentCreated, to: "thread:\(postID)", json: commentJSON)
            if addressee != author.id {
                plan.append(.reply, to: "user:\(addressee)", json: WriteRecords.notice(postID: postID, commentID: comment.id, by: author))
            }
            plan.notify(mentioned, postID: postID, commentID: comment.id)
            plan.ack = .created(prefix: WriteRecords.createdResultPrefix("comment", itemJSON: commentJSON))
        case .react(let target, let emoji, let on, _):
            let postID = try thread(of: target, facts: facts).postID
            let changed = facts.reaction.mine != on
            let count = facts.reaction.count + (changed ? (on ? 1 : -1) : 0)
            if changed {
                plan.changes.append(.setReaction(target: target, emoji: emoji, on: on))
                plan.append(.reactionChanged, to: "thread:\(postID)",
                            json: WriteRecords.reactionChanged(target: target, emoji: emoji, count: count, userID: author.id, on: on))
            }
            plan.ack = .fixed(WriteRecords.reactionResult(count: count))
        case .delete(let target, _):
            let item = try thread(of: target, facts: facts)
            guard item.ownerID == author.id || author.role.moderates else { throw WriteRecords.notAllowedToDelete(target) }
            if target.hasPrefix("p_") {
                plan.erasure = (target, .post, item.postID)
                plan.append(.postDeleted, to: "feed", json: WriteRecords.deleted(id: target))
                plan.append(.postDeleted, to: "thread:\(item.postID)", json: WriteRecords.deleted(id: target))
            } else {
                plan.erasure = (target, .comment, item.postID)
                plan.changes.append(.countComments(postID: item.postID, by: -1))
                plan.append(.commentDeleted, to: "thread:\(item.postID)", json: WriteRecords.deleted(id: target, postID: item.postID))
            }
        case .mute(let bot, let scope, let on, _):
            guard facts.botExists else { throw WriteRecords.noSuchBot(bot) }
            if case .thread(let postID) = scope, facts.livePostAuthor == nil { throw WriteRecords.noSuchPost(postID) }
            plan.changes.append(.setMute(bot: bot, scope: scope, on: on))
        }
        if let clientID = command.clientID { plan.record = (clientID, fingerprint ?? command.fingerprint) }
        return .apply(plan)
    }

    /// The ack a repeated `client_id` gets (the same result, nothing written), or nil when it is
    /// new; a `client_id` reused for other content is a conflict.
    static func replay(_ command: WriteCommand, fingerprint: String? = nil, record: WriteFacts.ClientRecord?) throws(GatewayError) -> WriteReceipt? {
        guard let record, let clientID = command.clientID else { return nil }
        guard command.isFingerprint(record.fingerprint, digest: fingerprint ?? command.fingerprint) else { throw WriteRecords.reusedClientID(clientID) }
        return WriteReceipt(resultJSON: record.result, replayed: true)
    }

    /// The users a body mentions, each once, its author too (PROTOCOL.md exempts only `reply`
    /// from going to the writer): in the order their names first appear, a name that fits
    /// several users in user id order, then bots named with spaces in user id order. More than
    /// `MentionScanner.maximumMentions` refuse the write.
    static func mentions(in body: String, facts: WriteFacts) throws(GatewayError) -> [String] {
        var mentioned: [String] = []
        let named = facts.usersNamed.flatMap { $0.sorted() }
        let spaced = MentionScanner.spacedNames(in: body, among: facts.botsNamedWithSpaces).sorted()
        for userID in named + spaced where !mentioned.contains(userID) {
            mentioned.append(userID)
        }
        try MentionScanner.checkCount(mentioned.count)
        return mentioned
    }

    /// The post whose thread carries events about `target`, and who wrote `target`.
    private static func thread(of target: String, facts: WriteFacts) throws(GatewayError) -> WriteFacts.Item {
        guard target.hasPrefix("p_") || target.hasPrefix("c_") else { throw WriteRecords.badTarget }
        guard let item = facts.target else {
            throw target.hasPrefix("p_") ? WriteRecords.noSuchPost(target) : WriteRecords.noSuchComment(target)
        }
        return item
    }
}

/// What one write asks of the store (see `WriteRules`).
struct WriteQuestions: Sendable, Equatable {
    struct ReactionKey: Sendable, Equatable {
        var target: String
        var emoji: String
        var userID: String
    }

    /// What this `client_id` of the author was used for before.
    var clientID: String?
    /// The author of this post, if it exists and is not deleted.
    var livePost: String?
    /// The author and depth of this comment, if it is live and in `livePost`.
    var parent: String?
    /// The thread and author of this post or comment, if it and its post are live.
    var target: String?
    /// The users each `@name` may mean: the user with that id, the bot of that persona id, the bots of that name.
    var mentionCandidates: [String] = []
    /// The bots whose names have spaces (`@Night Owl` is not one word): asked when the body has an `@`.
    var botsNamedWithSpaces = false
    /// Whether this bot exists.
    var bot: String?
    /// Whether the author's reaction is on, and the target's count for the emoji.
    var reaction: ReactionKey?

    /// Whether answering takes more than the batch's `client_id` records.
    var readsDatabase: Bool { self != WriteQuestions(clientID: clientID) }

    mutating func askMentions(in body: String) {
        // Most bodies mention no one: one pass over the bytes answers both questions for them.
        guard body.utf8.contains(UInt8(ascii: "@")) else { return }
        mentionCandidates = MentionScanner.candidates(in: body)
        botsNamedWithSpaces = true
    }
}

/// The store's answers to `WriteQuestions`, read in the write's transaction.
struct WriteFacts: Sendable {
    struct ClientRecord: Sendable, Equatable {
        var fingerprint: String
        var result: String
    }

    struct Item: Sendable, Equatable {
        var postID: String
        var ownerID: String
    }

    var record: ClientRecord?
    /// The store has the author's row as it is now (same name, role and persona).
    var authorKnown = false
    var livePostAuthor: String?
    var parent: (authorID: String, depth: Int)?
    var target: Item?
    /// For each of `WriteQuestions.mentionCandidates` in order, the ids of the users it names.
    var usersNamed: [[String]] = []
    var botsNamedWithSpaces: [(id: String, name: String)] = []
    var botExists = false
    var reaction: (mine: Bool, count: Int) = (false, 0)
}

/// What the rules made of a write.
enum WriteDecision: Sendable {
    /// The `client_id` was used for this very write before: its ack again, nothing written.
    case replay(WriteReceipt)
    case apply(WritePlan)
}
