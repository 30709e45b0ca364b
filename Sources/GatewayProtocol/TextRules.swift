/// Body and field rules shared by the WebSocket ops and the HTTP API (PROTOCOL.md section 6).
public enum TextRules {
    /// Normalises a post or comment body: `\r\n` becomes `\n`, Unicode white space is trimmed at
    /// both ends, and the length is counted in Unicode scalars.
    public static func normalizeBody(_ raw: String, maximumScalars: Int) throws(GatewayError) -> String {
        var text = raw
        if text.utf8.contains(0x0D) { text = text.replacing("\r\n", with: "\n") }
        guard let trimmed = trimmingWhiteSpace(text) else {
            throw .badRequest("The body is empty; write at least one visible character.")
        }
        if let control = firstControl(in: trimmed, allowingNewlinesAndTabs: true) {
            throw .badRequest(
                "The body contains a control character (U+\(String(control.value, radix: 16, uppercase: true))); only newlines and tabs are allowed."
            )
        }
        let count = scalarCount(trimmed)
        guard count <= maximumScalars else {
            throw GatewayError(.tooLarge, "The body has \(count) characters; the limit is \(maximumScalars).")
        }
        return trimmed
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
        let utf8 = text.utf8
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return text }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhiteSpace($0) }), let last = scalars.lastIndex(where: { !isWhiteSpace($0) }) else { return nil }
        return String(scalars[first...last])
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
    /// a fixed set), optionally letting newlines and tabs through. Read on bytes: a C1 control
    /// is the two bytes C2 80 to C2 9F.
    static func firstControl(in text: String, allowingNewlinesAndTabs: Bool) -> Unicode.Scalar? {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            defer { previous = byte }
            if byte < 0x20 {
                if allowingNewlinesAndTabs && (byte == 0x0A || byte == 0x09) { continue }
                return Unicode.Scalar(byte)
            }
            if byte == 0x7F { return Unicode.Scalar(byte) }
            if previous == 0xC2, (0x80...0x9F).contains(byte) { return Unicode.Scalar(byte) }
        }
        return nil
    }

    /// Unicode scalars in `text`, counted on its UTF-8 bytes (every byte but a continuation byte
    /// starts one).
    static func scalarCount(_ text: String) -> Int {
        var count = 0
        for byte in text.utf8 where byte & 0xC0 != 0x80 { count += 1 }
        return count
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
        guard (1...64).contains(clientID.utf8.count), clientID.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
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
