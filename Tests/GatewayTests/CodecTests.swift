import Foundation
import NIOCore
import Synchronization
import Testing
@testable import Gateway
import Persona
@testable import GatewayProtocol

@Suite("Wire codec", .stopsServers)
struct CodecTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test("numbers keep their exact text, so ids echo verbatim")
    func numbersKeepText() throws {
        let value = try parse(#"{"id":12345678901234567890123,"f":-0.5e+10,"z":0}"#)
        #expect(value["id"] == .number("12345678901234567890123"))
        #expect(value["f"] == .number("-0.5e+10"))
        #expect(value["z"]?.int64Value == 0)
    }

    @Test("strings decode escapes and surrogate pairs", arguments: [
        (#""a\"b\\c\/\n\t""#, "a\"b\\c/\n\t"),
        (#""\u00e9\u4e2d""#, "é中"),
        (#""\ud83d\ude00""#, "😀"),
    ])
    func strings(input: String, expected: String) throws {
        #expect(try parse(input) == .string(expected))
    }

    @Test("malformed JSON is refused with a reason", arguments: [
        "", "{", "{\"a\":}", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"\\x\"", "\"\\ud800\"", "\"a\u{01}\"", "{} x", "NaN",
        "{'a':1}",
    ])
    func malformed(input: String) {
        #expect(throws: JSONParser.Failure.self) { try parse(input) }
    }

    @Test("nesting is bounded")
    func nesting() throws {
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(throws: JSONParser.Failure.self) { try parse(deep) }
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        _ = try parse(fine)
    }

    @Test("writer escapes what JSON requires and parses back")
    func writerRoundTrip() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("s", "quote\" back\\ nl\n ctl\u{01} 中文 😀")
        writer.field("n", Int64.max)
        writer.key("a")
        writer.beginArray()
        writer.separator(); writer.bool(true)
        writer.separator(); writer.null()
        writer.endArray()
        writer.endObject()
        let value = try parse(writer.text)
        #expect(value["s"] == .string("quote\" back\\ nl\n ctl\u{01} 中文 😀"))
        #expect(value["n"]?.int64Value == Int64.max)
        #expect(value["a"] == .array([.bool(true), .null]))
    }

    func decode(_ text: String) throws(ClientMessage.FrameError) -> ClientMessage {
        let parsed: JSONValue
        do { parsed = try parse(text) } catch { throw .notAnObjectWithOp("bad json") }
        return try ClientMessage.decode(parsed, maximumBodyScalars: 4000)
    }

    @Test("frames that are not objects with a string op are fatal (4002)", arguments: [
        "[]", "1", "\"op\"", "{}", #"{"op":1}"#, #"{"op":null}"#,
    ])
    func notObjects(input: String) {
        #expect(throws: ClientMessage.FrameError.self) { try decode(input) }
        do { _ = try decode(input) } catch {
            guard case .notAnObjectWithOp = error else { Issue.record("expected notAnObjectWithOp, got \(error)"); return }
        }
    }

    @Test("bad fields name the field and keep the id")
    func badFields() {
        do {
            _ = try decode(#"{"op":"post","id":"r1","body":42,"client_id":"c"}"#)
            Issue.record("expected an error")
        } catch {
            guard case .invalidRequest(let op, let id, let error) = error else { Issue.record("\(error)"); return }
            #expect(op == "post")
            #expect(id == .string("r1"))
            #expect(error.code == .badRequest)
            #expect(error.message.contains("body"))
        }
    }

    @Test("ops decode into typed messages")
    func ops() throws {
        #expect(try decode(#"{"op":"identify"}"#) == .identify(token: nil))
        #expect(try decode(#"{"op":"sub","id":1,"stream":"feed","since":{"offset":4,"epoch":"e_x"}}"#)
            == .subscribe(id: .number("1"), stream: "feed", since: (4, "e_x")))
        #expect(try decode(#"{"op":"post","body":" hi\r\nthere ","client_id":"c1","bots":"off"}"#)
            == .write(id: nil, .post(body: "hi\nthere", clientID: "c1", botsEnabled: false, generated: nil)))
        #expect(try decode(#"{"op":"mute","id":2,"bot":"b_kiki","scope":"thread:p_1","on":true}"#)
            == .write(id: .number("2"), .mute(bot: "b_kiki", scope: .thread(postID: "p_1"), on: true, clientID: nil)))
        #expect(try decode(#"{"op":"frobnicate","id":"x"}"#) == .unknown(id: .string("x"), op: "frobnicate"))
    }

    @Test("body rules: trimming, CRLF, control characters, length in scalars")
    func bodies() throws {
        #expect(try TextRules.normalizeBody("\u{3000} 你好\r\n世界 \t", maximumScalars: 10) == "你好\n世界")
        #expect(throws: GatewayError.badRequest("The body is empty; write at least one visible character.")) {
            try TextRules.normalizeBody(" \n\t ", maximumScalars: 10)
        }
        #expect(throws: GatewayError.self) { try TextRules.normalizeBody("a\u{07}b", maximumScalars: 10) }
        #expect(throws: GatewayError.self) { try TextRules.normalizeBody("a\rb", maximumScalars: 10) }
        #expect(try TextRules.normalizeBody(String(repeating: "😀", count: 4), maximumScalars: 4).count == 4)
        do {
            _ = try TextRules.normalizeBody(String(repeating: "😀", count: 5), maximumScalars: 4)
        } catch {
            #expect(error.code == .tooLarge)
        }
    }

    @Test("the byte-level text rules agree with Unicode's own properties for every scalar")
    func textRulesOnBytes() throws {
        var mismatches: [UInt32] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(Character(scalar))
            let control = scalar.properties.generalCategory == .control
            if TextRules.isWhiteSpace(scalar) != scalar.properties.isWhitespace
                || (TextRules.firstControl(in: "a" + text + "b", allowingNewlinesAndTabs: false) != nil) != control
                || TextRules.scalarCount(text + "é") != 2 {
                mismatches.append(value)
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).map { String($0, radix: 16) })")
        #expect(TextRules.firstControl(in: "tab\tnewline\n", allowingNewlinesAndTabs: true) == nil)
        #expect(TextRules.firstControl(in: "C1 \u{85} next line", allowingNewlinesAndTabs: true) == "\u{85}")
        #expect(throws: GatewayError.self) { try TextRules.normalizeBody("visible\u{9F}", maximumScalars: 100) }
        #expect(throws: GatewayError.self) { try TextRules.normalizeName("tab\tname") }
        #expect(try TextRules.normalizeBody("\u{2003}\u{85}plain\u{A0}", maximumScalars: 100) == "plain")
    }

    @Test("the writer copies runs and escapes each byte JSON needs escaped, at any position")
    func writerEscapesEverywhere() throws {
        for special in ["\"", "\\", "\n", "\r", "\t", "\u{00}", "\u{1F}"] {
            for text in [special, "a" + special, special + "b", "中" + special + special + "😀"] {
                var writer = JSONWriter()
                writer.string(text)
                #expect(try parse(writer.text) == .string(text))
            }
            // Long text is scanned a word at a time: the byte to escape at every position.
            let plain = String(repeating: "abcdefgh", count: 3) + "中😀"
            for position in 0...plain.utf8.count where plain.utf8.index(plain.utf8.startIndex, offsetBy: position).samePosition(in: plain.unicodeScalars) != nil {
                let split = plain.utf8.index(plain.utf8.startIndex, offsetBy: position)
                let text = String(plain[..<split]) + special + String(plain[split...])
                var writer = JSONWriter()
                writer.string(text)
                #expect(try parse(writer.text) == .string(text), "\(position)")
                #expect(writer.bytes.count == text.utf8.count + 2 + (special == "\u{00}" || special == "\u{1F}" ? 5 : 1))
            }
        }
    }

    @Test("an event is one unmasked text frame holding exactly the JSON the writer would write, field by field", arguments: [
        ("feed", Int64(1), 20), ("thread:p_01JD8X3K4M5N6P7Q", Int64(0), 400), ("user:u_\"quoted\\\n", Int64.max, 70_000),
    ])
    func eventFrame(stream: String, offset: Int64, dataBytes: Int) throws {
        var data = JSONWriter()
        data.beginObject()
        data.field("text", "中" + String(repeating: "x", count: dataBytes))
        data.endObject()
        let timestamp = Timestamp(milliseconds: 1_796_033_720_123)
        let event = StoredEvent(stream: stream, offset: offset, type: .commentCreated, timestamp: timestamp, dataJSON: data.text)
        var expected = JSONWriter()
        expected.beginObject()
        expected.field("op", "event")
        expected.field("stream", stream)
        expected.field("offset", offset)
        expected.field("type", "comment.created")
        expected.field("ts", timestamp)
        expected.key("data")
        expected.raw(data.bytes)
        expected.endObject()
        var frame = OutboundEvent(event).frame
        #expect(frame.readInteger(as: UInt8.self) == 0x81)
        let length: Int = switch frame.readInteger(as: UInt8.self) {
        case 126?: Int(frame.readInteger(as: UInt16.self) ?? 0)
        case 127?: Int(frame.readInteger(as: UInt64.self) ?? 0)
        case let short?: Int(short)
        case nil: -1
        }
        #expect(length == frame.readableBytes)
        #expect(frame.readBytes(length: frame.readableBytes) == expected.bytes)
        #expect(try parse(expected.text)["stream"] == .string(stream))
    }

    @Test("the parser finds an escape, a control character or a non-ASCII character at any position of a long string")
    func parserFindsSpecialBytesEverywhere() throws {
        let plain = String(repeating: "abcdefgh", count: 5)
        for position in 0...plain.count {
            let (before, after) = (String(plain.prefix(position)), String(plain.dropFirst(position)))
            #expect(try parse(#""\#(before)\"\#(after)""#) == .string(before + "\"" + after))
            #expect(try parse(#""\#(before)\n\#(after)""#) == .string(before + "\n" + after))
            #expect(try parse(#""\#(before)中\#(after)""#) == .string(before + "中" + after))
            #expect(throws: JSONParser.Failure.self) { try parse("\"\(before)\u{01}\(after)\"") }
            #expect(throws: JSONParser.Failure.self) { try parse("\"\(before)") }
            // Inside an object, so that the closing quote is read in the same word as the bytes
            // before it, not byte by byte at the end of the input.
            let invalidUTF8 = Array(#"{"k":"\#(before)"#.utf8) + [0xFF] + Array(#"\#(after)","z":0}"#.utf8)
            #expect(throws: JSONParser.Failure.self) { try invalidUTF8.withUnsafeBytes { bytes in try JSONParser.parse(bytes) } }
            #expect(throws: JSONParser.Failure(reason: "control character in string", offset: 6 + position)) {
                try parse("{\"k\":\"\(before)\u{01}\(after)\",\"z\":0}")
            }
            // Keys are scanned a word at a time too: an escape or a non-ASCII character anywhere
            // in one, and a key ending right before the end of the input.
            #expect(try parse(#"{"\#(before)\"\#(after)":1}"#) == .object([before + "\"" + after: .number("1")]))
            #expect(try parse(#"{"\#(before)中\#(after)":1,"\#(before)":2}"#) == .object([before + "中" + after: .number("1"), before: .number("2")]))
            #expect(throws: JSONParser.Failure.self) { try parse(#"{"\#(before)"#) }
        }
    }

    @Test("the body rules find a control character and count scalars at any position of a long text, in any script")
    func textRulesFindControlsEverywhere() throws {
        // "£" and "©" start with C2, the lead byte of a C1 control, and "中" and "😀" are three and
        // four bytes, so that controls and characters fall across every word boundary.
        for base in ["abcdefghijklmnopqrstuvwxyz0123", "中文字符串测试一下文本内容", "é😀ab£©xyzé😀q£", "\u{A0}£©£©£©£©£©£©£©£©"] {
            let scalars = Array(base.unicodeScalars)
            for position in 0...scalars.count {
                func inserting(_ inserted: Unicode.Scalar) -> String {
                    var text = String.UnicodeScalarView()
                    text.append(contentsOf: scalars[..<position])
                    text.append(inserted)
                    text.append(contentsOf: scalars[position...])
                    return String(text)
                }
                for control: Unicode.Scalar in ["\u{01}", "\u{1F}", "\u{7F}", "\u{80}", "\u{85}", "\u{9F}"] {
                    #expect(TextRules.firstControl(in: inserting(control), allowingNewlinesAndTabs: true) == control, "\(base) \(position)")
                }
                for visible: Unicode.Scalar in ["\u{A0}", "\u{BF}", "x", "\u{1F600}"] {
                    let text = inserting(visible)
                    #expect(TextRules.firstControl(in: text, allowingNewlinesAndTabs: false) == nil, "\(base) \(position)")
                    #expect(TextRules.scalarCount(text) == scalars.count + 1, "\(base) \(position)")
                }
            }
        }
    }

    @Test("client_id: 1 to 64 bytes of printable ASCII, a bad byte refused at any position")
    func clientIDs() throws {
        try TextRules.validateClientID(String(repeating: "~", count: 64))
        try TextRules.validateClientID("!")
        for bad in ["", String(repeating: "a", count: 65)] {
            #expect(throws: GatewayError.self) { try TextRules.validateClientID(bad) }
        }
        let plain = Array("2f1c9a7e-8b3d-4c2a-9e6f-1a2b3c4d5e6f")
        for position in plain.indices {
            for bad: Character in [" ", "\u{7F}", "\u{1F}", "é"] {
                var id = plain
                id[position] = bad
                #expect(throws: GatewayError.self, "\(position)") { try TextRules.validateClientID(String(id)) }
            }
        }
    }

    @Test("a message's members: escaped keys match, a repeated key's last value counts, long and non-ASCII keys are found")
    func messageMembers() throws {
        let text = #"{"op":"ping","o\u0070":"sub","a_key_longer_than_16":1,"ключ":2,"nul\u0000":3,"t":{"x":1},"id":"r1"}"#
        let document = try Array(text.utf8).withUnsafeBytes { bytes throws(JSONParser.Failure) in try JSONParser.parseMessage(bytes) }
        let members = try #require(document.members)
        #expect(members["op"] == .string("sub"))
        #expect(members["a_key_longer_than_16"] == .number("1"))
        #expect(members["ключ"] == .number("2"))
        #expect(members["nul\u{0}"] == .number("3"))
        #expect(members["nul"] == nil)
        #expect(members["missing"] == nil)
        // Keys of 8 to 16 bytes are packed from two overlapping word loads: each byte still counts.
        let lengths = #"{"key_of_8":8,"key_of_9b":9,"key_of_fifteen_":15,"key_of_sixteen_A":16,"key_of_sixteen_\u0042":17,"key_of_seventeen_":18}"#
        let sized = try #require(try Array(lengths.utf8).withUnsafeBytes { bytes throws(JSONParser.Failure) in try JSONParser.parseMessage(bytes) }.members)
        #expect(sized["key_of_8"] == .number("8"))
        #expect(sized["key_of_9b"] == .number("9"))
        #expect(sized["key_of_9"] == nil)
        #expect(sized["key_of_fifteen_"] == .number("15"))
        #expect(sized["key_of_sixteen_A"] == .number("16"))
        #expect(sized["key_of_sixteen_B"] == .number("17"))
        #expect(sized["key_of_sixteen_C"] == nil)
        #expect(sized["key_of_seventeen_"] == .number("18"))
        // Shorter keys are packed from two overlapping loads of 4 or 2 bytes.
        let short = #"{"":0,"a":1,"ab":2,"abc":3,"abcd":4,"abcde":5,"abcdef":6,"abcdefg":7}"#
        let shortMembers = try #require(try Array(short.utf8).withUnsafeBytes { bytes throws(JSONParser.Failure) in try JSONParser.parseMessage(bytes) }.members)
        #expect(shortMembers[""] == .number("0"))
        for (key, value): (StaticString, String) in [("a", "1"), ("ab", "2"), ("abc", "3"), ("abcd", "4"), ("abcde", "5"), ("abcdef", "6"), ("abcdefg", "7")] {
            #expect(shortMembers[key] == .number(value), "\(key)")
        }
        // Each differs from a key in its first, a middle or its last byte.
        for near: StaticString in ["b", "aa", "bb", "abd", "xbc", "axc", "abce", "xbcd", "abxd", "abcdf", "xbcde", "abxde", "abcdeg", "xbcdef", "abcxef",
            "abcdefh", "bbcdefg", "abcxefg"] {
            #expect(shortMembers[near] == nil, "\(near)")
        }
        #expect(throws: ClientMessage.FrameError.invalidRequest(op: "sub", id: .string("r1"), .badRequest("Field \"stream\" is required."))) {
            try ClientMessage.decode(document, maximumBodyScalars: 10)
        }
        let notObject = try Array("[1]".utf8).withUnsafeBytes { bytes throws(JSONParser.Failure) in try JSONParser.parseMessage(bytes) }
        #expect(notObject.members == nil)
    }

    @Test("emoji must be one emoji", arguments: ["👍", "❤️", "👨‍👩‍👧", "🇨🇳", "#️⃣"])
    func emojiAccepted(emoji: String) throws {
        try TextRules.validateEmoji(emoji)
    }

    @Test("non-emoji refused", arguments: ["a", "1", "👍👍", "", ":)"])
    func emojiRefused(emoji: String) {
        #expect(throws: GatewayError.self) { try TextRules.validateEmoji(emoji) }
    }

    @Test("UTF-8 validation refuses overlongs, surrogates and truncation")
    func utf8() {
        func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { UTF8Validation.isValid($0) } }
        #expect(valid(Array("héllo 中文 😀".utf8)))
        #expect(!valid([0xC0, 0xAF]))
        #expect(!valid([0xED, 0xA0, 0x80]))
        #expect(!valid([0xF4, 0x90, 0x80, 0x80]))
        #expect(!valid([0xE4, 0xB8]))
        #expect(!valid([0xFF]))
    }

    @Test("timestamps format as ISO 8601 with milliseconds")
    func timestamps() {
        #expect(Timestamp(milliseconds: 0).iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(milliseconds: 1_796_033_720_123).iso8601 == "2026-11-30T10:15:20.123Z")
        #expect(Timestamp(milliseconds: 951_782_400_000).iso8601 == "2000-02-29T00:00:00.000Z")
        #expect(Timestamp(milliseconds: -1).iso8601 == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp(milliseconds: 253_402_300_800_000).iso8601 == "10000-01-01T00:00:00.000Z")
    }

    @Test("ids sort by creation within their kind")
    func ids() {
        let clock = TestWallClock(start: 1_000)
        let generator = IDGenerator(now: clock.read)
        var previous = ""
        for step in 0..<2000 {
            if step % 7 == 0 { clock.advance(1) }
            let id = generator.make("p")
            #expect(id > previous)
            previous = id
        }
    }

    @Test("write limits: a burst of the per-minute count, then one per interval, with the wait in milliseconds")
    func writeLimits() {
        let clock = Mutex<Int64>(0)
        let limiter = WriteRateLimiter(limits: .init(postsPerMinute: 10, commentsPerMinute: 60), clock: GatewayClock(monotonic: { clock.withLock { $0 } }))
        let post = WriteCommand.post(body: "x", clientID: "c", botsEnabled: true, generated: nil)
        for _ in 0..<10 { #expect(limiter.take(post, by: "u") == .allow) }
        #expect(limiter.take(post, by: "u").retryAfterMilliseconds == 6000)
        clock.withLock { $0 = 3_000_000_000 }
        #expect(limiter.take(post, by: "u").retryAfterMilliseconds == 3000)
        clock.withLock { $0 = 6_000_000_000 }
        #expect(limiter.take(post, by: "u") == .allow)
        #expect(limiter.take(post, by: "someone else") == .allow)
        #expect(limiter.take(.delete(target: "p_1", clientID: nil), by: "u") == .allow, "deletes have no limit")
    }

    @Test("permessage-deflate negotiation", arguments: [
        ("permessage-deflate", "permessage-deflate; client_no_context_takeover"),
        ("permessage-deflate; client_max_window_bits", "permessage-deflate; client_no_context_takeover"),
        ("permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
         "permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=10"),
        ("permessage-deflate; server_max_window_bits=20, permessage-deflate", "permessage-deflate; client_no_context_takeover"),
        ("x-webkit-deflate-frame", nil),
        ("permessage-deflate; bogus=1", nil),
    ] as [(String, String?)])
    func deflateNegotiation(offer: String, answer: String?) {
        #expect(PerMessageDeflate.negotiate(offers: offer) == answer)
    }
}

/// A wall clock a test moves by hand.
final class TestWallClock: Sendable {
    private let milliseconds: Mutex<Int64>

    init(start: Int64) { milliseconds = Mutex(start) }

    func advance(_ delta: Int64) { milliseconds.withLock { $0 += delta } }

    @Sendable func read() -> Timestamp { Timestamp(milliseconds: milliseconds.withLock { $0 }) }
}
