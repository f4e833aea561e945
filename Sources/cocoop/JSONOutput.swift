import Foundation
import Support

/// One-object-per-line JSON outputs: keys in the order given, numbers in their shortest
/// round-tripping form (a Float prints as a Float, not widened to a Double).
enum JSON {
    /// A JSON string literal for `s` (Support's writer does the escaping).
    static func string(_ s: String) -> String { JSONValue.string(s).serialized(indent: nil) }

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
