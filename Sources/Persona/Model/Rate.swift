import Foundation

/// A rate like `30/min` or `5/min burst 2` (PERSONA.md `limits`).
public struct Rate: Sendable, Equatable, CustomStringConvertible {
    public var count: Int
    public var period: Duration
    /// How many may go at once; the count per period when not written.
    public var burst: Int

    public init(count: Int, period: Duration, burst: Int) {
        self.count = count
        self.period = period
        self.burst = burst
    }

    /// The time between two events at the steady rate.
    public var interval: Duration { period / count }

    public static func parse(_ text: String) -> Rate? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 1 || (parts.count == 3 && parts[1] == "burst") else { return nil }
        let fraction = parts[0].split(separator: "/")
        guard fraction.count == 2, let count = Int(fraction[0]), (1...100_000).contains(count) else { return nil }
        let period: Duration
        switch fraction[1] {
        case "s", "sec": period = .seconds(1)
        case "min", "m": period = .seconds(60)
        case "h", "hour": period = .seconds(3600)
        case "d", "day": period = .seconds(86_400)
        default: return nil
        }
        var burst = count
        if parts.count == 3 {
            guard let value = Int(parts[2]), (1...100_000).contains(value) else { return nil }
            burst = value
        }
        return Rate(count: count, period: period, burst: burst)
    }

    /// What an author probably meant by a rate that does not parse: "5/minute", "5 per min" →
    /// "5/min".
    public static func suggestion(for text: String) -> String? {
        var normalized = text.lowercased().trimmingWhitespace()
        for (long, short) in [(" per ", "/"), ("per ", "/"), ("/minutes", "/min"), ("/minute", "/min"), ("/seconds", "/s"), ("/second", "/s"),
                              ("/hours", "/h"), ("/days", "/d"), (" / ", "/")] {
            normalized = normalized.replacingOccurrences(of: long, with: short)
        }
        guard normalized != text, let rate = parse(normalized) else { return nil }
        return rate.description
    }

    public var description: String {
        let unit =
            switch period {
            case .seconds(1): "s"
            case .seconds(60): "min"
            case .seconds(3600): "h"
            default: "day"
            }
        return burst == count ? "\(count)/\(unit)" : "\(count)/\(unit) burst \(burst)"
    }

    /// Whether this rate allows no more than `other`, in the steady state and in a burst.
    public func isAtMost(_ other: Rate) -> Bool {
        interval >= other.interval && burst <= other.burst
    }

    /// The stricter of two rates, field by field.
    public func tightened(by floor: Rate) -> Rate {
        let steady = interval >= floor.interval ? self : floor
        return Rate(count: steady.count, period: steady.period, burst: min(burst, floor.burst))
    }
}

/// A delay written as one duration (`2s`) or a range (`2s..8s`).
public struct DelayRange: Sendable, Equatable, CustomStringConvertible {
    public var lower: Duration
    public var upper: Duration

    public init(_ lower: Duration, _ upper: Duration) {
        self.lower = lower
        self.upper = upper
    }

    public static func parse(_ text: String) -> DelayRange? {
        if let range = text.range(of: "..") {
            guard let lower = DurationSyntax.parse(String(text[..<range.lowerBound])),
                let upper = DurationSyntax.parse(String(text[range.upperBound...])), lower <= upper
            else { return nil }
            return DelayRange(lower, upper)
        }
        guard let single = DurationSyntax.parse(text) else { return nil }
        return DelayRange(single, single)
    }

    /// What an author probably meant by a delay that does not parse: "2-8s" → "2s..8s", and a
    /// range written backwards → the right way round.
    public static func suggestion(for text: String) -> String? {
        let trimmed = text.trimmingWhitespace()
        if let range = trimmed.range(of: ".."), let lower = DurationSyntax.parse(String(trimmed[..<range.lowerBound])),
            let upper = DurationSyntax.parse(String(trimmed[range.upperBound...])), lower > upper
        {
            return "\(DurationSyntax.format(upper))..\(DurationSyntax.format(lower))"
        }
        for separator in ["-", " to ", "~", "–"] {
            let parts = trimmed.components(separatedBy: separator)
            guard parts.count == 2 else { continue }
            let unit = String(parts[1].drop { $0.isNumber || $0 == "." })
            let lower = DurationSyntax.parse(parts[0]) ?? DurationSyntax.parse(parts[0] + unit)
            if let lower, let upper = DurationSyntax.parse(parts[1]), lower <= upper {
                return "\(DurationSyntax.format(lower))..\(DurationSyntax.format(upper))"
            }
        }
        return nil
    }

    /// A delay within the range, picked with `random` in 0..<1.
    public func pick(_ random: Double) -> Duration {
        lower + (upper - lower) * random
    }

    public var description: String {
        lower == upper ? DurationSyntax.format(lower) : "\(DurationSyntax.format(lower))..\(DurationSyntax.format(upper))"
    }
}

/// Durations as people write them: `500ms`, `30s`, `5m`, `2h`, `1d`.
public enum DurationSyntax {
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingWhitespace()
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("min", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, milliseconds) in units.sorted(by: { $0.0.count > $1.0.count }) where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            // Whole numbers, or decimals such as "1.5s" (to the millisecond).
            let parts = number.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
                let whole = Int64(parts[0]), whole <= Int64.max / milliseconds
            else {
                continue
            }
            var total = whole * milliseconds
            if parts.count == 2 {
                let digits = parts[1].prefix(9)
                guard let fraction = Int64(digits) else { continue }
                var scale: Int64 = 1
                for _ in 0..<digits.count { scale *= 10 }
                total += fraction * milliseconds / scale
            }
            return .milliseconds(total)
        }
        return nil
    }

    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 86_400_000 == 0 && milliseconds > 0 { return "\(milliseconds / 86_400_000)d" }
        if milliseconds % 3_600_000 == 0 && milliseconds > 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0 && milliseconds > 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        if milliseconds >= 1000 { return "\(milliseconds / 1000).\(milliseconds % 1000 / 100)s" }
        return "\(milliseconds)ms"
    }
}

extension StringProtocol {
    package func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
