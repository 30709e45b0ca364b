import GatewayProtocol

/// What a write produces, the same whichever store applies it: the ack results, the data of the
/// events, and the errors a client reads.
enum WriteRecords {
    static func noSuchPost(_ id: String) -> GatewayError { .notFound("There is no post \(id) (it may have been deleted).") }
    static func noSuchComment(_ id: String) -> GatewayError { .notFound("There is no comment \(id) (it may have been deleted).") }
    static func noSuchParent(_ id: String, postID: String) -> GatewayError {
        .notFound("There is no comment \(id) in post \(postID) (it may have been deleted).")
    }
    static func noSuchBot(_ id: String) -> GatewayError { .notFound("There is no bot \(id); bot ids look like b_<persona id>.") }
    static let badTarget = GatewayError.badRequest("target must be a post id (p_…) or a comment id (c_…).")
    static func notAllowedToDelete(_ target: String) -> GatewayError {
        .forbidden("Only the author, a moderator or an admin may delete \(target).")
    }
    static func reusedClientID(_ clientID: String) -> GatewayError {
        GatewayError(.conflict, "client_id \"\(clientID)\" was already used for a different write; use a new client_id for new content.")
    }

    static func json(_ body: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        body(&writer)
        return writer.text
    }

    /// The ack of a new post or comment is `{"post"|"comment":{…},"offset":N}`. Its text up to
    /// the offset is made here, around the item's JSON as its event carries it (encoded once);
    /// `completed` adds the offset. (The PostgreSQL store completes it the same way inside the
    /// statement that assigns the offset.)
    static func createdResultPrefix(_ key: String, itemJSON: String) -> String {
        json { writer in
            writer.beginObject()
            writer.key(key)
            writer.raw(itemJSON)
            writer.key("offset")
        }
    }

    static func completed(_ prefix: String, offset: Int64) -> String { prefix + "\(offset)}" }

    /// The data of a `reply` or `mention` event.
    static func notice(postID: String, commentID: String?, by author: User) -> String {
        json { writer in
            writer.beginObject()
            writer.field("post_id", postID)
            writer.field("comment_id", commentID)
            writer.key("by")
            author.write(to: &writer)
            writer.endObject()
        }
    }

    static func reactionChanged(target: String, emoji: String, count: Int, userID: String, on: Bool) -> String {
        json { writer in
            writer.beginObject()
            writer.field("target", target)
            writer.field("emoji", emoji)
            writer.field("count", count)
            writer.field("user_id", userID)
            writer.field("on", on)
            writer.endObject()
        }
    }

    static func deleted(id: String, postID: String? = nil) -> String {
        json { writer in
            writer.beginObject()
            writer.field("id", id)
            if let postID { writer.field("post_id", postID) }
            writer.endObject()
        }
    }

    /// `json` with every object whose `id` is `target` emptied of its body and marked deleted;
    /// nil when nothing in it is `target`.
    static func erasing(_ target: String, in json: String) -> String? {
        guard json.contains(target), let value = try? JSONParser.parse(json) else { return nil }
        func erase(_ value: JSONValue) -> JSONValue {
            switch value {
            case .object(var members):
                if members["id"] == .string(target) {
                    members["body"] = .string("")
                    members["deleted"] = .bool(true)
                }
                return .object(members.mapValues(erase))
            case .array(let items):
                return .array(items.map(erase))
            default:
                return value
            }
        }
        return Self.json { erase(value).write(to: &$0) }
    }

    static func reactionResult(count: Int) -> String { "{\"count\":\(count)}" }
}
