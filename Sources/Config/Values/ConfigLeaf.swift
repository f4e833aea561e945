import Foundation

// MARK: - Leaf types

/// A type a configuration key can hold: how to read it from what was written, what to say
/// when that fails, and how to write it back as YAML.
protocol ConfigLeaf {
    /// What the key expects, for messages ("int", "list of float", "one of ...").
    static var expectedDescription: String { get }
    /// Reads the input as this type, or nil if it does not fit.
    static func decode(_ input: ConfigInput) -> Self?
    /// The value as YAML text that `decode` reads back to the same value.
    var yamlText: String { get }
}

extension Int: ConfigLeaf {
    static var expectedDescription: String { "int" }
    static func decode(_ input: ConfigInput) -> Int? {
        if case .int(let i)? = input.literal { return i }
        return nil
    }
    var yamlText: String { String(self) }
}

extension Double: ConfigLeaf {
    static var expectedDescription: String { "float" }
    /// Floats, and ints widened to float (yacs would reject `LR: 1`; we read it as 1.0).
    static func decode(_ input: ConfigInput) -> Double? {
        switch input.literal {
        case .float(let x)?: return x
        case .int(let i)?: return Double(i)
        default: return nil
        }
    }
    /// Shortest round-trip text, always with a "." in the mantissa (`1.0e-05`), so that
    /// YAML 1.1 readers such as PyYAML also see a float.
    var yamlText: String {
        if isNaN { return ".nan" }
        if isInfinite { return self < 0 ? "-.inf" : ".inf" }
        var text = description
        if let e = text.firstIndex(of: "e"), !text[..<e].contains(".") {
            text.insert(contentsOf: ".0", at: e)
        }
        return text
    }
}

extension Bool: ConfigLeaf {
    static var expectedDescription: String { "bool" }
    /// Python's True/False, YAML's true/false/yes/no/on/off (also given as text).
    static func decode(_ input: ConfigInput) -> Bool? {
        switch input.literal {
        case .bool(let b)?: return b
        case .string(let s)?: return YAMLScalarResolver.bool(s)
        default: return nil
        }
    }
    var yamlText: String { self ? "true" : "false" }
}

extension String: ConfigLeaf {
    static var expectedDescription: String { "string" }
    /// Any scalar's text. Quoted YAML scalars are taken as written; plain scalars and
    /// command-line values written as a Python string literal (`'abc'`) are unquoted, and a
    /// YAML null (an empty value, `~`, `null`) is the empty string, as Dassl treats None.
    static func decode(_ input: ConfigInput) -> String? {
        guard case let .scalar(text, source) = input else { return nil }
        if source == .yamlQuoted { return text }
        if source == .yamlPlain && YAMLScalarResolver.nullWords.contains(text) { return "" }
        if case .string(let s)? = PythonLiteral.parse(text) { return s }
        return text
    }
    var yamlText: String { yamlDoubleQuoted(self) }
}

extension Array: ConfigLeaf where Element: ConfigLeaf {
    static var expectedDescription: String { "list of \(Element.expectedDescription)" }
    /// A YAML sequence, or text that is a Python list/tuple (`(224, 224)`, `[0.5, 1.0]`), or,
    /// on the command line, a YAML flow sequence (`[random_flip, normalize]`).
    static func decode(_ input: ConfigInput) -> [Element]? {
        guard let items = input.listItems else { return nil }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let value = Element.decode(item) else { return nil }
            out.append(value)
        }
        return out
    }
    var yamlText: String { "[" + map(\.yamlText).joined(separator: ", ") + "]" }
}

/// A string-valued enumeration read from its raw value; messages list the allowed values.
protocol ConfigEnum: ConfigLeaf, RawRepresentable, CaseIterable where RawValue == String {}

extension ConfigEnum {
    static var expectedDescription: String {
        "one of " + allCases.map { quotedForMessage($0.rawValue) }.joined(separator: ", ")
    }
    static func decode(_ input: ConfigInput) -> Self? {
        String.decode(input).flatMap(Self.init(rawValue:))
    }
    var yamlText: String { yamlDoubleQuoted(rawValue) }
}

// MARK: - Helpers

extension ConfigInput {
    /// The items when the input is a list: a sequence, a Python list/tuple literal, or a
    /// command-line YAML flow sequence; nil otherwise.
    var listItems: [ConfigInput]? {
        switch self {
        case .sequence(let items):
            return items
        case let .scalar(text, source):
            if case .list(let values)? = literal { return values.map(ConfigInput.init(literal:)) }
            if source == .commandLine,
               let document = try? YAMLReader.parse(text, file: "<command line>"),
               let root = document.root, case .sequence(let items) = root.kind {
                return items.map(ConfigInput.init)
            }
            return nil
        case .mapping:
            return nil
        }
    }

    /// An input that decodes to the given literal (strings are kept exactly as they are).
    init(literal: LiteralValue) {
        switch literal {
        case .none: self = .scalar("None", .commandLine)
        case .bool(let b): self = .scalar(b ? "True" : "False", .commandLine)
        case .int(let i): self = .scalar(String(i), .commandLine)
        case .float(let x): self = .scalar(x.yamlText, .yamlPlain)
        case .string(let s): self = .scalar(s, .yamlQuoted)
        case .list(let items): self = .sequence(items.map(ConfigInput.init(literal:)))
        }
    }
}

/// A YAML double-quoted scalar with the escapes libyaml reads back.
func yamlDoubleQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                out += String(format: "\\x%02X", scalar.value)
            } else if scalar.value == 0x2028 || scalar.value == 0x2029 || scalar.value == 0xFEFF {
                out += String(format: "\\u%04X", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
