// MARK: - ImageLoadError

/// Why one image could not be turned into a tensor, or why a batch could not be loaded;
/// every case names the image (file path, or pack file and entry).
public enum ImageLoadError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The image file does not exist.
    case missingImage(path: String)
    /// The file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// The bytes are not a JPEG or PNG this program decodes (`message` names the image).
    case undecodable(path: String, message: String)
    /// The image is not in the pack file the dataset is read from.
    case notInPack(path: String, pack: String)
    /// BadImagePolicy.skip found no good image to take the bad one's place.
    case noUsableImage(path: String, tried: Int)
    /// The loader was shut down while a batch was awaited.
    case loaderShutDown

    /// A one-line message naming the image.
    public var description: String {
        switch self {
        case let .missingImage(path):
            return "image not found: \(path)"
        case let .unreadable(path, reason):
            return "cannot read image \(path): \(reason)"
        case let .undecodable(_, message):
            return message
        case let .notInPack(path, pack):
            return "image \(path) is not in the pack \(pack) (re-run cocoop pack after changing the dataset)"
        case let .noUsableImage(path, tried):
            return "image \(path) is bad and none of the \(tried) images after it in the epoch's order "
                + "could be loaded instead"
        case .loaderShutDown:
            return "the batch loader was shut down"
        }
    }

    /// The image the error is about (empty for `.loaderShutDown`).
    public var path: String {
        switch self {
        case let .missingImage(path), let .unreadable(path, _), let .undecodable(path, _),
             let .notInPack(path, _), let .noUsableImage(path, _):
            return path
        case .loaderShutDown:
            return ""
        }
    }

    /// True for the errors a bad image file causes (subject to `BadImagePolicy.skip`).
    public var isBadImage: Bool {
        switch self {
        case .missingImage, .unreadable, .undecodable, .notInPack: return true
        case .noUsableImage, .loaderShutDown: return false
        }
    }
}
