/// A failed HDF5 operation, naming the file, the object inside it and what went wrong.
public enum HDF5Error: Error, CustomStringConvertible, Equatable {
    /// An HDF5 routine failed; `detail` is the innermost message of HDF5's error stack
    /// (e.g. "data error detected by Fletcher32 checksum", "truncated file: eof = ...").
    case callFailed(routine: String, file: String, object: String?, detail: String)
    /// No group, dataset or attribute at this path.
    case notFound(file: String, object: String)
    /// The object exists but holds another kind of data than asked for.
    case typeMismatch(file: String, object: String, expected: String, found: String)
    /// The number of values does not match the shape.
    case shapeMismatch(file: String, object: String, shape: [Int], valueCount: Int)
    /// A path or name that cannot be used (empty, "." or "..", a NUL character, ...).
    case invalidName(file: String, name: String, reason: String)
    /// A global heap collection (variable-length strings) HDF5 would hang on or misread.
    case corruptGlobalHeap(file: String, offset: Int, reason: String)
    /// A dataset whose stored description cannot be right (a shape larger than the file).
    case damagedDataset(file: String, object: String, reason: String)

    public var description: String {
        switch self {
        case let .callFailed(routine, file, object, detail):
            let what = object.map { "'\($0)' in \(file)" } ?? file
            return "\(routine) failed on \(what): \(detail)"
        case let .notFound(file, object):
            return "'\(object)' not found in \(file)"
        case let .typeMismatch(file, object, expected, found):
            return "'\(object)' in \(file) holds \(found), expected \(expected)"
        case let .shapeMismatch(file, object, shape, valueCount):
            return "'\(object)' in \(file): shape \(shape) needs \(shape.reduce(1, *)) values, got \(valueCount)"
        case let .invalidName(file, name, reason):
            return "invalid name '\(name)' for \(file): \(reason)"
        case let .corruptGlobalHeap(file, offset, reason):
            return "\(file) is damaged: the global heap collection at byte \(offset) cannot be read (\(reason))"
        case let .damagedDataset(file, object, reason):
            return "'\(object)' in \(file) is damaged: \(reason)"
        }
    }

    /// The file the error is about.
    public var file: String {
        switch self {
        case let .callFailed(_, file, _, _), let .notFound(file, _), let .typeMismatch(file, _, _, _),
             let .shapeMismatch(file, _, _, _), let .invalidName(file, _, _), let .corruptGlobalHeap(file, _, _),
             let .damagedDataset(file, _, _):
            return file
        }
    }
}
