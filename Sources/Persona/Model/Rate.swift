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
            guard !number.isEmpty, number.allSatisfy(\.isNumber), let value = Int64(number), value <= Int64.max / milliseconds else {
                continue
            }
            return .milliseconds(value * milliseconds)
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
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
