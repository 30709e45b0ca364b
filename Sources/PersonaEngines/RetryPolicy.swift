import Persona
import Foundation

/// When to try a model again: exponential backoff with jitter, or the provider's `Retry-After`
/// when it gives one, never past the reply's deadline.
struct RetryPolicy: Sendable {
    var base: Duration = .milliseconds(500)
    var cap: Duration = .seconds(8)

    /// The wait before retry number `retry` (1 for the first), jittered between half and all of
    /// the exponential step so that many bots do not retry in lockstep.
    func backoff(retry: Int, random: inout some RandomNumberGenerator) -> Duration {
        let step = min(cap, base * (1 << min(retry - 1, 16)))
        return step * Double.random(in: 0.5...1.0, using: &random)
    }

    /// `Retry-After` as seconds or as an HTTP date (RFC 9110 section 10.2.3).
    static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds >= 0, seconds.isFinite { return .milliseconds(Int64(seconds * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
    }
}
