/// Text as a key compared byte for byte, the way the stores compare it.
///
/// Swift's `String` equality is canonical equivalence: an "é" written as one scalar equals one
/// written as "e" and a combining accent. A user id comes from a token and may be any text, so two
/// users whose ids differ only that way are two users in the store, and must be two keys in any
/// cache of what the store holds (a stream's offset, a `client_id` record).
struct ExactText: Hashable, Sendable {
    let text: String

    init(_ text: String) {
        self.text = text
    }

    /// The key of `userID`'s record of `clientID` (a `client_id` has no NUL: it is printable ASCII).
    static func clientRecord(of userID: String, clientID: String) -> ExactText {
        ExactText(userID + "\u{0}" + clientID)
    }

    static func == (lhs: ExactText, rhs: ExactText) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
