/// Finds the first anchor (`&name`) or alias (`*name`) in YAML text without composing it.
/// Nothing in these files needs them, and aliases let a few hundred bytes stand for billions of
/// entries, so they are refused before the YAML parser sees the text.
///
/// A token is an anchor or alias only where a node starts: at the start of a line, after `- `,
/// `? `, `: `, a tag, or `[`, `{`, `,` in a flow collection. Quoted scalars, block scalars and
/// comments are skipped; in a plain scalar `&` and `*` are text.
enum YAMLAnchors {
    struct Found: Equatable {
        var line: Int
        var column: Int
        var isAlias: Bool
        var name: String
    }

    /// Every line break YAML knows (CR LF, CR, NEL, LS, PS), so that lines here are YAML's lines.
    static func lines(of text: String) -> [[Unicode.Scalar]] {
        var lines: [[Unicode.Scalar]] = [[]]
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A where previousWasCR:
                break
            case 0x0A, 0x0D, 0x85, 0x2028, 0x2029:
                lines.append([])
            case 0xFEFF where lines.count == 1 && lines[0].isEmpty:
                break
            default:
                lines[lines.count - 1].append(scalar)
            }
            previousWasCR = scalar.value == 0x0D
        }
        return lines
    }

    /// The indentation a block scalar's content must exceed: that of the key it is the value of
    /// (`- a: |` → the column of `a`), or of the line for a bare `- |`.
    static func parentIndent(of line: [Unicode.Scalar], indent: Int, indicatorAt indicator: Int) -> Int {
        var column = indent
        while column + 1 < line.count, line[column] == "-", line[column + 1] == " " {
            column += 2
            while column < line.count, line[column] == " " { column += 1 }
        }
        return column == indicator ? indent : column
    }

    static func first(in text: String) -> Found? {
        var quote: Unicode.Scalar?
        var flowDepth = 0
        /// In a block scalar (`|` or `>`): the indentation of the line that opened it, and of its
        /// content once its first line is seen; content lines are skipped.
        var block: (opener: Int, content: Int?)?
        for (lineIndex, line) in lines(of: text).enumerated() {
            let indent = line.prefix { $0 == " " }.count
            if let open = block {
                let blank = indent == line.count
                if blank { continue }
                if let content = open.content, indent >= content { continue }
                if open.content == nil, indent > open.opener {
                    block = (open.opener, indent)
                    continue
                }
                block = nil
            }
            var nodeStart = quote == nil
            var index = quote == nil ? indent : 0
            while index < line.count {
                let scalar = line[index]
                let next = index + 1 < line.count ? line[index + 1] : nil
                let nextIsBlank = next == nil || next == " " || next == "\t" || next == "\r"
                if let open = quote {
                    if open == "\"" && scalar == "\\" {
                        index += 2
                        continue
                    }
                    if scalar == open {
                        if open == "'" && next == "'" {
                            index += 2
                            continue
                        }
                        quote = nil
                    }
                    index += 1
                    continue
                }
                // (A `where` after several patterns binds only the last one, so each case has one.)
                if scalar == "#" && (index == 0 || line[index - 1] == " " || line[index - 1] == "\t") { break }
                if (scalar == "&" || scalar == "*") && nodeStart && !nextIsBlank {
                    let name = line[(index + 1)...].prefix { !" \t\r,[]{}".unicodeScalars.contains($0) }
                    return Found(line: lineIndex + 1, column: index + 1, isAlias: scalar == "*", name: String(String.UnicodeScalarView(name)))
                }
                if (scalar == "\"" || scalar == "'") && nodeStart {
                    quote = scalar
                    nodeStart = false
                } else if (scalar == "|" || scalar == ">") && nodeStart && flowDepth == 0 {
                    block = (parentIndent(of: line, indent: indent, indicatorAt: index), nil)
                    break
                } else if (scalar == "-" || scalar == "?" || scalar == ":") && nextIsBlank {
                    nodeStart = true
                } else if scalar == ":" && flowDepth > 0 {
                    nodeStart = true
                } else if scalar == "!" && nodeStart {
                    // A tag; the node starts after it.
                    while index < line.count && line[index] != " " { index += 1 }
                    continue
                } else if (scalar == "[" || scalar == "{") && (nodeStart || flowDepth > 0) {
                    flowDepth += 1
                    nodeStart = true
                } else if (scalar == "]" || scalar == "}") && flowDepth > 0 {
                    flowDepth -= 1
                    nodeStart = false
                } else if scalar == "," && flowDepth > 0 {
                    nodeStart = true
                } else if scalar != " " && scalar != "\t" && scalar != "\r" {
                    nodeStart = false
                }
                index += 1
            }
        }
        return nil
    }
}
