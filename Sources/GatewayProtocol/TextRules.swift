/// Body and field rules shared by the WebSocket ops and the HTTP API (PROTOCOL.md section 6).
public enum TextRules {
    /// Normalises a post or comment body: `\r\n` becomes `\n`, Unicode white space is trimmed at
    /// both ends, and the length is counted in Unicode scalars.
    public static func normalizeBody(_ raw: String, maximumScalars: Int) throws(GatewayError) -> String {
        var text = raw
        var scan = Self.scan(raw, allowingNewlinesAndTabs: true)
        if scan.firstControl != nil || !Self.startsAndEndsWithVisibleASCII(raw) {
            // A \r\n to fold or white space to trim (or a control to report): the text is read
            // again only if that changed it.
            if scan.firstControl != nil, text.utf8.contains(0x0D) { text = text.replacing("\r\n", with: "\n") }
            guard let trimmed = trimmingWhiteSpace(text) else {
                throw .badRequest("The body is empty; write at least one visible character.")
            }
            text = trimmed
            if text.utf8.count != raw.utf8.count { scan = Self.scan(text, allowingNewlinesAndTabs: true) }
        }
        if let control = scan.firstControl {
            throw .badRequest(
                "The body contains a control character (U+\(String(control.value, radix: 16, uppercase: true))); only newlines and tabs are allowed."
            )
        }
        guard scan.scalars <= maximumScalars else {
            throw GatewayError(.tooLarge, "The body has \(scan.scalars) characters; the limit is \(maximumScalars).")
        }
        return text
    }

    /// A display name: Unicode white space trimmed at both ends, then 1 to 32 Unicode scalars
    /// without control characters (counted like bodies, so that the OpenAPI schema's pattern can
    /// say exactly what is accepted).
    public static func normalizeName(_ raw: String) throws(GatewayError) -> String {
        guard let name = trimmingWhiteSpace(raw), scalarCount(name) <= 32, firstControl(in: name, allowingNewlinesAndTabs: false) == nil else {
            throw .badRequest("A name is 1 to 32 characters, without control characters.")
        }
        return name
    }

    /// The text between its first and last scalar that is not Unicode white space, nil if
    /// there is none. Text that starts and ends with a visible ASCII character, as most does, is
    /// returned as it is.
    private static func trimmingWhiteSpace(_ text: String) -> String? {
        if startsAndEndsWithVisibleASCII(text) { return text }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhiteSpace($0) }), let last = scalars.lastIndex(where: { !isWhiteSpace($0) }) else { return nil }
        if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return text }
        return String(scalars[first...last])
    }

    private static func startsAndEndsWithVisibleASCII(_ text: String) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last else { return false }
        return first > 0x20 && first < 0x7F && last > 0x20 && last < 0x7F
    }

    /// Unicode's White_Space property (PropList.txt), which is a fixed list of 25 code points:
    /// the same answer as `properties.isWhitespace` without a table lookup.
    static func isWhiteSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// The first control character (general category Cc: U+0000 to U+001F and U+007F to U+009F,
    /// a fixed set), optionally letting newlines and tabs through.
    static func firstControl(in text: String, allowingNewlinesAndTabs: Bool) -> Unicode.Scalar? {
        scan(text, allowingNewlinesAndTabs: allowingNewlinesAndTabs).firstControl
    }

    /// Unicode scalars in `text`.
    static func scalarCount(_ text: String) -> Int {
        scan(text, allowingNewlinesAndTabs: true).scalars
    }

    /// One pass over the UTF-8 bytes: the first control character, and the Unicode scalars
    /// (every byte but a continuation byte starts one). A C1 control is the two bytes C2 80 to
    /// C2 9F. Eight bytes without a control or a C2 are counted at once, which is most text in
    /// any script; the others are read byte by byte.
    private static func scan(_ text: String, allowingNewlinesAndTabs: Bool) -> (firstControl: Unicode.Scalar?, scalars: Int) {
        var contiguous = text
        return contiguous.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            var firstControl: Unicode.Scalar?
            var scalars = 0
            var previous: UInt8 = 0
            var index = 0
            while index < bytes.count {
                if index + 8 <= bytes.count, previous != 0xC2 {
                    let word = ByteLanes.load(bytes, at: index)
                    let mayHoldControl = ByteLanes.below(0x20, in: word) | ByteLanes.equal(to: 0x7F, in: word) | ByteLanes.equal(to: 0xC2, in: word)
                    if mayHoldControl == 0 {
                        scalars += 8 - ByteLanes.continuation(word).nonzeroBitCount
                        previous = UInt8(truncatingIfNeeded: word >> 56)
                        index += 8
                        continue
                    }
                }
                for byte in bytes[index..<min(index + 8, bytes.count)] {
                    if byte & 0xC0 != 0x80 { scalars += 1 }
                    if firstControl == nil {
                        if byte < 0x20 {
                            if !(allowingNewlinesAndTabs && (byte == 0x0A || byte == 0x09)) { firstControl = Unicode.Scalar(byte) }
                        } else if byte == 0x7F || (previous == 0xC2 && byte >= 0x80 && byte <= 0x9F) {
                            firstControl = Unicode.Scalar(byte)
                        }
                    }
                    previous = byte
                }
                index += 8
            }
            return (firstControl, scalars)
        }
    }

    /// A post or comment id as the server makes them (`p_` or `c_`, then 17 characters of
    /// Crockford base 32), so that a malformed id is a bad request, not a missing item.
    public static func validateItemID(_ id: String, prefix: String, field: String) throws(GatewayError) {
        guard id.hasPrefix(prefix + "_"), id.utf8.count == prefix.utf8.count + 18,
            id.utf8.dropFirst(prefix.utf8.count + 1).allSatisfy(IDGenerator.isAlphabetByte)
        else {
            let kind = prefix == "p" ? "post" : "comment"
            throw .badRequest("\(field) must be a \(kind) id (\(prefix)_ and 17 characters of Crockford base 32: 0-9 and A-Z without I, L, O, U).")
        }
    }

    /// `client_id`: 1 to 64 characters.
    public static func validateClientID(_ clientID: String) throws(GatewayError) {
        // Bytes, not characters: one "character" may hold thousands of combining marks.
        var contiguous = clientID
        let printable = contiguous.withUTF8 { utf8 in
            guard (1...64).contains(utf8.count) else { return false }
            let bytes = UnsafeRawBufferPointer(utf8)
            var index = 0
            while index + 8 <= bytes.count {
                let word = ByteLanes.load(bytes, at: index)
                guard ByteLanes.nonASCII(word) | ByteLanes.below(0x21, in: word) | ByteLanes.equal(to: 0x7F, in: word) == 0 else { return false }
                index += 8
            }
            return bytes[index...].allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
        }
        guard printable else {
            throw .badRequest("client_id must be 1 to 64 characters of printable ASCII (\"!\" to \"~\", no spaces).")
        }
    }

    /// One emoji: a single grapheme cluster of at most 32 bytes whose first scalar is an emoji
    /// (plain ASCII such as digits, which Unicode also marks as emoji components, is refused).
    public static func validateEmoji(_ emoji: String) throws(GatewayError) {
        guard emoji.count == 1, emoji.utf8.count <= 32, let first = emoji.unicodeScalars.first,
            first.properties.isEmoji, !emoji.unicodeScalars.allSatisfy(\.isASCII)
        else {
            throw .badRequest("emoji must be exactly one emoji (one grapheme cluster of at most 32 bytes).")
        }
    }
}
