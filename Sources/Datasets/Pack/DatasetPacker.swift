import Foundation
import HDF5
import Support

// MARK: - Pack layout

/// The layout of a dataset pack (format version 1): one HDF5 file holding every image of
/// a dataset's splits, byte for byte as the files were, plus the split lists.
///
///     /                     attrs: format = "cocoop-dataset-pack", format_version = 1,
///                           dataset_name, created, software, is_test_only (0/1),
///                           dataset_dir, image_root (relative to DATASET.ROOT when
///                           inside it, else absolute), split_file ("" if none)
///     /classnames           strings [C], label order
///     /images/bytes         uint8 [total]: every image file concatenated, CONTIGUOUS and
///                           unfiltered (readers pread it directly)
///                           attr sha256: SHA-256 of those bytes (hex)
///     /images/offsets       int64 [N]: where image i starts in /images/bytes
///     /images/lengths       int64 [N]: its length in bytes
///     /images/paths         strings [N]: its path relative to image_root (unique)
///     /splits/<s>/image     int64 [n]: index into /images of each item of split s
///     /splits/<s>/label     int64 [n]: its label          (s = train, val, test)
///
/// Items keep their split order; an image in several splits is stored once.
/// With h5py: `f["images/bytes"][o:o+l].tobytes()` is the file `f["images/paths"][i]`.
public enum PackLayout {
    /// The `format` attribute.
    public static let format = "cocoop-dataset-pack"
    /// The `format_version` this program writes and reads.
    public static let formatVersion: Int64 = 1
    static let bytes = "/images/bytes"
    static let offsets = "/images/offsets"
    static let lengths = "/images/lengths"
    static let paths = "/images/paths"
    static let classnames = "/classnames"
    static func splitImages(_ s: Split) -> String { "/splits/\(s.rawValue)/image" }
    static func splitLabels(_ s: Split) -> String { "/splits/\(s.rawValue)/label" }
}

// MARK: - DatasetPacker

/// Writes a dataset pack from the image files of a dataset (`cocoop pack`).
public enum DatasetPacker {
    /// What a pack holds.
    public struct Summary: Sendable {
        /// Distinct images.
        public var images: Int
        /// Their bytes in total.
        public var bytes: Int
        /// Items per split.
        public var items: [Split: Int]
        /// SHA-256 (hex) of the concatenated image bytes.
        public var sha256: String
    }

    /// Bytes gathered before each HDF5 write.
    static let writeBufferBytes = 32 << 20

    /// Packs every item of `splits` (all splits, every class: pack before few-shot
    /// sampling) into `file`, written under a temporary name and renamed into place.
    /// - Parameters:
    ///   - root: DATASET.ROOT; the dataset and image folders are recorded relative to it so
    ///     that the pack can be used under another root (nil: recorded as absolute paths).
    ///   - software: recorded in the `software` attribute.
    ///   - progress: called with (images written, images in total) every few hundred images.
    /// - Throws: `ImageLoadError` for a missing or unreadable image, `PackError` otherwise.
    @discardableResult
    public static func pack(_ splits: DatasetSplits, root: URL?, to file: URL, software: String = "",
                            progress: ((Int, Int) -> Void)? = nil) throws -> Summary {
        // Distinct images in order of first appearance (train, val, test).
        var indexOf: [String: Int] = [:]
        var images: [Datum] = []
        var entries: [Split: (images: [Int64], labels: [Int64])] = [:]
        for split in Split.allCases {
            var list: (images: [Int64], labels: [Int64]) = ([], [])
            for d in splits[split] {
                guard splits.classnames.indices.contains(d.label), splits.classnames[d.label] == d.classname else {
                    throw PackError.inconsistent(path: file.path,
                        reason: "\(d) does not match class list entry \(d.label) of \(splits.classnames.count)")
                }
                let i: Int
                if let known = indexOf[d.imagePath] { i = known } else {
                    i = images.count
                    indexOf[d.imagePath] = i
                    images.append(d)
                }
                list.images.append(Int64(i))
                list.labels.append(Int64(d.label))
            }
            entries[split] = list
        }
        let sizes = try images.map { try fileSize($0.imagePath) }
        var offsets: [Int64] = [], total = 0
        offsets.reserveCapacity(sizes.count)
        for s in sizes { offsets.append(Int64(total)); total += s }

        let tmp = file.deletingLastPathComponent()
            .appendingPathComponent(".\(file.lastPathComponent).\(getpid()).tmp")
        do {
            let h5 = try HDF5File.create(tmp.path)
            try h5.write(splits.classnames, to: PackLayout.classnames)
            try h5.write(images.map { splits.relativePath(of: $0) }, to: PackLayout.paths)
            try h5.write(offsets, to: PackLayout.offsets)
            try h5.write(sizes.map { Int64($0) }, to: PackLayout.lengths)
            for split in Split.allCases {
                try h5.write(entries[split]!.images, to: PackLayout.splitImages(split))
                try h5.write(entries[split]!.labels, to: PackLayout.splitLabels(split))
            }
            try h5.createByteDataset(PackLayout.bytes, count: total)
            let digest = try copyImages(images, sizes: sizes, into: h5, progress: progress)
            try h5.setAttribute("sha256", .string(digest), on: PackLayout.bytes)
            let attributes: [(String, HDF5AttributeValue)] = [
                ("format", .string(PackLayout.format)), ("format_version", .int64(PackLayout.formatVersion)),
                ("dataset_name", .string(splits.name)),
                ("created", .string(ISO8601DateFormatter().string(from: Date()))),
                ("software", .string(software)), ("is_test_only", .int64(splits.isTestOnly ? 1 : 0)),
                ("dataset_dir", .string(recorded(splits.datasetDirectory, root: root))),
                ("image_root", .string(recorded(splits.imageRoot, root: root))),
                ("split_file", .string(splits.splitFile.map { recorded($0, root: root) } ?? "")),
            ]
            for (name, value) in attributes { try h5.setAttribute(name, value) }
            try h5.close()
            guard rename(tmp.path, file.path) == 0 else {
                throw PackError.writeFailed(path: file.path, reason: String(cString: strerror(errno)))
            }
            return Summary(images: images.count, bytes: total, items: entries.mapValues { $0.images.count },
                           sha256: digest)
        } catch let error as HDF5Error {
            try? FileManager.default.removeItem(at: tmp)
            throw PackError.writeFailed(path: file.path, reason: error.description)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
    }

    /// Streams every image file into `/images/bytes`; returns the SHA-256 of all bytes.
    private static func copyImages(_ images: [Datum], sizes: [Int], into h5: HDF5File,
                                   progress: ((Int, Int) -> Void)?) throws -> String {
        var sha = SHA256()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(writeBufferBytes)
        var written = 0
        func flush() throws {
            try buffer.withUnsafeBytes { try h5.writeBytes($0, at: written, to: PackLayout.bytes) }
            sha.update(buffer)
            written += buffer.count
            buffer.removeAll(keepingCapacity: true)
        }
        for (i, d) in images.enumerated() {
            let bytes = try FolderImageSource.readFile(d.imagePath)
            guard bytes.count == sizes[i] else {
                throw PackError.sourceChanged(path: d.imagePath,
                                              reason: "size changed from \(sizes[i]) to \(bytes.count) bytes "
                                                      + "while packing")
            }
            if buffer.count + bytes.count > writeBufferBytes && !buffer.isEmpty { try flush() }
            buffer += bytes
            if let progress, (i + 1) % 500 == 0 || i + 1 == images.count { progress(i + 1, images.count) }
        }
        if !buffer.isEmpty { try flush() }
        return sha.hexDigest()
    }

    /// The size of a regular file.
    /// - Throws: `ImageLoadError.missingImage` / `.unreadable` naming the file.
    static func fileSize(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw ImageLoadError.missingImage(path: path) }
            throw ImageLoadError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ImageLoadError.unreadable(path: path, reason: "not a regular file")
        }
        return Int(info.st_size)
    }

    /// `url`'s path relative to `root` when inside it ("" for root itself), else absolute.
    static func recorded(_ url: URL, root: URL?) -> String {
        let path = url.standardizedFileURL.path
        guard let root else { return path }
        let base = root.standardizedFileURL.path
        if path == base { return "" }
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
