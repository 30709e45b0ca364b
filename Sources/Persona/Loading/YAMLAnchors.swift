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

    static func first(in text: String) -> Found? {
        var quote: Unicode.Scalar?
        var flowDepth = 0
        /// The indentation of the line that opened a block scalar (`|` or `>`), while in one.
        var blockParentIndent: Int?
        for (lineIndex, lineText) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Array(lineText.unicodeScalars)
            let indent = line.prefix { $0 == " " }.count
            if let parent = blockParentIndent {
                if indent == line.count || indent > parent { continue }
                blockParentIndent = nil
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
                    blockParentIndent = indent
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
