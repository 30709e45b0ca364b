/// Finds URLs and bare domains in lower-cased UTF-8 without building strings.
enum LinkFinder {
    private static let schemes: [[UInt8]] = [Array("http://".utf8), Array("https://".utf8), Array("www.".utf8)]
    private static let topLevelDomains: Set<[UInt8]> = Set(["com", "net", "org", "io", "cn", "ai", "dev", "co", "me", "app"].map { Array($0.utf8) })

    static func containsLink(_ bytes: [UInt8]) -> Bool {
        for scheme in schemes where LoweredText.find(scheme, in: bytes, from: 0) != nil { return true }
        // Bare domains: an ASCII token with a dot whose last label is a known top-level domain.
        var index = 0
        while index < bytes.count {
            guard isHostByte(bytes[index]) else {
                index += 1
                continue
            }
            let start = index
            while index < bytes.count && isHostByte(bytes[index]) { index += 1 }
            var host = Array(bytes[start..<index])
            while host.last == UInt8(ascii: ".") { host.removeLast() }
            let labels = host.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            if labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }), let last = labels.last, topLevelDomains.contains(Array(last)) {
                return true
            }
        }
        return false
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }
}
