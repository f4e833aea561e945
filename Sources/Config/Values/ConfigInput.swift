import Foundation

// MARK: - A value as written

/// Where a scalar's text came from; it decides how the text is decoded.
enum ScalarSource: Equatable {
    /// An unquoted YAML scalar: YAML 1.1 resolution (null, bool, int, float), then literal_eval.
    case yamlPlain
    /// A quoted or block YAML scalar: literal_eval (as yacs does), text as is for string keys.
    case yamlQuoted
    /// A command-line override value: literal_eval, as yacs' `merge_from_list`.
    case commandLine
}

/// A configuration value as written in a file or on the command line, before it is read
/// as the type of its key.
indirect enum ConfigInput: Equatable {
    case scalar(String, ScalarSource)
    case sequence([ConfigInput])
    /// A mapping where a value was expected (always an error for a leaf key).
    case mapping

    /// Converts a YAML node (a mapping becomes `.mapping`, whose entries are not kept).
    init(_ node: YAMLNode) {
        switch node.kind {
        case let .scalar(text, style): self = .scalar(text, style == .plain ? .yamlPlain : .yamlQuoted)
        case .sequence(let items): self = .sequence(items.map(ConfigInput.init))
        case .mapping: self = .mapping
        }
    }

    /// The value as yacs would decode it, or nil for a mapping.
    var literal: LiteralValue? {
        switch self {
        case let .scalar(text, source):
            if source == .yamlPlain, let resolved = YAMLScalarResolver.resolve(text) { return resolved }
            return PythonLiteral.parse(text) ?? .string(text)
        case .sequence(let items):
            var values: [LiteralValue] = []
            for item in items {
                guard let value = item.literal else { return nil }
                values.append(value)
            }
            return .list(values)
        case .mapping:
            return nil
        }
    }

    /// Describes the input for an error message: the text as written, or the sequence.
    var messageDescription: String {
        switch self {
        case .scalar(let text, _):
            if let literal, case .string = literal { return quotedForMessage(text) }
            if let literal { return "\(quotedForMessage(text)) (\(literal.typedDescription))" }
            return quotedForMessage(text)
        case .sequence: return "a sequence \(literal?.literalText ?? "[...]")"
        case .mapping: return "a mapping"
        }
    }
}

// MARK: - YAML 1.1 scalar resolution

/// PyYAML's implicit resolvers for plain scalars (YAML 1.1): null, bool, int, float.
/// Sexagesimal numbers (`1:30`) are not resolved; they stay text.
enum YAMLScalarResolver {
    static let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]
    static let trueWords: Set<String> = ["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]
    static let falseWords: Set<String> = ["no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]

    /// The resolved value, or nil when the scalar is a string in YAML 1.1.
    static func resolve(_ text: String) -> LiteralValue? {
        if nullWords.contains(text) { return LiteralValue.none }
        if let b = bool(text) { return .bool(b) }
        if let i = int(text) { return .int(i) }
        if let x = float(text) { return .float(x) }
        return nil
    }

    /// A YAML 1.1 boolean word (`true`, `Yes`, `OFF`, ...), or nil.
    static func bool(_ text: String) -> Bool? {
        if trueWords.contains(text) { return true }
        if falseWords.contains(text) { return false }
        return nil
    }

    /// `[-+]?(0b[01_]+ | 0[0-7_]+ | 0 | [1-9][0-9_]* | 0x[0-9a-fA-F_]+)`.
    static func int(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "+" || sign == "-" { negative = sign == "-"; body = body.dropFirst() }
        guard let first = body.first, first.isASCII, first.isNumber else { return nil }
        let digits: String
        let radix: Int
        if body.hasPrefix("0b") { digits = "01_"; radix = 2; body = body.dropFirst(2) }
        else if body.hasPrefix("0x") { digits = "0123456789abcdefABCDEF_"; radix = 16; body = body.dropFirst(2) }
        else if body.count > 1 && first == "0" { digits = "01234567_"; radix = 8; body = body.dropFirst() }
        else { digits = "0123456789_"; radix = 10 }
        guard !body.isEmpty, body.allSatisfy({ digits.contains($0) }) else { return nil }
        let cleaned = body.replacingOccurrences(of: "_", with: "")
        guard !cleaned.isEmpty, let magnitude = Int(cleaned, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// `[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?`, `[-+]?.inf`, `.nan` (PyYAML's rules).
    static func float(_ text: String) -> Double? {
        var body = Substring(text)
        var sign = 1.0
        if let s = body.first, s == "+" || s == "-" { sign = s == "-" ? -1 : 1; body = body.dropFirst() }
        if [".inf", ".Inf", ".INF"].contains(body) { return sign * .infinity }
        if [".nan", ".NaN", ".NAN"].contains(text) { return .nan }
        var mantissa = body
        var exponent: Substring = ""
        if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = body[..<e]
            exponent = body[body.index(after: e)...]
            guard let s = exponent.first, s == "+" || s == "-", exponent.count > 1,
                  exponent.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        }
        guard let dot = mantissa.firstIndex(of: ".") else { return nil }
        let whole = mantissa[..<dot], fraction = mantissa[mantissa.index(after: dot)...]
        guard whole.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "_" }), whole.first != "_",
              fraction.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "_" }),
              whole.contains(where: { $0.isNumber }) || fraction.contains(where: { $0.isNumber }) else { return nil }
        let cleaned = (String(whole.isEmpty ? "0" : whole) + "." + String(fraction) + "0"
                       + (exponent.isEmpty ? "" : "e" + exponent)).replacingOccurrences(of: "_", with: "")
        guard let value = Double(cleaned) else { return nil }
        return sign * value
    }
}
