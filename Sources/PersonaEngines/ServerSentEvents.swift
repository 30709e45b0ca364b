import Persona

/// One Server-Sent Event (the WHATWG HTML "event stream" format): what a blank line dispatches.
public struct ServerSentEvent: Sendable, Equatable {
    /// `event:`; "message" when the stream does not name one.
    public var name: String
    /// The `data:` lines joined by newlines.
    public var data: String

    public init(name: String = "message", data: String) {
        self.name = name
        self.data = data
    }
}

/// Parses an event stream by events, not by network reads: bytes arrive in arbitrary pieces (a
/// line, a UTF-8 sequence or a CRLF may be split between two reads), and only complete lines are
/// decoded. Comments (`: keep-alive`) and `id:`/`retry:` fields are read and ignored.
public struct ServerSentEventParser: Sendable {
    /// A line longer than this is a broken or hostile stream, not a chunk of a reply.
    public static let maximumLineBytes = 1 << 20

    public enum Failure: Error, Equatable {
        case lineTooLong
    }

    private var line: [UInt8] = []
    private var dataLines: [String] = []
    private var eventName = ""
    private var sawData = false
    private var lastWasCR = false
    private var atStart = true

    public init() {}

    /// Feeds the next bytes; returns the events they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(Failure) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if byte == 0x0A, lastWasCR {
                // The LF of a CRLF whose CR already ended the line.
                lastWasCR = false
                continue
            }
            lastWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                if let event = endLine() { events.append(event) }
                continue
            }
            guard line.count < Self.maximumLineBytes else { throw .lineTooLong }
            line.append(byte)
        }
        return events
    }

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if atStart {
            atStart = false
            // A UTF-8 byte order mark may open the stream.
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        if line.isEmpty {
            guard sawData else {
                eventName = ""
                return nil
            }
            let event = ServerSentEvent(name: eventName.isEmpty ? "message" : eventName, data: dataLines.joined(separator: "\n"))
            dataLines.removeAll()
            sawData = false
            eventName = ""
            return event
        }
        if line[0] == UInt8(ascii: ":") { return nil }
        let field: String
        let value: String
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: line[..<colon], as: UTF8.self)
            var start = colon + 1
            if start < line.count, line[start] == UInt8(ascii: " ") { start += 1 }
            value = String(decoding: line[start...], as: UTF8.self)
        } else {
            field = String(decoding: line, as: UTF8.self)
            value = ""
        }
        switch field {
        case "data":
            dataLines.append(value)
            sawData = true
        case "event":
            eventName = value
        default:
            // id, retry and unknown fields mean nothing for a chat completion.
            break
        }
        return nil
    }
}
