import Foundation

/// Why a dataset could not be read; every case names the file (and, for split files, the
/// split and the 0-based entry index) that was wrong.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file or folder the layout requires is absent.
    case missing(path: String, what: String)
    /// A file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// A JSON file is not valid JSON.
    case malformedJSON(path: String, line: Int, column: Int, reason: String)
    /// A split or few-shot file's top level is not an object with the expected keys.
    case malformedSplitFile(path: String, reason: String)
    /// A split key ("train", "val", "test") is absent from a split file.
    case missingSplit(path: String, split: String)
    /// The value of a split key is not an array.
    case splitNotArray(path: String, split: String, found: String)
    /// One entry of a split is not `[relative_path, label, classname]`.
    case badEntry(path: String, split: String, index: Int, reason: String)
    /// One label appears with two different class names.
    case classnameMismatch(path: String, label: Int, first: EntryLocation, second: EntryLocation)
    /// A class name holds a control character (shown escaped).
    case badClassname(path: String, split: String, index: Int, classname: String)
    /// A line of a text annotation file (variants.txt, classnames.txt, ...) is malformed.
    case badLine(path: String, line: Int, reason: String)
    /// A class folder or annotation names a class that the class list does not know.
    case unknownClass(path: String, name: String, classList: String)
    /// Labels are not 0..<C without gaps (a label has no class name).
    case labelWithoutName(label: Int, numClasses: Int, source: String)
    /// An image named by the dataset does not exist.
    case missingImage(path: String)
    /// DATASET.NAME is not one this program knows.
    case unknownDataset(name: String, known: [String])
    /// An option's value is invalid (names the option).
    case invalidOption(name: String, value: String, reason: String)
    /// A few-shot cache file does not fit the split it was drawn from.
    case staleCache(path: String, reason: String)
    /// Writing a file failed.
    case writeFailed(path: String, reason: String)

    /// Where an entry sits in a split file (for mismatch messages).
    public struct EntryLocation: Equatable, Sendable, CustomStringConvertible {
        /// "train", "val" or "test".
        public let split: String
        /// 0-based index of the entry in that split.
        public let index: Int
        /// The class name that entry carries.
        public let classname: String
        /// "train[12] ('abyssinian')".
        public var description: String { "\(split)[\(index)] ('\(classname)')" }
    }

    /// A one-line message naming the culprit.
    public var description: String {
        switch self {
        case let .missing(path, what):
            return "\(what) not found: \(path)"
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .malformedJSON(path, line, column, reason):
            return "\(path): invalid JSON at line \(line), column \(column): \(reason)"
        case let .malformedSplitFile(path, reason):
            return "\(path): \(reason)"
        case let .missingSplit(path, split):
            return "\(path): missing split \"\(split)\" "
                + "(a split file is {\"train\": [...], \"val\": [...], \"test\": [...]})"
        case let .splitNotArray(path, split, found):
            return "\(path): split \"\(split)\" must be an array of [relative_path, label, classname], found \(found)"
        case let .badEntry(path, split, index, reason):
            return "\(path): \(split)[\(index)]: \(reason)"
        case let .classnameMismatch(path, label, first, second):
            return "\(path): label \(label) has two class names: \(first) and \(second)"
        case let .badClassname(path, split, index, classname):
            return "\(path): \(split)[\(index)]: class name \(String(reflecting: classname)) holds a control character"
        case let .badLine(path, line, reason):
            return "\(path):\(line): \(reason)"
        case let .unknownClass(path, name, classList):
            return "\(path): class '\(name)' is not listed in \(classList)"
        case let .labelWithoutName(label, numClasses, source):
            return "\(source): label \(label) of 0..<\(numClasses) has no item, so no class name "
                + "(labels must be 0..C-1 without gaps)"
        case let .missingImage(path):
            return "image not found: \(path)"
        case let .unknownDataset(name, known):
            return "unknown DATASET.NAME '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .invalidOption(name, value, reason):
            return "invalid \(name) '\(value)': \(reason)"
        case let .staleCache(path, reason):
            return "few-shot cache \(path) does not match its split (\(reason)); delete it to draw the subset again"
        case let .writeFailed(path, reason):
            return "cannot write \(path): \(reason)"
        }
    }
}
