import Persona
import GatewayProtocol

/// Finds the names written as `@name` in a body.
enum MentionScanner {
    /// The most users one body may mention: each mention is an event in someone's stream.
    static let maximumMentions = 20

    static func checkCount(_ count: Int) throws(GatewayError) {
        guard count <= maximumMentions else {
            throw .badRequest("A body may mention at most \(maximumMentions) people; this one mentions \(count).")
        }
    }

    /// The bots among `bots` whose name, spaces and all, follows an `@` in `body` as a whole name.
    static func spacedNames(in body: String, among bots: [(id: String, name: String)]) -> [String] {
        let lowered = body.lowercased()
        return bots.filter { TriggerMatcher.mentions(name: $0.name, inLowercased: lowered) }.map(\.id)
    }

    /// Names looked up per body: beyond them `@` words are text, so a body of `@a @b …` costs a
    /// bounded number of lookups.
    static let maximumCandidates = 64

    static func candidates(in body: String) -> [String] {
        var result: [String] = []
        var scalars = body.unicodeScalars[...]
        while let at = scalars.firstIndex(of: "@") {
            let rest = scalars[scalars.index(after: at)...]
            let end = rest.firstIndex { $0.properties.isWhitespace || ",;!?()[]{}<>\"'，。！？、".unicodeScalars.contains($0) } ?? rest.endIndex
            var name = String(rest[..<end])
            while let last = name.last, ".:".contains(last) { name.removeLast() }
            if !name.isEmpty, name.utf8.count <= 256, !result.contains(name) {
                result.append(name)
                if result.count == maximumCandidates { break }
            }
            scalars = rest[end...]
        }
        return result
    }
}
