/// A strict RFC 8259 JSON parser over UTF-8 bytes.
///
/// It exists, rather than Foundation's decoder, for three reasons: numbers keep their exact text
/// (request ids are echoed verbatim), nesting depth is bounded so hostile input cannot exhaust the
/// stack, and every failure is a value rather than a crash. Input is assumed to be valid UTF-8
/// (the WebSocket layer checks that first); invalid sequences inside strings are still rejected.
public struct JSONParser {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public let offset: Int
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Deep enough for any message of this protocol, shallow enough to never threaten the stack.
    public static let maximumDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    /// Where the first lone surrogate escape was read, if one was.
    private var loneSurrogateAt: Int?

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// JSON text and where a `\u` escape in it names a lone surrogate, if one does. Such a
    /// document is valid JSON text whose strings are not Unicode scalars (each lone surrogate reads
    /// as U+FFFD here): a protocol message like that is refused as a request, not as a frame.
    public struct Document {
        public var value: JSONValue
        public var loneSurrogateAt: Int?
    }

    /// Parses a document, allowing lone surrogate escapes and reporting the first.
    public static func parseDocument(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Document {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected text after the JSON value") }
        return Document(value: value, loneSurrogateAt: parser.loneSurrogateAt)
    }

    /// A client message's document: its top-level object's members read into a list, in order,
    /// rather than a dictionary (a message has a handful of fields and the decoder reads each once;
    /// hashing every key cost more than the rest of the decode).
    public struct MessageDocument {
        /// Nil when the value is valid JSON but not an object.
        public var members: JSONMembers?
        public var loneSurrogateAt: Int?
    }

    /// Parses a document as `parseDocument` does, keeping a top-level object's members in order.
    public static func parseMessage(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> MessageDocument {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        var members: JSONMembers?
        if parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "{") {
            var list = JSONMembers()
            try parser.parseMembers(depth: 1) { key, value in list.append(JSONMembers.Key(key), value) }
            members = list
        } else {
            _ = try parser.parseValue(depth: 0)
        }
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected text after the JSON value") }
        return MessageDocument(members: members, loneSurrogateAt: parser.loneSurrogateAt)
    }

    /// Parses a document whose strings must all be Unicode scalars.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> JSONValue {
        let document = try parseDocument(bytes)
        if let offset = document.loneSurrogateAt { throw Failure(reason: "unpaired surrogate in \\u escape", offset: offset) }
        return document.value
    }

    public static func parse(_ text: String) throws(Failure) -> JSONValue {
        var copy = text
        let result = copy.withUTF8 { buffer in
            Result { () throws(Failure) in try parse(UnsafeRawBufferPointer(buffer)) }
        }
        return try result.get()
    }

    private func failure(_ reason: String) -> Failure {
        Failure(reason: reason, offset: index)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw failure("unexpected end of input") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw failure("invalid literal")
        }
        index += count
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> JSONValue {
        var members: [String: JSONValue] = [:]
        try parseMembers(depth: depth) { key, value in members[key.text] = value }
        return .object(members)
    }

    /// Reads an object's members, in order, handing each to `add`.
    private mutating func parseMembers(depth: Int, _ add: (Key, JSONValue) -> Void) throws(Failure) {
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a string key") }
            let key = try parseKey()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            index += 1
            skipWhitespace()
            add(key, try parseValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(items)
            default: throw failure("expected ',' or ']'")
            }
        }
    }

    private mutating func parseNumber() throws(Failure) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw failure("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(bytes[index]) {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        } else {
            throw failure("invalid number")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// An object's key as read: its bytes when it is plain ASCII (most are, and a message's
    /// decoder compares them without making a string of each), or its decoded text.
    enum Key {
        case ascii(UnsafeRawBufferPointer)
        case decoded(String)

        var text: String {
            switch self {
            case .ascii(let bytes): String(decoding: bytes, as: UTF8.self)
            case .decoded(let text): text
            }
        }
    }

    private mutating func parseKey() throws(Failure) -> Key {
        let start = index + 1
        var end = start
        // A word at a time to the first byte that may end plain ASCII: a key is usually within
        // one word, and its closing quote is then found without a loop.
        while end + 8 <= bytes.count {
            let word = ByteLanes.load(bytes, at: end)
            let stops = ByteLanes.nonASCII(word) | ByteLanes.jsonStringStops(word)
            guard stops != 0 else {
                end += 8
                continue
            }
            end += ByteLanes.firstLane(stops)
            guard bytes[end] == UInt8(ascii: "\"") else { return .decoded(try parseString()) }
            index = end + 1
            return .ascii(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        }
        while end < bytes.count, bytes[end] >= 0x20, bytes[end] < 0x80, bytes[end] != UInt8(ascii: "\\") {
            if bytes[end] == UInt8(ascii: "\"") {
                index = end + 1
                return .ascii(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            }
            end += 1
        }
        return .decoded(try parseString())
    }

    private mutating func parseString() throws(Failure) -> String {
        index += 1
        let start = index
        // Fast path: no escapes; ASCII text needs no UTF-8 validation. Text is skipped eight
        // bytes at a time to the first quote, backslash or control, noting whether any byte
        // was not ASCII.
        var seen: UInt64 = 0
        while index + 8 <= bytes.count {
            let word = ByteLanes.load(bytes, at: index)
            let stops = ByteLanes.jsonStringStops(word)
            guard stops != 0 else {
                seen |= word
                index += 8
                continue
            }
            let lane = ByteLanes.firstLane(stops)
            seen |= ByteLanes.lanes(before: lane, of: word)
            index += lane
            break
        }
        while index < bytes.count {
            let byte = bytes[index]
            seen |= UInt64(byte)
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if ByteLanes.nonASCII(seen) == 0 { return String(decoding: slice, as: UTF8.self) }
                guard let text = String(validating: slice, as: UTF8.self) else { throw failure("invalid UTF-8 in string") }
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw failure("control character in string") }
            index += 1
        }
        var scalars: [UInt8] = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: scalars, as: UTF8.self) else { throw failure("invalid UTF-8 in string") }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw failure("unexpected end of input") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append(0x22)
                case UInt8(ascii: "\\"): scalars.append(0x5C)
                case UInt8(ascii: "/"): scalars.append(0x2F)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try parseUnicodeEscape()
                    scalars.append(contentsOf: String(Character(scalar)).utf8)
                default: throw failure("invalid escape")
                }
            default:
                if byte < 0x20 { throw failure("control character in string") }
                scalars.append(byte)
                index += 1
            }
        }
        throw failure("unterminated string")
    }

    private mutating func parseHexQuad() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseUnicodeEscape() throws(Failure) -> Unicode.Scalar {
        let start = index
        let high = try parseHexQuad()
        if (0xD800...0xDBFF).contains(high), index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
            let afterHigh = index
            index += 2
            let low = try parseHexQuad()
            if (0xDC00...0xDFFF).contains(low), let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) {
                return scalar
            }
            // The next escape is not this one's pair: it is read on its own.
            index = afterHigh
        }
        if let scalar = Unicode.Scalar(high) { return scalar }
        if loneSurrogateAt == nil { loneSurrogateAt = start }
        return "\u{FFFD}"
    }
}
