import Foundation

/// What can be wrong with a sweep file or a sweep's state on disk; each message names the
/// file and line (or the folder) at fault.
public enum SweepError: Error, CustomStringConvertible {
    /// A key of the sweep file that is not part of the format.
    case unknownKey(file: String, line: Int, key: String, section: String, known: [String])
    /// A value of the wrong shape or type.
    case badValue(file: String, line: Int, key: String, expected: String, found: String)
    /// A required key is absent.
    case missingKey(file: String, key: String, why: String)
    /// `$NAME` or `${NAME}` in a path, with no such environment variable.
    case unsetVariable(file: String, line: Int, name: String, text: String)
    /// Two trials would write into the same folder (an axis that does not reach the path).
    case duplicateTrialFolder(path: String)
    /// The sweep file is fine but the trial grid is empty (an axis with no values).
    case emptyGrid(file: String, axis: String)

    /// The message, naming the file and line or the folder.
    public var description: String {
        switch self {
        case let .unknownKey(file, line, key, section, known):
            return "\(file):\(line): unknown key '\(key)' in \(section) (known: \(known.joined(separator: ", ")))"
        case let .badValue(file, line, key, expected, found):
            return "\(file):\(line): '\(key)' expects \(expected), found \(found)"
        case let .missingKey(file, key, why):
            return "\(file): '\(key)' is required (\(why))"
        case let .unsetVariable(file, line, name, text):
            return "\(file):\(line): environment variable \(name) in '\(text)' is not set"
        case let .duplicateTrialFolder(path):
            return "two trials of the sweep would share the folder \(path); "
                + "give the axis values that differ a place in the path"
        case let .emptyGrid(file, axis):
            return "\(file): axis '\(axis)' has no values, so the sweep has no trials"
        }
    }
}
