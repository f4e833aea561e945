import Foundation

// MARK: - Literal values

/// A value decoded from text the way yacs decodes config values: YAML 1.1 resolution for
/// plain YAML scalars, then Python's `ast.literal_eval` for what is still text.
///
/// Tuples and lists are both `.list`, as yacs converts between them freely.
indirect enum LiteralValue: Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([LiteralValue])

    /// A short description for error messages, e.g. `int 5` or `list [1, "a"]`.
    var typedDescription: String {
        switch self {
        case .none: return "null"
        case .bool(let b): return "bool \(b ? "True" : "False")"
        case .int(let i): return "int \(i)"
        case .float(let x): return "float \(x)"
        case .string(let s): return "string \(quotedForMessage(s))"
        case .list: return "list \(literalText)"
        }
    }

    /// Python-like text of the value (used inside `typedDescription`).
    var literalText: String {
        switch self {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let x): return String(x)
        case .string(let s): return quotedForMessage(s)
        case .list(let items): return "[" + items.map(\.literalText).joined(separator: ", ") + "]"
        }
    }
}

// MARK: - Python literal parser

/// A parser for the subset of Python literals that `ast.literal_eval` accepts and configs
/// use: `None`, `True`, `False`, ints (decimal, 0x, 0o, 0b, underscores), floats, one unary
/// sign on a number, quoted strings (adjacent ones concatenated), lists and tuples (also a
/// bare top-level tuple `1, 2`). Anything else (names, dicts, sets, complex numbers,
/// prefixed or triple-quoted strings, ints beyond 64 bits) is "not a literal": `nil`.
enum PythonLiteral {
    /// Parses `text` as one Python literal expression, or returns nil.
    static func parse(_ text: String) -> LiteralValue? {
        var parser = Parser(Array(text.unicodeScalars))
        guard let first = parser.parseExpression() else { return nil }
        parser.skipSpace()
        var value = first
        if parser.peek == "," {  // a bare tuple at top level: "1, 2" or "1,"
            var items = [first]
            while parser.consume(",") {
                parser.skipSpace()
                if parser.atEnd { break }
                guard let next = parser.parseExpression() else { return nil }
                items.append(next)
                parser.skipSpace()
            }
            value = .list(items)
        }
        parser.skipSpace()
        return parser.atEnd ? value : nil
    }

    private struct Parser {
        let chars: [Unicode.Scalar]
        var index = 0

        init(_ chars: [Unicode.Scalar]) { self.chars = chars }

        var atEnd: Bool { index >= chars.count }
        var peek: Unicode.Scalar? { atEnd ? nil : chars[index] }

        mutating func skipSpace() {
            while let c = peek, c == " " || c == "\t" || c == "\n" || c == "\r" { index += 1 }
        }

        mutating func consume(_ c: Unicode.Scalar) -> Bool {
            if peek == c { index += 1; return true }
            return false
        }

        mutating func parseExpression() -> LiteralValue? {
            skipSpace()
            guard let c = peek else { return nil }
            switch c {
            case "[": index += 1; return parseSequence(closing: "]", isTuple: false)
            case "(": index += 1; return parseSequence(closing: ")", isTuple: true)
            case "\"", "'": return parseStrings()
            case "+", "-":
                index += 1
                skipSpace()
                guard let number = parseNumber() else { return nil }
                if c == "+" { return number }
                switch number {
                case .int(let i): return i == Int.min ? nil : .int(-i)
                case .float(let x): return .float(-x)
                default: return nil
                }
            default:
                if ("0"..."9").contains(c) || c == "." { return parseNumber() }
                return parseKeyword()
            }
        }

        /// `[a, b]`, `(a, b)`, `(a,)`, `()`; `(a)` is just `a`.
        mutating func parseSequence(closing: Unicode.Scalar, isTuple: Bool) -> LiteralValue? {
            var items: [LiteralValue] = []
            var sawComma = false
            while true {
                skipSpace()
                if consume(closing) { break }
                guard let item = parseExpression() else { return nil }
                items.append(item)
                skipSpace()
                if consume(",") { sawComma = true; continue }
                guard consume(closing) else { return nil }
                break
            }
            if isTuple && items.count == 1 && !sawComma { return items[0] }
            return .list(items)
        }

        mutating func parseKeyword() -> LiteralValue? {
            var word = ""
            while let c = peek, c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c) {
                word.unicodeScalars.append(c)
                index += 1
            }
            switch word {
            case "None": return LiteralValue.none
            case "True": return .bool(true)
            case "False": return .bool(false)
            default: return nil
            }
        }

        /// One or more adjacent quoted strings, concatenated.
        mutating func parseStrings() -> LiteralValue? {
            var result = ""
            repeat {
                guard let quote = peek else { return nil }
                index += 1
                if peek == quote, index + 1 < chars.count, chars[index + 1] == quote { return nil }  // triple quote
                while true {
                    guard let c = peek else { return nil }
                    index += 1
                    if c == quote { break }
                    if c == "\n" { return nil }
                    if c != "\\" { result.unicodeScalars.append(c); continue }
                    guard let e = peek else { return nil }
                    index += 1
                    switch e {
                    case "n": result += "\n"
                    case "t": result += "\t"
                    case "r": result += "\r"
                    case "0": result += "\0"
                    case "\\", "'", "\"": result.unicodeScalars.append(e)
                    case "\n": break  // line continuation
                    case "x", "u", "U":
                        let count = e == "x" ? 2 : (e == "u" ? 4 : 8)
                        guard index + count <= chars.count,
                              let code = UInt32(String(String.UnicodeScalarView(chars[index..<index + count])),
                                                radix: 16),
                              let scalar = Unicode.Scalar(code) else { return nil }
                        index += count
                        result.unicodeScalars.append(scalar)
                    default:  // Python keeps unknown escapes as written
                        result += "\\"
                        result.unicodeScalars.append(e)
                    }
                }
                skipSpace()
            } while peek == "\"" || peek == "'"
            return .string(result)
        }

        /// An int or float token (no sign).
        mutating func parseNumber() -> LiteralValue? {
            let start = index
            while let c = peek, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "."
                    || ((c == "+" || c == "-") && index > start && (chars[index - 1] == "e" || chars[index - 1] == "E")
                        && !isRadixLiteral(start)) {
                index += 1
            }
            let token = String(String.UnicodeScalarView(chars[start..<index]))
            return PythonLiteral.number(token)
        }

        func isRadixLiteral(_ start: Int) -> Bool {
            start + 1 < chars.count && chars[start] == "0" && "xXoObB".unicodeScalars.contains(chars[start + 1])
        }
    }

    // MARK: - Numbers

    /// Parses one unsigned Python number token, or nil.
    static func number(_ token: String) -> LiteralValue? {
        let lower = token.lowercased()
        for (prefix, radix, digits) in [("0x", 16, "0123456789abcdef"), ("0o", 8, "01234567"), ("0b", 2, "01")]
        where lower.hasPrefix(prefix) {
            let body = String(lower.dropFirst(2))
            guard let cleaned = underscoresRemoved(body, digits: digits, allowLeadingUnderscore: true),
                  let value = Int(cleaned, radix: radix) else { return nil }
            return .int(value)
        }
        if lower.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "_") }) {
            guard let cleaned = underscoresRemoved(lower, digits: "0123456789", allowLeadingUnderscore: false) else {
                return nil
            }
            if cleaned.count > 1 && cleaned.hasPrefix("0") && cleaned.contains(where: { $0 != "0" }) {  // 007
                return nil
            }
            guard let value = Int(cleaned) else { return nil }
            return .int(value)
        }
        // Float: digitpart? "." digitpart? exponent?  |  digitpart exponent
        var mantissa = lower
        var exponent = ""
        if let e = lower.firstIndex(of: "e") {
            mantissa = String(lower[..<e])
            exponent = String(lower[lower.index(after: e)...])
            if exponent.hasPrefix("+") || exponent.hasPrefix("-") { exponent.removeFirst() }
            guard !exponent.isEmpty,
                  underscoresRemoved(exponent, digits: "0123456789", allowLeadingUnderscore: false) != nil
            else { return nil }
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !(parts.count == 1 && exponent.isEmpty),
              parts.contains(where: { !$0.isEmpty }) else { return nil }
        for part in parts where !part.isEmpty {
            guard underscoresRemoved(String(part), digits: "0123456789", allowLeadingUnderscore: false) != nil else {
                return nil
            }
        }
        guard let value = Double(lower.replacingOccurrences(of: "_", with: "")) else { return nil }
        return .float(value)
    }

    /// Removes single underscores between digits; nil if `text` has other characters or a
    /// leading, doubled or trailing underscore (Python's rule; radix literals may start
    /// with one underscore, as in `0x_ff`).
    static func underscoresRemoved(_ text: String, digits: String, allowLeadingUnderscore: Bool) -> String? {
        var body = Substring(text)
        if allowLeadingUnderscore, body.first == "_" { body = body.dropFirst() }
        guard !body.isEmpty, body.first != "_", body.last != "_", !body.contains("__"),
              body.allSatisfy({ $0 == "_" || digits.contains($0) }) else { return nil }
        return body.replacingOccurrences(of: "_", with: "")
    }
}
