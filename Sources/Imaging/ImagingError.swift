// MARK: - ImagingError

/// Why an image could not be decoded; every case names the file it concerns.
public enum ImagingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read (missing, unreadable, a directory).
    case unreadable(path: String, reason: String)
    /// The bytes are neither JPEG nor PNG (`detected` names what they look like).
    case unsupportedFormat(path: String, detected: String)
    /// The data ends before the image does.
    case truncated(path: String, format: String, detail: String)
    /// The decoder rejected the data (corrupt stream, bad checksum, unsupported variant).
    case corrupt(path: String, format: String, detail: String)
    /// The header announces an image larger than this program accepts.
    case tooLarge(path: String, width: Int, height: Int)

    /// A one-line message naming the file and the problem.
    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read image file '\(path)': \(reason)"
        case let .unsupportedFormat(path, detected):
            return "unsupported image format in '\(path)': \(detected) (only JPEG and PNG are decoded)"
        case let .truncated(path, format, detail):
            return "truncated \(format) file '\(path)': \(detail)"
        case let .corrupt(path, format, detail):
            return "cannot decode \(format) file '\(path)': \(detail)"
        case let .tooLarge(path, width, height):
            return "image '\(path)' is too large to decode: \(width) x \(height) pixels"
        }
    }

    /// The file path (or name) the error is about.
    public var path: String {
        switch self {
        case let .unreadable(path, _), let .unsupportedFormat(path, _), let .truncated(path, _, _),
             let .corrupt(path, _, _), let .tooLarge(path, _, _):
            return path
        }
    }
}
