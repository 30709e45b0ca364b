/// The JSON text of every message the server sends (PROTOCOL.md sections 2 to 9), built with
/// `op` first so that frames read well in a capture.
public enum ServerFrame {
    public static func hello(heartbeatMilliseconds: Int, maxMessageBytes: Int, server: String) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("op", "hello")
        writer.field("v", 1)
        writer.field("heartbeat_ms", heartbeatMilliseconds)
        writer.field("max_message_bytes", maxMessageBytes)
        writer.field("server", server)
        writer.endObject()
        return writer.bytes
    }

    public static func ready(sessionID: String, user: User?, readOnly: Bool) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("op", "ready")
        writer.field("session_id", sessionID)
        writer.key("user")
        if let user { user.write(to: &writer) } else { writer.null() }
        writer.field("read_only", readOnly)
        writer.endObject()
        return writer.bytes
    }

    /// The answer to a `ping`: its `t`, and its `id` when it had one, as every answer echoes it
    /// (PROTOCOL.md section 3).
    public static func pong(id: JSONValue?, t: JSONValue?) -> [UInt8] {
        var writer = JSONWriter(capacity: 32)
        writer.beginObject()
        writer.field("op", "pong")
        writeID(id, to: &writer)
        if let t {
            writer.key("t")
            t.write(to: &writer)
        }
        writer.endObject()
        return writer.bytes
    }

    public static func ack(id: JSONValue?, resultJSON: String) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("op", "ack")
        writeID(id, to: &writer)
        writer.key("result")
        writer.raw(resultJSON)
        writer.endObject()
        return writer.bytes
    }

    public static func error(id: JSONValue?, _ error: GatewayError) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("op", "error")
        writeID(id, to: &writer)
        writer.field("code", error.code.rawValue)
        writer.field("message", error.message)
        if let retryAfter = error.retryAfterMilliseconds {
            writer.field("retry_after_ms", retryAfter)
        }
        writer.endObject()
        return writer.bytes
    }

    public static func subscribed(id: JSONValue?, stream: String, offset: Int64, epoch: String, recovered: Bool) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("op", "subscribed")
        writeID(id, to: &writer)
        writer.field("stream", stream)
        writer.field("offset", offset)
        writer.field("epoch", epoch)
        writer.field("recovered", recovered)
        writer.endObject()
        return writer.bytes
    }

    public static func unsubscribed(id: JSONValue?, stream: String) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("op", "unsubscribed")
        writeID(id, to: &writer)
        writer.field("stream", stream)
        writer.endObject()
        return writer.bytes
    }

    public static func typing(stream: String, user: User) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("op", "typing")
        writer.field("stream", stream)
        writer.key("user")
        user.write(to: &writer)
        writer.endObject()
        return writer.bytes
    }

    private static func writeID(_ id: JSONValue?, to writer: inout JSONWriter) {
        guard let id else { return }
        writer.key("id")
        id.write(to: &writer)
    }
}
