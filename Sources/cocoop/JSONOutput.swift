import Foundation

/// Minimal JSON writing for one-object-per-line outputs (keys in the order given).
enum JSON {
    /// A JSON string literal for `s`.
    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// A JSON array of numbers.
    static func array<T: CustomStringConvertible>(_ values: [T]) -> String {
        "[" + values.map(\.description).joined(separator: ", ") + "]"
    }

    /// A JSON object from already-encoded values, in order.
    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\(string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
}
