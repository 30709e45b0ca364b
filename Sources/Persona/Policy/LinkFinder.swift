/// Finds URLs and bare domains in UTF-8 text without building strings: the one link rule for
/// both the tone check (is there a link) and trimming (cut the links out).
enum LinkFinder {
    private static let schemes: [[UInt8]] = [Array("http://".utf8), Array("https://".utf8), Array("www.".utf8)]
    private static let topLevelDomains: Set<[UInt8]> = Set(["com", "net", "org", "io", "cn", "ai", "dev", "co", "me", "app"].map { Array($0.utf8) })

    static func containsLink(_ bytes: [UInt8]) -> Bool {
        !ranges(in: bytes).isEmpty
    }

    /// Byte ranges of the links in `bytes`. Letters are compared without case for ASCII only, so
    /// the ranges are valid in the original text's UTF-8.
    static func ranges(in bytes: [UInt8]) -> [Range<Int>] {
        let folded = bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
        var found: [Range<Int>] = []
        // A URL runs from its scheme (or www.) to the next space or closing punctuation.
        for scheme in schemes {
            var start = 0
            while let at = LoweredText.find(scheme, in: folded, from: start) {
                var end = at + scheme.count
                while end < folded.count && !endsURL(folded, at: end) { end += 1 }
                if !found.contains(where: { $0.overlaps(at..<end) }) { found.append(at..<end) }
                start = end
            }
        }
        // Bare domains: an ASCII token with a dot whose last label is a known top-level domain,
        // optionally followed by a path.
        var index = 0
        while index < folded.count {
            guard isHostByte(folded[index]) else {
                index += 1
                continue
            }
            let start = index
            while index < folded.count && isHostByte(folded[index]) { index += 1 }
            var hostEnd = index
            while hostEnd > start && folded[hostEnd - 1] == UInt8(ascii: ".") { hostEnd -= 1 }
            let labels = folded[start..<hostEnd].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }), let last = labels.last, topLevelDomains.contains(Array(last)) else {
                continue
            }
            var end = hostEnd
            if end < folded.count && folded[end] == UInt8(ascii: "/") {
                while end < folded.count && !endsURL(folded, at: end) { end += 1 }
                index = end
            }
            if !found.contains(where: { $0.overlaps(start..<end) }) { found.append(start..<end) }
        }
        return found.sorted { $0.lowerBound < $1.lowerBound }
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }

    /// White space, ASCII quotes and brackets, or the start of a multi-byte character (CJK
    /// punctuation and text end a URL too).
    private static func endsURL(_ bytes: [UInt8], at index: Int) -> Bool {
        let byte = bytes[index]
        return byte <= 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: ")")
            || byte == UInt8(ascii: "]") || byte == UInt8(ascii: ">")
    }
}
