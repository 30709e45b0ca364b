/// A message from a client, decoded from its JSON (PROTOCOL.md sections 2, 3, 5 and 6).
public enum ClientMessage: Sendable, Equatable {
    case identify(token: String?)
    case ping(id: JSONValue?, t: JSONValue?)
    case subscribe(id: JSONValue?, stream: String, since: (offset: Int64, epoch: String)?)
    case unsubscribe(id: JSONValue?, stream: String)
    case write(id: JSONValue?, WriteCommand)
    case typing(id: JSONValue?, stream: String)
    case unknown(id: JSONValue?, op: String)

    public static func == (lhs: ClientMessage, rhs: ClientMessage) -> Bool {
        switch (lhs, rhs) {
        case (.identify(let a), .identify(let b)): a == b
        case (.ping(let i1, let t1), .ping(let i2, let t2)): i1 == i2 && t1 == t2
        case (.subscribe(let i1, let s1, let c1), .subscribe(let i2, let s2, let c2)):
            i1 == i2 && s1 == s2 && c1?.offset == c2?.offset && c1?.epoch == c2?.epoch
        case (.unsubscribe(let i1, let s1), .unsubscribe(let i2, let s2)): i1 == i2 && s1 == s2
        case (.write(let i1, let w1), .write(let i2, let w2)): i1 == i2 && w1 == w2
        case (.typing(let i1, let s1), .typing(let i2, let s2)): i1 == i2 && s1 == s2
        case (.unknown(let i1, let o1), .unknown(let i2, let o2)): i1 == i2 && o1 == o2
        default: false
        }
    }

    /// Why a frame could not be taken as a message at all.
    public enum FrameError: Error, Equatable {
        /// Not JSON, not an object, or no string `op`: close 4002.
        case notAnObjectWithOp(String)
        /// A well-formed message with bad fields (`bad_request`, or `too_large` for a body over the
        /// limit), echoing `id` when it was usable.
        case invalidRequest(op: String, id: JSONValue?, GatewayError)
    }

    public static func decode(_ document: JSONParser.MessageDocument, maximumBodyScalars: Int) throws(FrameError) -> ClientMessage {
        guard let fields = document.members else { throw .notAnObjectWithOp("The frame is not a JSON object.") }
        return try decode(fields, maximumBodyScalars: maximumBodyScalars, hasLoneSurrogate: document.loneSurrogateAt != nil)
    }

    /// A message built of JSON values (the HTTP API's request bodies and path parameters).
    public static func decode(_ value: JSONValue, maximumBodyScalars: Int) throws(FrameError) -> ClientMessage {
        guard case .object(let fields) = value else { throw .notAnObjectWithOp("The frame is not a JSON object.") }
        return try decode(JSONMembers(fields), maximumBodyScalars: maximumBodyScalars, hasLoneSurrogate: false)
    }

    /// - Parameter hasLoneSurrogate: a string of the message escapes a lone surrogate; the message
    ///   is answered `bad_request` (its frame was valid JSON text, so the session goes on).
    private static func decode(_ fields: JSONMembers, maximumBodyScalars: Int, hasLoneSurrogate: Bool) throws(FrameError) -> ClientMessage {
        guard let op = fields["op"]?.stringValue else {
            throw .notAnObjectWithOp("The frame has no string field \"op\".")
        }
        let reader = FieldReader(fields: fields)
        let id: JSONValue?
        switch fields["id"] {
        case nil, .null?: id = nil
        case .number(let text)?: id = .number(text)
        case .string(let text)?: id = .string(text)
        default: throw .invalidRequest(op: op, id: nil, .badRequest("Field \"id\" must be a number or a string."))
        }
        if hasLoneSurrogate {
            throw .invalidRequest(op: op, id: id, .badRequest(
                "A string in this message escapes a lone surrogate (like \"\\ud800\"), which is no character; send Unicode text."))
        }
        do throws(GatewayError) {
            // The most frequent ops first: `op` is compared with each case in turn.
            switch op {
            case "ping":
                return .ping(id: id, t: fields["t"])
            case "typing":
                return .typing(id: id, stream: try reader.string("stream"))
            case "comment":
                let postID = try reader.string("post_id")
                let parentID = try reader.optionalString("parent_id")
                let body = try TextRules.normalizeBody(try reader.string("body"), maximumScalars: maximumBodyScalars)
                let clientID = try reader.clientID(required: true)!
                return .write(id: id, .comment(postID: postID, parentID: parentID, body: body, clientID: clientID, generated: nil))
            case "post":
                let body = try TextRules.normalizeBody(try reader.string("body"), maximumScalars: maximumBodyScalars)
                let clientID = try reader.clientID(required: true)!
                let bots: Bool
                switch try reader.optionalString("bots") {
                case nil, "on"?: bots = true
                case "off"?: bots = false
                default: throw .badRequest("Field \"bots\" must be \"on\" or \"off\".")
                }
                return .write(id: id, .post(body: body, clientID: clientID, botsEnabled: bots, generated: nil))
            case "react":
                let target = try reader.string("target")
                let emoji = try reader.string("emoji")
                try TextRules.validateEmoji(emoji)
                return .write(id: id, .react(target: target, emoji: emoji, on: try reader.bool("on"), clientID: try reader.clientID(required: false)))
            case "delete":
                return .write(id: id, .delete(target: try reader.string("target"), clientID: try reader.clientID(required: false)))
            case "sub":
                let stream = try reader.string("stream")
                var since: (Int64, String)?
                if let sinceValue = fields["since"], sinceValue != .null {
                    guard case .object(let sinceFields) = sinceValue else {
                        throw .badRequest("Field \"since\" must be an object {\"offset\":N,\"epoch\":\"…\"}.")
                    }
                    let sinceReader = FieldReader(fields: JSONMembers(sinceFields), prefix: "since.")
                    let offset = try sinceReader.integer("offset")
                    guard offset >= 0 else { throw .badRequest("since.offset must be 0 or more.") }
                    since = (offset, try sinceReader.string("epoch"))
                }
                return .subscribe(id: id, stream: stream, since: since)
            case "unsub":
                return .unsubscribe(id: id, stream: try reader.string("stream"))
            case "identify":
                return .identify(token: try reader.optionalString("token"))
            case "mute":
                let bot = try reader.string("bot")
                let scopeText = try reader.string("scope")
                guard let scope = MuteScope(wireValue: scopeText) else {
                    throw .badRequest("Field \"scope\" must be \"all\" or \"thread:<post_id>\".")
                }
                return .write(id: id, .mute(bot: bot, scope: scope, on: try reader.bool("on"), clientID: try reader.clientID(required: false)))
            default:
                return .unknown(id: id, op: op)
            }
        } catch {
            throw .invalidRequest(op: op, id: id, error)
        }
    }
}

/// Reads typed fields from a JSON object, with messages that name the field.
struct FieldReader {
    let fields: JSONMembers
    var prefix = ""

    func string(_ name: StaticString) throws(GatewayError) -> String {
        guard let value = fields[name], value != .null else { throw .badRequest("Field \"\(prefix)\(name)\" is required.") }
        guard let text = value.stringValue else { throw .badRequest("Field \"\(prefix)\(name)\" must be a string.") }
        return text
    }

    func optionalString(_ name: StaticString) throws(GatewayError) -> String? {
        guard let value = fields[name], value != .null else { return nil }
        guard let text = value.stringValue else { throw .badRequest("Field \"\(prefix)\(name)\" must be a string.") }
        return text
    }

    func bool(_ name: StaticString) throws(GatewayError) -> Bool {
        guard let value = fields[name], value != .null else { throw .badRequest("Field \"\(prefix)\(name)\" is required.") }
        guard let flag = value.boolValue else { throw .badRequest("Field \"\(prefix)\(name)\" must be true or false.") }
        return flag
    }

    func integer(_ name: StaticString) throws(GatewayError) -> Int64 {
        guard let value = fields[name], value != .null else { throw .badRequest("Field \"\(prefix)\(name)\" is required.") }
        guard let number = value.int64Value else {
            throw .badRequest("Field \"\(prefix)\(name)\" must be a whole number within 64 bits.")
        }
        return number
    }

    func clientID(required: Bool) throws(GatewayError) -> String? {
        guard let clientID = try optionalString("client_id") else {
            if required { throw .badRequest("Field \"client_id\" is required on this op; it makes retries safe.") }
            return nil
        }
        try TextRules.validateClientID(clientID)
        return clientID
    }
}
