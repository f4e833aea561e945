import Foundation

/// A folder of checkpoints named `ckpt-e<epoch>-s<step>.h5` (e.g. `ckpt-e0003-s000120.h5`):
/// saving by name, listing newest first, loading the newest one that verifies, and retention.
public struct CheckpointDirectory: Sendable {
    /// The folder.
    public let url: URL

    /// The folder at `url` (created when the first checkpoint is saved).
    public init(_ url: URL) { self.url = url }

    /// The checkpoints of a run's folder given as `--model-dir`: its `checkpoints/`
    /// subfolder when there is one, else the folder itself.
    public static func model(_ folder: URL) -> CheckpointDirectory {
        let sub = folder.appendingPathComponent("checkpoints")
        return CheckpointDirectory(FileManager.default.fileExists(atPath: sub.path) ? sub : folder)
    }

    // MARK: - Names

    /// One checkpoint file in the folder.
    public struct Entry: Equatable, Sendable {
        public let url: URL
        public let epoch: Int
        public let step: Int
        /// The file name, e.g. `ckpt-e0003-s000120.h5`.
        public var name: String { url.lastPathComponent }
    }

    /// The file name for a checkpoint at (`epoch`, `step`).
    public static func fileName(epoch: Int, step: Int) -> String {
        String(format: "ckpt-e%04d-s%06d.h5", epoch, step)
    }

    /// (epoch, step) from a checkpoint file name, or nil for any other name (including
    /// `.tmp` files of saves in progress).
    public static func parse(fileName name: String) -> (epoch: Int, step: Int)? {
        guard name.hasPrefix("ckpt-e"), name.hasSuffix(".h5") else { return nil }
        let middle = name.dropFirst("ckpt-e".count).dropLast(".h5".count)
        let parts = middle.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].hasPrefix("s"),
              parts[0].allSatisfy(\.isASCII), parts[1].dropFirst().allSatisfy(\.isASCII),
              let epoch = Int(parts[0]), let step = Int(parts[1].dropFirst()), epoch >= 0, step >= 0 else { return nil }
        return (epoch, step)
    }

    /// The checkpoints in the folder, newest (highest epoch, then step) first; an absent
    /// folder has none.
    public func entries() throws -> [Entry] {
        let fm = FileManager.default
        guard fm.fileExists(atPath: url.path) else { return [] }
        let names: [String]
        do {
            names = try fm.contentsOfDirectory(atPath: url.path)
        } catch {
            throw CheckpointError.io(path: url.path, operation: "list directory", message: "\(error)")
        }
        return names.compactMap { name in
            Self.parse(fileName: name).map {
                Entry(url: url.appendingPathComponent(name), epoch: $0.epoch, step: $0.step)
            }
        }.sorted { ($0.epoch, $0.step) > ($1.epoch, $1.step) }
    }

    // MARK: - Saving and loading

    /// Saves `contents` atomically as `fileName(epoch:step:)` in the folder (created if
    /// needed); returns the file's URL.
    @discardableResult
    public func save(_ contents: CheckpointContents) throws -> URL {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.io(path: url.path, operation: "create directory", message: "\(error)")
        }
        let target = url.appendingPathComponent(Self.fileName(epoch: contents.epoch, step: contents.step))
        try Checkpoint.save(contents, to: target)
        return target
    }

    /// A checkpoint that could not be used, and why.
    public struct Skipped: CustomStringConvertible, Sendable {
        public let entry: Entry
        public let reason: String
        public var description: String { "skipped checkpoint \(entry.url.path): \(reason)" }
    }

    /// The outcome of `loadNewestValid()`: the newest checkpoint that loaded and verified
    /// (with what `accept` made of it), and the newer ones skipped.
    public struct LoadResult<Accepted> {
        /// The newest checkpoint that loaded, verified and was accepted, if any.
        public let loaded: (entry: Entry, contents: CheckpointContents, accepted: Accepted)?
        /// Newer checkpoints that were truncated, corrupt or not accepted, newest first.
        public let skipped: [Skipped]
        /// One line per skipped file, for the log.
        public var warnings: [String] { skipped.map(\.description) }
    }

    /// Loads the newest checkpoint (of `epoch`, when given) that reads and verifies
    /// completely and that `accept` takes (e.g. whose attributes parse), skipping and
    /// reporting newer ones that are truncated, corrupt, not checkpoints or not accepted.
    /// - Throws: only when the folder cannot be listed.
    public func loadNewestValid<Accepted>(epoch: Int? = nil,
                                          accept: (CheckpointContents, Entry) throws -> Accepted)
        throws -> LoadResult<Accepted> {
        var skipped: [Skipped] = []
        for entry in try entries() where epoch == nil || entry.epoch == epoch {
            do {
                let contents = try Checkpoint.load(from: entry.url)
                return LoadResult(loaded: (entry, contents, try accept(contents, entry)), skipped: skipped)
            } catch {
                skipped.append(Skipped(entry: entry, reason: "\(error)"))
            }
        }
        return LoadResult(loaded: nil, skipped: skipped)
    }

    /// `loadNewestValid(epoch:accept:)` accepting every checkpoint that verifies.
    public func loadNewestValid(epoch: Int? = nil) throws -> LoadResult<Void> {
        try loadNewestValid(epoch: epoch) { _, _ in () }
    }

    // MARK: - Retention

    /// Deletes all checkpoints except the newest `keepNewest` and those whose file names are
    /// in `keeping` (e.g. epoch ends, the best one); returns the deleted files.
    @discardableResult
    public func prune(keepNewest: Int, keeping: Set<String> = []) throws -> [URL] {
        var removed: [URL] = []
        for (i, entry) in try entries().enumerated() where i >= max(keepNewest, 0) && !keeping.contains(entry.name) {
            do {
                try FileManager.default.removeItem(at: entry.url)
            } catch {
                throw CheckpointError.io(path: entry.url.path, operation: "remove", message: "\(error)")
            }
            removed.append(entry.url)
        }
        return removed
    }

    /// Deletes `ckpt-*.h5.tmp` files left by saves that were interrupted (call it only while no
    /// save is in progress: at the start of a run); returns them.
    @discardableResult
    public func removeStaleTemporaries() throws -> [URL] {
        let fm = FileManager.default
        guard fm.fileExists(atPath: url.path) else { return [] }
        let names: [String]
        do {
            names = try fm.contentsOfDirectory(atPath: url.path)
        } catch {
            throw CheckpointError.io(path: url.path, operation: "list directory", message: "\(error)")
        }
        var removed: [URL] = []
        for name in names where name.hasPrefix("ckpt-") && name.hasSuffix(".h5.tmp") {
            let file = url.appendingPathComponent(name)
            do { try fm.removeItem(at: file) } catch {
                throw CheckpointError.io(path: file.path, operation: "remove", message: "\(error)")
            }
            removed.append(file)
        }
        return removed
    }
}
