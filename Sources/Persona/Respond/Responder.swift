/// What a persona is asked to write: a reply to a post or comment, or an opener of its own.
public struct ReplyRequest: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A comment on the post, or on `parent` when it is set.
        case reply
        /// A post of its own for a quiet feed.
        case opener
    }

    public var persona: Persona
    public var kind: Kind
    /// The post's text (empty for an opener).
    public var post: String
    /// The comment being answered, when it is not the post.
    public var parent: String?
    /// The language to write in.
    public var language: TextScript.Language
    /// 1 for the first try; more on regenerate.
    public var attempt: Int
    /// Why the last attempt was refused, so the next one can avoid it.
    public var previousFailure: Violation?
    /// Makes the offline engine's choices repeatable.
    public var seed: UInt64
    /// Texts not to write again (recent openers).
    public var avoid: [String] = []
    /// The thread from the post down to the item being answered, oldest first, for engines that
    /// read context; empty means just `post` and `parent`.
    public var thread: [ThreadMessage] = []
    /// The situation of what it answers, and what the persona may do in it: engines write for it
    /// and the fit check holds them to it.
    public var reading = SituationReading()
    public var action = SituationAction.reply
    /// The operator's support text in the reply's language, for `self_harm`.
    public var support: String?
    /// Someone spoke to the persona directly (a mention, a reply to it).
    public var addressed = false

    public init(persona: Persona, kind: Kind = .reply, post: String, parent: String? = nil, language: TextScript.Language,
                attempt: Int = 1, previousFailure: Violation? = nil, seed: UInt64 = 0) {
        self.persona = persona
        self.kind = kind
        self.post = post
        self.parent = parent
        self.language = language
        self.attempt = attempt
        self.previousFailure = previousFailure
        self.seed = seed
    }

    /// The text being answered: the parent comment, or the post.
    public var target: String { parent ?? post }
}

/// One item of a thread as a model sees it.
public struct ThreadMessage: Sendable, Equatable {
    /// The author's display name.
    public var author: String
    /// Written by the persona that is answering: the model's own earlier turn.
    public var byPersona: Bool
    public var text: String

    public init(author: String, byPersona: Bool, text: String) {
        self.author = author
        self.byPersona = byPersona
        self.text = text
    }
}

/// A reply engine: the offline one built in, or a language model (`OpenAIResponder`). Replies
/// stream as text pieces, which the incremental checker releases as they pass.
public protocol Responder: Sendable {
    /// `offline` or `openai`, for the comment's `generated` label.
    var engine: String { get }
    /// The model name for the label.
    var model: String { get }
    func reply(to request: ReplyRequest) -> AsyncThrowingStream<String, any Error>
}

/// A small, fast, seedable random number generator (SplitMix64): the same seed gives the same
/// sequence on every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<1.
    public mutating func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    /// A stable 64-bit hash of text (FNV-1a), unlike `hashValue`, which changes per process.
    public static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return hash
    }
}
