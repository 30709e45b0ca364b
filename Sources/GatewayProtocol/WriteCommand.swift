/// A write a participant asks for, over WebSocket or HTTP, already checked for shape.
public enum WriteCommand: Sendable, Equatable {
    case post(body: String, clientID: String, botsEnabled: Bool, generated: Comment.Generated?)
    case comment(postID: String, parentID: String?, body: String, clientID: String, generated: Comment.Generated?)
    case react(target: String, emoji: String, on: Bool, clientID: String?)
    case delete(target: String, clientID: String?)
    case mute(bot: String, scope: MuteScope, on: Bool, clientID: String?)

    public var clientID: String? {
        switch self {
        case .post(_, let clientID, _, _), .comment(_, _, _, let clientID, _): clientID
        case .react(_, _, _, let clientID), .delete(_, let clientID), .mute(_, _, _, let clientID): clientID
        }
    }

    public var opName: String {
        switch self {
        case .post: "post"
        case .comment: "comment"
        case .react: "react"
        case .delete: "delete"
        case .mute: "mute"
        }
    }

    /// The write's content as one text: a repeated `client_id` whose write has the same text is
    /// the same write. It holds the body; stores keep a digest of it (the gateway's `fingerprint`).
    public var canonicalText: String {
        let separator = "\u{1F}"
        return switch self {
        case .post(let body, _, let bots, _): ["post", body, bots ? "on" : "off"].joined(separator: separator)
        case .comment(let postID, let parentID, let body, _, _):
            ["comment", postID, parentID ?? "", body].joined(separator: separator)
        case .react(let target, let emoji, let on, _): ["react", target, emoji, on ? "1" : "0"].joined(separator: separator)
        case .delete(let target, _): ["delete", target].joined(separator: separator)
        case .mute(let bot, let scope, let on, _): ["mute", bot, scope.wireValue, on ? "1" : "0"].joined(separator: separator)
        }
    }
}

/// Where a user's mute of a bot applies.
public enum MuteScope: Sendable, Equatable, Hashable {
    case thread(postID: String)
    case all

    public var wireValue: String {
        switch self {
        case .thread(let postID): "thread:\(postID)"
        case .all: "all"
        }
    }

    public init?(wireValue: String) {
        if wireValue == "all" {
            self = .all
        } else if wireValue.hasPrefix("thread:p_"), wireValue.count > "thread:p_".count {
            self = .thread(postID: String(wireValue.dropFirst("thread:".count)))
        } else {
            return nil
        }
    }
}
