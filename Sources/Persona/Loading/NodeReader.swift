import Foundation
public import Yams

/// Reads typed fields out of a YAML mapping and collects every problem instead of stopping at
/// the first, each with its line, column and field path.
public struct NodeReader {
    public let file: String
    public private(set) var diagnostics: [Diagnostic] = []
    /// Where keys live (`max_emoji` → `tone`), so that a key in the wrong section is pointed home.
    public var homes: [String: String] = [:]

    public init(file: String) {
        self.file = file
    }

    public mutating func error(_ node: Node?, _ path: String, _ message: String, suggestion: String? = nil, fallback mark: Mark? = nil) {
        let position = node?.mark ?? mark
        diagnostics.append(Diagnostic(
            file: file, line: position?.line ?? 1, column: position?.column ?? 1, path: path, message: message, suggestion: suggestion))
    }

    public mutating func warning(_ node: Node?, _ path: String, _ message: String) {
        diagnostics.append(Diagnostic(
            .warning, file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, path: path, message: message))
    }

    /// The mapping's values by key, reporting keys that are not among `allowed` (with a likely
    /// intended key) and non-string keys.
    public mutating func fields(_ node: Node, _ path: String, allowed: [String]) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            error(node, path, "expected a mapping of fields, got \(describe(node))")
            return nil
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                error(keyNode, path, "keys must be plain names")
                continue
            }
            let fieldPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else {
                if let home = homes[key], home != path {
                    error(keyNode, fieldPath, "unknown key here; \(key) belongs under \(home) (\(home).\(key))")
                } else {
                    error(keyNode, fieldPath, "unknown key", suggestion: Spelling.suggestion(for: key, among: allowed))
                }
                continue
            }
            result[key] = value
        }
        return result
    }

    public func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain && (scalar.string == "null" || scalar.string == "~" || scalar.string.isEmpty) { return "nothing (null)" }
            return "\"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    public func isNull(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node, scalar.style == .plain, ["null", "~", ""].contains(scalar.string) { return true }
        return false
    }

    public mutating func string(_ node: Node, _ path: String, allowEmpty: Bool = true, maxLength: Int = 20_000) -> String? {
        guard case .scalar(let scalar) = node, !isNull(node) else {
            error(node, path, "expected text, got \(describe(node))")
            return nil
        }
        if !allowEmpty && scalar.string.trimmingWhitespace().isEmpty {
            error(node, path, "must not be empty")
            return nil
        }
        if scalar.string.count > maxLength {
            error(node, path, "is \(scalar.string.count) characters long; the limit is \(maxLength)")
            return nil
        }
        return scalar.string
    }

    public mutating func bool(_ node: Node, _ path: String) -> Bool? {
        guard case .scalar(let scalar) = node, scalar.style == .plain else {
            error(node, path, "expected true or false, got \(describe(node))")
            return nil
        }
        switch scalar.string {
        case "true", "True", "TRUE", "yes", "on": return true
        case "false", "False", "FALSE", "no", "off": return false
        default:
            error(node, path, "expected true or false, got \(describe(node))")
            return nil
        }
    }

    public mutating func integer(_ node: Node, _ path: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Int(scalar.string) else {
            error(node, path, "expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(describe(node))")
            return nil
        }
        guard range.contains(value) else {
            error(node, path, "expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(value)")
            return nil
        }
        return value
    }

    public mutating func number(_ node: Node, _ path: String, range: ClosedRange<Double>) -> Double? {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Double(scalar.string), value.isFinite else {
            error(node, path, "expected a number from \(range.lowerBound) to \(range.upperBound), got \(describe(node))")
            return nil
        }
        guard range.contains(value) else {
            error(node, path, "expected a number from \(range.lowerBound) to \(range.upperBound), got \(value)")
            return nil
        }
        return value
    }

    /// Any YAML value as JSON, with plain scalars typed as YAML 1.2's core schema types them
    /// (`false` a boolean, `0.9` a number) and quoted ones kept as text.
    public mutating func jsonLiteral(_ node: Node, _ path: String, depth: Int = 0) -> JSONLiteral? {
        guard depth < 16 else {
            error(node, path, "is nested too deeply")
            return nil
        }
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain else { return .string(scalar.string) }
            if isNull(node) { return .null }
            if let value = bool(plain: scalar.string) { return .bool(value) }
            if let value = Int(scalar.string) { return .integer(value) }
            if let value = Double(scalar.string), value.isFinite { return .number(value) }
            return .string(scalar.string)
        case .sequence(let sequence):
            var values: [JSONLiteral] = []
            for (index, item) in sequence.enumerated() {
                guard let value = jsonLiteral(item, "\(path)[\(index)]", depth: depth + 1) else { return nil }
                values.append(value)
            }
            return .array(values)
        case .mapping(let mapping):
            var fields: [String: JSONLiteral] = [:]
            for (keyNode, item) in mapping {
                guard let key = keyNode.scalar?.string else {
                    error(keyNode, path, "keys must be plain names")
                    return nil
                }
                guard let value = jsonLiteral(item, "\(path).\(key)", depth: depth + 1) else { return nil }
                fields[key] = value
            }
            return .object(fields)
        case .alias:
            error(node, path, "aliases are not supported here")
            return nil
        }
    }

    private func bool(plain text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }

    public mutating func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ path: String, as type: T.Type) -> T? where T.RawValue == String {
        let names = T.allCases.map(\.rawValue)
        guard case .scalar(let scalar) = node, let value = T(rawValue: scalar.string) else {
            let got = node.scalar?.string ?? ""
            error(node, path, "expected one of \(names.joined(separator: ", ")), got \(describe(node))",
                  suggestion: Spelling.suggestion(for: got, among: names))
            return nil
        }
        return value
    }

    /// A scalar written in a small syntax of its own (durations, delays, rates): parsed, then
    /// checked against `limit`, which returns the complaint for a value out of range; a value
    /// that does not parse gets the likely intended one from `suggest`, when there is one.
    private mutating func parsed<T>(_ node: Node, _ path: String, expected: String, _ parse: (String) -> T?,
                                    suggest: (String) -> String? = { _ in nil },
                                    limit: (T, String) -> String? = { _, _ in nil }) -> T? {
        guard case .scalar(let scalar) = node, let value = parse(scalar.string) else {
            error(node, path, "expected \(expected), got \(describe(node))", suggestion: node.scalar.flatMap { suggest($0.string) })
            return nil
        }
        if let complaint = limit(value, scalar.string) {
            error(node, path, complaint)
            return nil
        }
        return value
    }

    public mutating func duration(_ node: Node, _ path: String, range: ClosedRange<Duration> = .zero ... .seconds(86_400 * 7)) -> Duration? {
        parsed(node, path, expected: "a duration like \"30s\", \"1.5s\", \"500ms\", \"5m\" or \"2h\"", DurationSyntax.parse, limit: { value, text in
            range.contains(value)
                ? nil
                : "expected a duration from \(DurationSyntax.format(range.lowerBound)) to \(DurationSyntax.format(range.upperBound)), got \(text)"
        })
    }

    public mutating func delay(_ node: Node, _ path: String) -> DelayRange? {
        if case .scalar(let scalar) = node, let range = scalar.string.range(of: ".."), DelayRange.parse(scalar.string) == nil,
            let lower = DurationSyntax.parse(String(scalar.string[..<range.lowerBound])),
            let upper = DurationSyntax.parse(String(scalar.string[range.upperBound...])), lower > upper
        {
            error(node, path, "the range runs backwards: the shorter delay comes first", suggestion: DelayRange.suggestion(for: scalar.string))
            return nil
        }
        return parsed(node, path, expected: "a delay like \"5s\", \"1.5s\", \"500ms\" or a range like \"2s..8s\"", DelayRange.parse,
                      suggest: DelayRange.suggestion, limit: { value, text in
            value.upper <= .seconds(3600) ? nil : "a delay may be at most 1h, got \(text)"
        })
    }

    public mutating func rate(_ node: Node, _ path: String) -> Rate? {
        parsed(node, path, expected: "a rate like \"30/min\" or \"5/min burst 2\"", Rate.parse, suggest: Rate.suggestion)
    }

    public mutating func strings(_ node: Node, _ path: String, maxLength: Int = 2000) -> [String]? {
        guard case .sequence(let sequence) = node else {
            if isNull(node) { return [] }
            error(node, path, "expected a list of texts, got \(describe(node))")
            return nil
        }
        var values: [String] = []
        var valid = true
        for (index, item) in sequence.enumerated() {
            if let text = string(item, "\(path)[\(index)]", allowEmpty: false, maxLength: maxLength) { values.append(text) } else { valid = false }
        }
        return valid ? values : nil
    }
}
