import Logging
import NIOConcurrencyHelpers

/// Keeps every log line written through it, so a test can look for what must never be logged.
struct RecordingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLockedValue { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:]) \(metadata)") }
    }

    /// A logger at trace level whose lines land in `lines`.
    static func logger(_ lines: NIOLockedValueBox<[String]>) -> Logger {
        Logger(label: "recorded") { _ in RecordingLogHandler(lines: lines) }
    }
}
