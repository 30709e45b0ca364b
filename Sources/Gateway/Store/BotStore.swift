public import GatewayProtocol

/// One decision a persona's runner made about an item, for the decision log.
public struct BotDecision: Sendable, Equatable {
    public var persona: String
    public var at: Timestamp
    /// The trigger considered (`new_post`, `mention`, …).
    public var trigger: String
    /// The post or comment it was about.
    public var itemID: String
    public var postID: String
    /// `replied`, `skipped`, `silent`, `failed`.
    public var outcome: String
    /// The rule or reason that decided it (`limits.per_thread.replies`, `mute`, `bots: off` …).
    public var rule: String
    public var detail: String
    /// The situation the item was read as (`grief`, `celebration+question` …), empty when the
    /// decision came before reading it.
    public var situation: String

    public init(persona: String, at: Timestamp, trigger: String, itemID: String, postID: String, outcome: String, rule: String, detail: String,
                situation: String = "") {
        self.situation = situation
        self.persona = persona
        self.at = at
        self.trigger = trigger
        self.itemID = itemID
        self.postID = postID
        self.outcome = outcome
        self.rule = rule
        self.detail = detail
    }
}

/// Something moderators should look at: a post or comment read as self-harm, or a bot reply
/// refused because it did not fit what it answered. One per item and reason (and persona, for a
/// refused reply); a later event about the same item updates what the bot did.
public struct ModerationFlag: Sendable, Equatable {
    public enum Reason: String, Sendable { case selfHarm = "self_harm", unfitReply = "unfit_reply" }

    public var at: Timestamp
    public var reason: Reason
    public var situation: String
    public var itemID: String
    public var postID: String
    public var persona: String
    /// What the bots did about it, in words.
    public var botAction: String
    /// The fit rule that refused a reply; empty for a self-harm flag.
    public var rule: String
    /// The item's text.
    public var text: String

    public init(at: Timestamp, reason: Reason, situation: String, itemID: String, postID: String, persona: String = "", botAction: String,
                rule: String = "", text: String) {
        self.at = at
        self.reason = reason
        self.situation = situation
        self.itemID = itemID
        self.postID = postID
        self.persona = persona
        self.botAction = botAction
        self.rule = rule
        self.text = text
    }

    /// One flag per item and reason, and per persona for refused replies.
    public var key: String { "\(itemID)/\(reason.rawValue)" + (reason == .unfitReply ? "/\(persona)" : "") }
}

/// What a bot needs to know about the item it might answer.
public struct ThreadContext: Sendable {
    public var post: Post
    /// The comment being answered, when it is not the post.
    public var comment: Comment?
    /// The items from the one being answered back to the post (the post last).
    public var chain: [Link]

    public struct Link: Sendable {
        public var author: User
        public var body: String
    }

    /// Who wrote each item of the chain: true for a bot.
    public var chainIsBot: [Bool] { chain.map { $0.author.kind == .bot } }
    /// The user ids of the chain's authors.
    public var chainAuthors: [String] { chain.map(\.author.id) }
}

/// The store's part in running bots: their records survive restarts, so limits do too.
public protocol BotStore: Sendable {
    /// Replies personas made since `since`, oldest first, to rebuild the limits.
    func botReplies(since: Timestamp) async throws(GatewayError) -> [(persona: String, postID: String, addressee: String, at: Timestamp)]
    func record(_ decision: BotDecision) async
    func decisions(persona: String, limit: Int) async throws(GatewayError) -> [BotDecision]
    func pausedPersonas() async throws(GatewayError) -> Set<String>
    func setPaused(_ persona: String, _ paused: Bool) async throws(GatewayError)
    /// Whether `userID` muted `botID` everywhere or in this thread.
    func isMuted(botID: String, by userID: String, postID: String) async throws(GatewayError) -> Bool
    func context(postID: String, commentID: String?) async throws(GatewayError) -> ThreadContext
    /// The newest live post's time and text, nil for an empty feed.
    func latestPost() async throws(GatewayError) -> (at: Timestamp, body: String)?
    /// The ids of the items a persona decided about since `since` (replied, skipped, …).
    func decidedItems(persona: String, since: Timestamp) async throws(GatewayError) -> Set<String>
    /// `post.created` and `comment.created` events committed since `since`, in commit order: what
    /// a node that takes a persona over reads to answer what arrived while no node owned it.
    func recentItems(since: Timestamp) async throws(GatewayError) -> [StoredEvent]
    /// Posts personas wrote (openers) since `since`, oldest first.
    func openers(since: Timestamp) async throws(GatewayError) -> [(persona: String, at: Timestamp, body: String)]
    /// Raises a flag for moderators, or updates what the bots did about one already raised.
    func raise(_ flag: ModerationFlag) async
    /// Flags, newest first.
    func flags(limit: Int) async throws(GatewayError) -> [ModerationFlag]
}
