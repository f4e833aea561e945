import Foundation
import Imaging

// MARK: - ImageLoader

/// Dassl's `DatasetWrapper.__getitem__` for one datum: read the image (`read_image`:
/// Pillow `open(...).convert("RGB")`), apply the transform, write the float32 CHW tensor.
public struct ImageLoader: Sendable {
    /// Where encoded images come from.
    public let source: any ImageSource
    /// The training or test transform.
    public let transform: ImageTransform

    /// A loader reading from `source` and applying `transform`.
    public init(source: any ImageSource = FolderImageSource(), transform: ImageTransform) {
        self.source = source
        self.transform = transform
    }

    /// Floats per image (3 x height x width).
    public var imageCount: Int { transform.outputCount }

    /// The decoded RGB image of `datum`.
    /// - Throws: `ImageLoadError` naming the image (missing, unreadable, not JPEG/PNG, corrupt).
    public func decode(_ datum: Datum) throws -> RGBImage {
        let bytes = try source.encodedImage(for: datum)
        let name = source.displayName(for: datum)
        do {
            return try ImageDecoder.decode(data: bytes, name: name)
        } catch let error as ImagingError {
            throw ImageLoadError.undecodable(path: name, message: error.description)
        }
    }

    /// Writes the tensor of `datum` (`imageCount` floats, CHW) to `destination`.
    /// - Parameter key: the augmentation key (required for a random training transform).
    /// - Throws: `ImageLoadError` for a bad image, `TransformError.missingAugmentationKey`.
    public func load(_ datum: Datum, key: AugmentationKey?, into destination: UnsafeMutablePointer<Float>) throws {
        try transform.apply(decode(datum), key: key, into: destination)
    }

    /// The tensor of `datum` as a new array.
    public func load(_ datum: Datum, key: AugmentationKey?) throws -> [Float] {
        try transform(decode(datum), key: key)
    }
}

// MARK: - Bad images

/// What the loader does with an image that is missing or cannot be decoded.
///
/// - `stop`: the batch holding it fails with the `ImageLoadError` naming the file.
/// - `skip`: the file is reported once (`BadImageEvent`) and remembered; then
///   * a TRAINING item (one with a `SubstituteOrder`) is replaced by the next good item
///     in the epoch's order after its position (wrapping), loaded with the bad item's
///     augmentation key and carrying the substitute's own label. The global batch keeps
///     its size, and because the choice depends only on the epoch order and the files,
///     every rank count (1x4, 2x2, 4x1) sees the same samples;
///   * an EVALUATION item (no `SubstituteOrder`) is dropped: the batch comes back shorter
///     (`LoadedBatch.count`), so evaluation counts only the images that could be read.
public enum BadImagePolicy: String, Sendable, CaseIterable {
    /// Fail the batch.
    case stop
    /// Substitute (training) or drop (evaluation), with a warning.
    case skip

    /// Parses "stop" or "skip" (case-insensitive).
    /// - Throws: `DatasetError.invalidOption` naming `key`.
    public init(parsing text: String, key: String = "DATALOADER.BAD_IMAGES") throws {
        guard let policy = BadImagePolicy(rawValue: text.lowercased()) else {
            throw DatasetError.invalidOption(name: key, value: text, reason: "expected stop or skip")
        }
        self = policy
    }
}

/// A bad image reported under `BadImagePolicy.skip` (once per file and registry).
public struct BadImageEvent: Sendable, Equatable, CustomStringConvertible {
    /// The image's path (or pack entry).
    public let path: String
    /// Why it could not be loaded.
    public let reason: String
    /// The item it was found at.
    public let sampleIndex: Int

    /// "skipping bad image <path>: <reason>".
    public var description: String { "skipping bad image \(path): \(reason)" }
}

/// The bad images found so far, shared by the loader's threads and, when passed to
/// several loaders, across epochs: a known-bad file is neither decoded nor reported again.
public final class BadImageRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var reasons: [String: String] = [:]

    /// An empty registry.
    public init() {}

    /// The reason `path` was found bad, or nil if it was not.
    public func reason(for path: String) -> String? {
        lock.lock(); defer { lock.unlock() }
        return reasons[path]
    }

    /// Records `path` as bad; returns true when it was not known before.
    @discardableResult
    public func record(_ path: String, reason: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard reasons[path] == nil else { return false }
        reasons[path] = reason
        return true
    }

    /// Every bad path with its reason, sorted by path.
    public var all: [(path: String, reason: String)] {
        lock.lock(); defer { lock.unlock() }
        return reasons.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
