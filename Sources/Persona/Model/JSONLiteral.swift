import Foundation

/// A JSON value written in a persona file, for provider-specific request fields
/// (`responder.extra_body`), kept with its type: `enable_thinking: false` stays a boolean.
public indirect enum JSONLiteral: Sendable, Equatable, Encodable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONLiteral])
    case object([String: JSONLiteral])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let fields): try container.encode(fields)
        }
    }
}
