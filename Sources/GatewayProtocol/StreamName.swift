/// A stream of PROTOCOL.md section 4.
public enum StreamName: Sendable, Hashable, CustomStringConvertible {
    case feed
    case thread(postID: String)
    case user(userID: String)

    public init?(_ text: String) {
        if text == "feed" {
            self = .feed
        } else if text.hasPrefix("thread:") {
            let postID = String(text.dropFirst("thread:".count))
            guard postID.hasPrefix("p_"), postID.count > 2, postID.count <= 64 else { return nil }
            self = .thread(postID: postID)
        } else if text.hasPrefix("user:") {
            let userID = String(text.dropFirst("user:".count))
            guard !userID.isEmpty, userID.utf8.count <= 256 else { return nil }
            self = .user(userID: userID)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .feed: "feed"
        case .thread(let postID): "thread:\(postID)"
        case .user(let userID): "user:\(userID)"
        }
    }
}
