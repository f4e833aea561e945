import Foundation
import HDF5
import Support

// MARK: - PackedDataset

/// A dataset pack opened for reading (see `PackLayout`): the split lists in memory, image
/// bytes read on demand by index.
///
/// Image bytes are read with `pread` straight from the file (they lie in one contiguous
/// run), so any number of loader threads read in parallel without HDF5's lock. A pack
/// whose byte array was re-chunked or compressed (e.g. by h5repack) is read through HDF5.
public final class PackedDataset: @unchecked Sendable {
    /// The pack file.
    public let url: URL
    /// DATASET.NAME it was packed from.
    public let datasetName: String
    /// Class names in label order.
    public let classnames: [String]
    /// Image paths relative to the image folder, one per stored image.
    public let relativePaths: [String]
    /// Where image i starts in the byte array.
    public let offsets: [Int64]
    /// Image i's length in bytes.
    public let lengths: [Int64]
    /// Per split: the stored image index and the label of each item, in split order.
    public let items: [Split: [(image: Int, label: Int)]]
    /// The root attributes (format, created, software, dataset_dir, image_root, ...).
    public let attributes: [String: HDF5AttributeValue]
    /// The stored SHA-256 (hex) of all image bytes.
    public let storedSHA256: String?

    private let byteCount: Int
    private let reader: Reader
    private let lookupLock = NSLock()
    private var indexByPath: [String: Int]?

    /// How image bytes are read.
    private enum Reader {
        /// pread from this descriptor at this file offset.
        case direct(fd: Int32, base: Int)
        /// HDF5 hyperslab reads (under HDF5's process-wide lock).
        case hdf5(HDF5File)
    }

    // MARK: - Opening

    /// Packs up to this size are checked for damaged global heaps before HDF5 reads them.
    public static let globalHeapCheckLimit = 1 << 30

    /// Opens a pack and reads its index.
    /// - Parameter directReads: false forces reads through HDF5 (tests the fallback).
    /// - Throws: `PackError` naming the file (not a pack, newer format, inconsistent).
    public init(contentsOf url: URL, directReads: Bool = true) throws {
        self.url = url
        let path = url.path
        let h5: HDF5File
        do {
            // Reading a whole pack of many GB to check it would cost more than it guards.
            try HDF5File.checkGlobalHeaps(atPath: path, limit: Self.globalHeapCheckLimit)
            h5 = try HDF5File.open(path)
        } catch {
            throw PackError.notAPack(path: path, reason: "\(error)")
        }
        do {
            var attrs: [String: HDF5AttributeValue] = [:]
            for name in try h5.attributeNames() { attrs[name] = try h5.attribute(name) }
            guard attrs["format"]?.stringValue == PackLayout.format else {
                throw PackError.notAPack(
                    path: path, reason: "root attribute format is \(attrs["format"].map { "\($0)" } ?? "absent"), "
                                        + "expected \(PackLayout.format)")
            }
            guard let version = attrs["format_version"]?.int64Value, version <= PackLayout.formatVersion else {
                throw PackError.notAPack(
                    path: path, reason: "format_version \(attrs["format_version"].map { "\($0)" } ?? "absent") "
                                        + "is newer than \(PackLayout.formatVersion), the version this program reads")
            }
            attributes = attrs
            datasetName = attrs["dataset_name"]?.stringValue ?? ""
            classnames = try h5.readStrings(PackLayout.classnames)
            relativePaths = try h5.readStrings(PackLayout.paths)
            offsets = try h5.readInt64s(PackLayout.offsets)
            lengths = try h5.readInt64s(PackLayout.lengths)
            byteCount = try h5.shape(of: PackLayout.bytes).first ?? 0
            storedSHA256 = try h5.attribute("sha256", of: PackLayout.bytes)?.stringValue
            var items: [Split: [(image: Int, label: Int)]] = [:]
            for split in Split.allCases {
                let images = try h5.readInt64s(PackLayout.splitImages(split))
                let labels = try h5.readInt64s(PackLayout.splitLabels(split))
                guard images.count == labels.count else {
                    throw PackError.inconsistent(
                        path: path, reason: "split \(split.rawValue): \(images.count) images "
                                            + "but \(labels.count) labels")
                }
                items[split] = zip(images, labels).map { (Int($0), Int($1)) }
            }
            self.items = items
            try Self.check(path: path, paths: relativePaths, offsets: offsets, lengths: lengths, byteCount: byteCount,
                           items: items, classCount: classnames.count)
            if directReads, let range = try h5.contiguousByteRange(of: PackLayout.bytes) {
                reader = try Self.directReader(path: path, range: range)
                try h5.close()
            } else {
                reader = .hdf5(h5)
            }
        } catch let error as HDF5Error {
            throw PackError.notAPack(path: path, reason: error.description)
        }
    }

    deinit {
        if case .direct(let fd, _) = reader { close(fd) }
    }

    /// Checks that offsets, lengths, image indices and labels fit together.
    private static func check(path: String, paths: [String], offsets: [Int64], lengths: [Int64], byteCount: Int,
                              items: [Split: [(image: Int, label: Int)]], classCount: Int) throws {
        guard offsets.count == paths.count, lengths.count == paths.count else {
            throw PackError.inconsistent(
                path: path, reason: "\(paths.count) paths, \(offsets.count) offsets, \(lengths.count) lengths")
        }
        for i in paths.indices where offsets[i] < 0 || lengths[i] < 0 || offsets[i] + lengths[i] > Int64(byteCount) {
            throw PackError.inconsistent(
                path: path, reason: "image \(i) (\(paths[i])) at \(offsets[i]) + \(lengths[i]) "
                                    + "lies outside the \(byteCount) stored bytes")
        }
        for (split, list) in items {
            if let bad = list.firstIndex(where: {
                !paths.indices.contains($0.image) || !(0..<classCount).contains($0.label)
            }) {
                throw PackError.inconsistent(
                    path: path, reason: "\(split.rawValue)[\(bad)]: image \(list[bad].image) of \(paths.count), "
                                        + "label \(list[bad].label) of \(classCount) classes")
            }
        }
    }

    /// Opens the file for pread and checks that it holds the whole byte range.
    private static func directReader(path: String, range: Range<Int>) throws -> Reader {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PackError.readFailed(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0, Int(info.st_size) >= range.upperBound else {
            close(fd)
            throw PackError.inconsistent(
                path: path, reason: "file is \(info.st_size) bytes, its image bytes end at \(range.upperBound) "
                                    + "(truncated copy?)")
        }
        return .direct(fd: fd, base: range.lowerBound)
    }

    // MARK: - Reading

    /// Number of stored images.
    public var count: Int { relativePaths.count }

    /// The bytes of stored image `index`, exactly as its file held them.
    /// - Throws: `PackError.readFailed` naming the pack and the image.
    public func encodedImage(at index: Int) throws -> [UInt8] {
        precondition(relativePaths.indices.contains(index), "image \(index) outside 0..<\(count)")
        let length = Int(lengths[index]), offset = Int(offsets[index])
        return try [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            initialized = 0
            switch reader {
            case let .direct(fd, base):
                var done = 0
                while done < length {
                    let n = pread(fd, buffer.baseAddress! + done, length - done, off_t(base + offset + done))
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else {
                        let reason = n == 0 ? "file ends early" : String(cString: strerror(errno))
                        throw PackError.readFailed(path: url.path, reason: "\(relativePaths[index]): \(reason)")
                    }
                    done += n
                }
            case let .hdf5(file):
                do {
                    try file.readBytes(PackLayout.bytes, at: offset, into: UnsafeMutableRawBufferPointer(buffer))
                } catch {
                    throw PackError.readFailed(path: url.path, reason: "\(relativePaths[index]): \(error)")
                }
            }
            initialized = length
        }
    }

    /// The stored index of the image at `relativePath`, if packed.
    public func index(ofRelativePath relativePath: String) -> Int? {
        lookupLock.lock(); defer { lookupLock.unlock() }
        if indexByPath == nil {
            indexByPath = Dictionary(relativePaths.enumerated().map { ($0.element, $0.offset) },
                                     uniquingKeysWith: { a, _ in a })
        }
        return indexByPath![relativePath]
    }

    /// Recomputes the SHA-256 of all image bytes and compares it with the stored one.
    /// - Throws: `PackError.checksumMismatch` (or `.readFailed`).
    public func verifyChecksum() throws {
        var sha = SHA256()
        var sorted = Array(relativePaths.indices)
        sorted.sort { offsets[$0] < offsets[$1] }
        var end: Int64 = 0
        for i in sorted where lengths[i] > 0 {
            guard offsets[i] == end else {
                throw PackError.inconsistent(path: url.path,
                                             reason: "image bytes are not stored back to back at \(relativePaths[i])")
            }
            sha.update(try encodedImage(at: i))
            end = offsets[i] + lengths[i]
        }
        let computed = sha.hexDigest()
        if let stored = storedSHA256, stored != computed {
            throw PackError.checksumMismatch(path: url.path, stored: stored, computed: computed)
        }
    }

    // MARK: - As a dataset

    /// The recorded dataset folder and image folder (relative to DATASET.ROOT unless absolute).
    public var recordedDatasetDirectory: String { attributes["dataset_dir"]?.stringValue ?? "" }
    /// The recorded image folder.
    public var recordedImageRoot: String { attributes["image_root"]?.stringValue ?? "" }

    /// The splits as `DatasetCatalog.readAll` would give for the same dataset under `root`:
    /// the same `Datum`s (image paths = image root + stored relative path), but with images
    /// read from this pack.
    public func splits(root: URL) -> DatasetSplits {
        func resolve(_ recorded: String) -> URL {
            recorded.hasPrefix("/")
                ? URL(fileURLWithPath: recorded)
                : (recorded.isEmpty ? root : root.appendingPathComponent(recorded))
        }
        let imageRoot = resolve(recordedImageRoot)
        let prefix = imageRoot.path.hasSuffix("/") ? imageRoot.path : imageRoot.path + "/"
        func list(_ split: Split) -> [Datum] {
            items[split]!.map { entry in
                let rel = relativePaths[entry.image]
                return Datum(imagePath: rel.hasPrefix("/") ? rel : prefix + rel, label: entry.label,
                             classname: classnames[entry.label])
            }
        }
        let splitFile = attributes["split_file"]?.stringValue.flatMap { $0.isEmpty ? nil : resolve($0) }
        var out = DatasetSplits(name: datasetName, datasetDirectory: resolve(recordedDatasetDirectory),
                                imageRoot: imageRoot,
                                train: list(.train), val: list(.val), test: list(.test), classnames: classnames,
                                isTestOnly: attributes["is_test_only"]?.int64Value == 1, splitFile: splitFile)
        out.imageSource = PackedImageSource(pack: self, imageRoot: imageRoot)
        return out
    }
}

// MARK: - PackedImageSource

/// Reads a datum's image from a pack: the datum's path relative to `imageRoot` names it.
public struct PackedImageSource: ImageSource {
    /// The open pack.
    public let pack: PackedDataset
    /// The folder datum paths are relative to.
    public let imageRoot: URL
    private let prefix: String

    /// A source for data whose paths lie under `imageRoot`.
    public init(pack: PackedDataset, imageRoot: URL) {
        self.pack = pack
        self.imageRoot = imageRoot
        prefix = imageRoot.path.hasSuffix("/") ? imageRoot.path : imageRoot.path + "/"
    }

    /// "pack <file>".
    public var sourceDescription: String { "pack \(pack.url.path)" }

    /// The path as stored in the pack.
    func relativePath(of datum: Datum) -> String {
        datum.imagePath.hasPrefix(prefix) ? String(datum.imagePath.dropFirst(prefix.count)) : datum.imagePath
    }

    /// "pack.h5[relative/path]".
    public func displayName(for datum: Datum) -> String { "\(pack.url.path)[\(relativePath(of: datum))]" }

    /// The image's bytes from the pack.
    /// - Throws: `ImageLoadError.notInPack`, or `.unreadable` wrapping a read failure.
    public func encodedImage(for datum: Datum) throws -> [UInt8] {
        let rel = relativePath(of: datum)
        guard let index = pack.index(ofRelativePath: rel) else {
            throw ImageLoadError.notInPack(path: datum.imagePath, pack: pack.url.path)
        }
        do {
            return try pack.encodedImage(at: index)
        } catch let error as PackError {
            throw ImageLoadError.unreadable(path: displayName(for: datum), reason: error.description)
        }
    }
}
