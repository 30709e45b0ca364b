/// Durations as people write them in flags and files: `500ms`, `30s`, `5m`, `24h`, `7d`.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, milliseconds) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if suffix == "s" && number.hasSuffix("m") { continue }
            guard let value = Int64(number), value >= 0, value <= Int64.max / milliseconds else { return nil }
            return .milliseconds(value * milliseconds)
        }
        return nil
    }
}
