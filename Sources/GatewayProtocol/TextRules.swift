/// Body and field rules shared by the WebSocket ops and the HTTP API (PROTOCOL.md section 6).
public enum TextRules {
    /// Normalises a post or comment body: `\r\n` becomes `\n`, Unicode white space is trimmed at
    /// both ends, and the length is counted in Unicode scalars.
    public static func normalizeBody(_ raw: String, maximumScalars: Int) throws(GatewayError) -> String {
        guard let trimmed = trimmingWhiteSpace(raw.replacing("\r\n", with: "\n")) else {
            throw .badRequest("The body is empty; write at least one visible character.")
        }
        for scalar in trimmed.unicodeScalars where scalar.properties.generalCategory == .control {
            if scalar != "\n" && scalar != "\t" {
                throw .badRequest(
                    "The body contains a control character (U+\(String(scalar.value, radix: 16, uppercase: true))); only newlines and tabs are allowed."
                )
            }
        }
        let count = trimmed.unicodeScalars.count
        guard count <= maximumScalars else {
            throw GatewayError(.tooLarge, "The body has \(count) characters; the limit is \(maximumScalars).")
        }
        return trimmed
    }

    /// A display name: Unicode white space trimmed at both ends, then 1 to 32 Unicode scalars
    /// without control characters (counted like bodies, so that the OpenAPI schema's pattern can
    /// say exactly what is accepted).
    public static func normalizeName(_ raw: String) throws(GatewayError) -> String {
        guard let name = trimmingWhiteSpace(raw), name.unicodeScalars.count <= 32,
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw .badRequest("A name is 1 to 32 characters, without control characters.")
        }
        return name
    }

    /// The text between its first and last scalar that is not Unicode white space, nil if
    /// there is none.
    private static func trimmingWhiteSpace(_ text: String) -> String? {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return nil }
        return String(scalars[first...last])
    }

    /// A post or comment id as the server makes them (`p_` or `c_`, then 17 characters of
    /// Crockford base 32), so that a malformed id is a bad request, not a missing item.
    public static func validateItemID(_ id: String, prefix: String, field: String) throws(GatewayError) {
        let alphabet = IDGenerator.alphabet
        guard id.hasPrefix(prefix + "_"), id.utf8.count == prefix.utf8.count + 18,
            id.utf8.dropFirst(prefix.utf8.count + 1).allSatisfy({ alphabet.contains($0) })
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
