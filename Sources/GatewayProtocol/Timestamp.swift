/// Milliseconds since the Unix epoch, UTC: the resolution of every time the protocol shows.
public struct Timestamp: Sendable, Hashable, Comparable {
    public var milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// `2026-11-29T08:00:00.123Z`
    public var iso8601: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        appendISO8601(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `iso8601`'s bytes (`2026-11-30T16:22:42.973Z`), without building a string.
    public func appendISO8601(to bytes: inout [UInt8]) {
        withISO8601 { bytes.append(contentsOf: $0) }
    }

    /// Calls `body` with `iso8601`'s bytes, built on the stack: an event's encoder copies them
    /// straight into its frame.
    public func withISO8601<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        let totalSeconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let millis = Int(milliseconds - totalSeconds * 1000)
        var days = Int(totalSeconds >= 0 ? totalSeconds / 86_400 : (totalSeconds - 86_399) / 86_400)
        let secondsOfDay = Int(totalSeconds - Int64(days) * 86_400)
        // Civil-from-days, Howard Hinnant's algorithm.
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // Years beyond four digits (about 300 million at most, with a sign) make it longer.
        let yearText = (0...9999).contains(year) ? nil : String(year)
        let yearLength = yearText?.utf8.count ?? 4
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: yearLength + 20) { text in
            if let yearText {
                _ = UnsafeMutableBufferPointer(rebasing: text[..<yearLength]).initialize(from: yearText.utf8)
            } else {
                Self.put(year, width: 4, at: 0, in: text)
            }
            Self.put(month, width: 2, at: yearLength + 1, in: text)
            Self.put(day, width: 2, at: yearLength + 4, in: text)
            Self.put(secondsOfDay / 3600, width: 2, at: yearLength + 7, in: text)
            Self.put(secondsOfDay / 60 % 60, width: 2, at: yearLength + 10, in: text)
            Self.put(secondsOfDay % 60, width: 2, at: yearLength + 13, in: text)
            Self.put(millis, width: 3, at: yearLength + 16, in: text)
            (text[yearLength], text[yearLength + 3], text[yearLength + 6]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "T"))
            (text[yearLength + 9], text[yearLength + 12]) = (UInt8(ascii: ":"), UInt8(ascii: ":"))
            (text[yearLength + 15], text[yearLength + 19]) = (UInt8(ascii: "."), UInt8(ascii: "Z"))
            return body(UnsafeBufferPointer(text))
        }
    }

    /// `value` (0 or more, fewer than `width` digits) with leading zeros, at `offset`.
    private static func put(_ value: Int, width: Int, at offset: Int, in text: UnsafeMutableBufferPointer<UInt8>) {
        var rest = value
        for position in (offset..<offset + width).reversed() {
            text[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
    }
}
