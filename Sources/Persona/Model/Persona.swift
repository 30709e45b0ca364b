/// A persona as its file describes it (PERSONA.md), after validation and after the platform
/// policy's floor has been applied.
public struct Persona: Sendable, Equatable {
    public var id: String
    public var name: String
    public var bio: String
    public var enabled: Bool
    public var voice: Voice
    public var triggers: Triggers
    public var limits: Limits
    public var tone: Tone
    public var responder: ResponderSettings
    /// What it does in each situation where its file says (`situations:`); the platform's floor
    /// and the style's default decide the rest (`SituationPolicy.action`).
    public var situations: [Situation: SituationAction] = [:]
    /// Where it was loaded from, for messages.
    public var source: String
    /// A card's tags, kept for listings and search.
    public var tags: [String] = []

    public init(id: String, name: String, bio: String = "", enabled: Bool = true, voice: Voice = .init(), triggers: Triggers = .init(),
                limits: Limits = .init(), tone: Tone = .init(), responder: ResponderSettings = .init(), source: String = "") {
        self.id = id
        self.name = name
        self.bio = bio
        self.enabled = enabled
        self.voice = voice
        self.triggers = triggers
        self.limits = limits
        self.tone = tone
        self.responder = responder
        self.source = source
    }

    /// The bot account's user id (PROTOCOL.md section 4).
    public var botUserID: String { "b_\(id)" }
}

public struct Voice: Sendable, Equatable {
    public enum Style: String, Sendable, CaseIterable { case formal, neutral, playful, deadpan }

    /// The languages `voice.language` may name: those the offline engine writes and the language
    /// check can verify, with `match` (the language of what is answered).
    public static let languages: [String: TextScript.Language] = [
        "en": .english, "en-US": .english, "en-GB": .english,
        "zh": .chinese, "zh-CN": .chinese, "zh-TW": .chinese, "zh-Hans": .chinese, "zh-Hant": .chinese,
    ]

    /// The fixed language of this voice, nil for `match`.
    public var fixedLanguage: TextScript.Language? { Self.languages[language] }

    public struct Example: Sendable, Equatable {
        public var post: String
        public var reply: String

        public init(post: String, reply: String) {
            self.post = post
            self.reply = reply
        }
    }

    public var style: Style = .neutral
    /// `match` answers in the language of what it answers; otherwise a language code (zh, en …).
    public var language: String = "match"
    public var systemPrompt: String = ""
    public var examples: [Example] = []
    public var knowledge: [String] = []
    /// The author's own wording per situation and language (`voice.phrases`), used by the offline
    /// engine instead of its built-in phrasebook.
    public var phrases: [Situation: [TextScript.Language: [String]]] = [:]
    /// The persona's own posts for a quiet feed (a card's `first_mes` and `alternate_greetings`);
    /// the offline engine picks among them before its built-in questions.
    public var openers: [String] = []

    public init() {}
}

public struct Triggers: Sendable, Equatable {
    public struct NewPost: Sendable, Equatable {
        public var chance: Double
        public var delay: DelayRange

        public init(chance: Double, delay: DelayRange) {
            self.chance = chance
            self.delay = delay
        }
    }

    public struct QuietFeed: Sendable, Equatable {
        public var after: Duration
        public var maxPerDay: Int

        public init(after: Duration, maxPerDay: Int) {
            self.after = after
            self.maxPerDay = maxPerDay
        }
    }

    public var newPost: NewPost?
    public var mention = true
    public var replyToMe = true
    public var keywords: [String] = []
    public var replyDelay = DelayRange(.seconds(1), .seconds(3))
    public var quietFeed: QuietFeed?
    public var ignoreBots = true
    public var maxDepth = 3

    public init() {}
}

public struct Limits: Sendable, Equatable {
    public struct PerThread: Sendable, Equatable {
        public var replies: Int
        public var cooldown: Duration

        public init(replies: Int, cooldown: Duration) {
            self.replies = replies
            self.cooldown = cooldown
        }
    }

    public var replies = Rate(count: 30, period: .seconds(60), burst: 30)
    public var perThread = PerThread(replies: 3, cooldown: .seconds(60))
    public var perUser = Rate(count: 5, period: .seconds(60), burst: 5)
    public var botChain = 2

    public init() {}
}

public struct Tone: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable { case regenerate, trim, drop }

    public var maxChars = 280
    public var maxEmoji = 3
    public var bannedPhrases: [String] = []
    public var avoidTopics: [String] = []
    public var links = false
    public var onViolation = Action.regenerate
    public var maxAttempts = 2
    public var fallback: String?

    public init() {}
}

public struct ResponderSettings: Sendable, Equatable {
    public enum Engine: String, Sendable, CaseIterable { case offline, openai }
    public enum FallbackEngine: String, Sendable, CaseIterable { case offline, none }

    public var engine = Engine.offline
    public var baseURL: String?
    public var model: String?
    public var apiKeyEnvironment: String?
    public var temperature: Double?
    public var maxTokens: Int?
    /// One request, from connecting to the stream's end.
    public var timeout: Duration = .seconds(20)
    /// All tries of one reply together, waits between them included.
    public var deadline: Duration = .seconds(45)
    /// Tries after the first, on connection errors, timeouts, 429 and 5xx.
    public var maxRetries = 2
    /// Requests this persona may have in flight at once; more wait their turn.
    public var maxConcurrency = 4
    /// Characters of thread context sent with a reply (the newest kept).
    public var contextBudget = 6000
    /// Tokens (prompt and completion, as the provider reports them) this persona may spend per
    /// UTC day; past it the fallback engine answers until midnight. nil: no cap.
    public var maxTokensPerDay: Int?
    public var fallbackEngine = FallbackEngine.offline
    /// Provider-specific body fields, sent as they are typed in the file.
    public var extraBody: [String: JSONLiteral] = [:]

    public init() {}

    /// The model name shown in a comment's `generated` label.
    public var modelLabel: String {
        engine == .offline ? "offline-v1" : (model ?? "")
    }
}
