import Foundation
public import Logging
import GatewayProtocol

/// One JSON object per line on standard error (`log.format: json`), for log shippers: time,
/// level, logger label, message, source module and every metadata field (session, user, request
/// id) as a top-level key.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("time", Self.timestamp())
        writer.field("level", event.level.rawValue)
        writer.field("logger", label)
        writer.field("message", "\(event.message)")
        writer.field("source", event.source)
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) where !["time", "level", "logger", "message", "source"].contains(key) {
            writer.key(key)
            Self.write(value, to: &writer)
        }
        writer.endObject()
        write(String(decoding: writer.bytes, as: UTF8.self))
    }

    private static func write(_ value: Logger.MetadataValue, to writer: inout JSONWriter) {
        switch value {
        case .string(let text): writer.string(text)
        case .stringConvertible(let convertible): writer.string(convertible.description)
        case .array(let values):
            writer.beginArray()
            for item in values {
                writer.separator()
                write(item, to: &writer)
            }
            writer.endArray()
        case .dictionary(let fields):
            writer.beginObject()
            for (key, item) in fields.sorted(by: { $0.key < $1.key }) {
                writer.key(key)
                write(item, to: &writer)
            }
            writer.endObject()
        }
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().timeSeparator(.colon).time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// Writes a line to standard error in one call, so lines from several threads never interleave.
    @Sendable public static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
