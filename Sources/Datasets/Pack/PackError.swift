// MARK: - PackError

/// Why a dataset pack (one HDF5 file per dataset) could not be written or read; every
/// case names the pack file.
public enum PackError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file is not a cocoop dataset pack (or of a newer format version).
    case notAPack(path: String, reason: String)
    /// The pack's contents contradict each other (sizes, offsets, labels).
    case inconsistent(path: String, reason: String)
    /// The pack holds another dataset than the one asked for.
    case datasetMismatch(path: String, packed: String, requested: String)
    /// Reading image bytes failed (I/O error, file shorter than its index says).
    case readFailed(path: String, reason: String)
    /// The stored SHA-256 of the image bytes does not match their contents.
    case checksumMismatch(path: String, stored: String, computed: String)
    /// A source image changed while the pack was written, or could not be read.
    case sourceChanged(path: String, reason: String)
    /// Writing the pack failed (HDF5 error, rename, disk full).
    case writeFailed(path: String, reason: String)

    /// A one-line message naming the pack (and image, where there is one).
    public var description: String {
        switch self {
        case let .notAPack(path, reason):
            return "\(path) is not a cocoop dataset pack: \(reason)"
        case let .inconsistent(path, reason):
            return "dataset pack \(path) is inconsistent: \(reason)"
        case let .datasetMismatch(path, packed, requested):
            return "dataset pack \(path) holds \(packed), but DATASET.NAME is \(requested)"
        case let .readFailed(path, reason):
            return "cannot read image bytes from dataset pack \(path): \(reason)"
        case let .checksumMismatch(path, stored, computed):
            return "dataset pack \(path) is damaged: SHA-256 of its image bytes is \(computed), stored \(stored)"
        case let .sourceChanged(path, reason):
            return "cannot pack image \(path): \(reason)"
        case let .writeFailed(path, reason):
            return "cannot write dataset pack \(path): \(reason)"
        }
    }
}
