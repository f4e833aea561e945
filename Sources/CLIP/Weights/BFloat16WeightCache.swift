import Foundation
import Support
import Tensor
#if canImport(Glibc)
import Glibc
#endif

// A node's bfloat16 weight cache: the bfloat16 matrices of one weights file, written once
// into a file of a shared folder (by default /dev/shm, i.e. memory) and mapped read-only,
// MAP_SHARED, by every rank, so the ranks of a node hold one copy. The file:
//   0   magic "CCBF16W\0"             8   version (UInt32)        12  header bytes (UInt32)
//   16  tensor count (UInt32)          20  identity bytes (UInt32) 24  file size (UInt64)
//   32  CRC-32 of the header, this field read as 0 (UInt32)        36  0 (UInt32)
//   40  identity (UTF-8: source files, sizes, times, architecture), then per tensor
//       rows, columns, data offset (3 x UInt64); the data follow, each tensor 64-byte aligned.
// All little-endian. A rank that finds no valid file writes one under a temporary name in the
// same folder, fsyncs it and links it to the final name: the first rank to link wins, the
// others use its file. Anything wrong with the folder gives private in-memory copies instead.

/// Where weights loaded at bfloat16 keep their matrices: a folder of node-shared cache files
/// (`COCOOP_WEIGHT_CACHE`, default `/dev/shm/cocoop-bf16-<uid>`), or private memory.
public struct BFloat16WeightCache: Sendable, Equatable {
    /// The folder of the cache files, or nil for private in-memory copies.
    public let directory: String?
    /// Whether the folder must belong to this user (the default one in a world-writable /dev/shm).
    let requiresOwnFolder: Bool

    /// Cache files in `directory` (created if need be); nil keeps private copies.
    public init(directory: String?) {
        self.directory = directory
        requiresOwnFolder = false
    }

    private init(defaultFolder: String) {
        directory = defaultFolder
        requiresOwnFolder = true
    }

    /// Private in-memory copies in each process.
    public static let privateMemory = BFloat16WeightCache(directory: nil)

    /// `COCOOP_WEIGHT_CACHE` (a folder; `off` or empty: private copies), else
    /// `/dev/shm/cocoop-bf16-<uid>`.
    public static var environment: BFloat16WeightCache {
        switch ProcessInfo.processInfo.environment["COCOOP_WEIGHT_CACHE"] {
        case let folder? where folder == "off" || folder.isEmpty: return .privateMemory
        case let folder?: return BFloat16WeightCache(directory: folder)
        case nil: return BFloat16WeightCache(defaultFolder: "/dev/shm/cocoop-bf16-\(getuid())")
        }
    }
}

extension BFloat16WeightCache {
    /// The matrices of `bytes` read as a whole cache file and checked as a load checks one,
    /// against the identity and shapes its own header gives (bounded to 2^31 rows and columns),
    /// or nil when it would be rejected. The entry point of the fuzzing harness.
    public static func matrixCount(ofFile bytes: UnsafeRawBufferPointer) -> Int? {
        let fixed = BFloat16CacheFile.fixedHeader, entry = BFloat16CacheFile.entryBytes
        guard bytes.count >= fixed else { return nil }
        let u32 = { BFloat16CacheFile.u32(bytes, $0) }, u64 = { BFloat16CacheFile.u64(bytes, $0) }
        let count = u32(16), identityBytes = u32(20)
        guard fixed + identityBytes + count * entry <= bytes.count else { return nil }
        let identity = Array(bytes[fixed..<fixed + identityBytes])
        var shapes: [(rows: Int, columns: Int)] = []
        for i in 0..<count {
            let at = fixed + identityBytes + i * entry, rows = u64(at), columns = u64(at + 8)
            guard rows < 1 << 31, columns < 1 << 31 else { return nil }
            shapes.append((Int(rows), Int(columns)))
        }
        return BFloat16CacheFile.validOffsets(bytes, identity: identity, shapes: shapes)?.count
    }
}

/// Where the bfloat16 matrices of a ``CLIPWeights`` live.
public enum BFloat16Storage: Equatable, Sendable {
    /// None: the weights are float32.
    case none
    /// In the cache file at `path`, mapped shared; `created` when this process wrote it.
    case mapped(path: String, created: Bool)
    /// In this process's memory; `notice` says why the cache was not used (nil: none asked for).
    case privateMemory(notice: String?)
}

/// A failed file operation on the cache (the run goes on with private copies).
struct WeightCacheFailure: Error {
    let step: String, path: String, code: Int32
}

/// Reads, validates and writes cache files.
enum BFloat16CacheFile {
    static let magic = Array("CCBF16W\0".utf8)
    static let version: UInt32 = 1
    static let fixedHeader = 40, entryBytes = 24, alignment = 64

    /// The matrices for `shapes` (`[rows, columns]` each) with `identity`, from the cache file
    /// `name` in `cache`'s folder, written first if no valid one is there; `tensor(i)` reads the
    /// float32 source of matrix `i` (its errors are thrown: they are the weights' faults).
    static func matrices(shapes: [(rows: Int, columns: Int)], identity: String, name: String,
                         cache: BFloat16WeightCache, tensor: (Int) throws -> Tensor,
                         notify: (String) -> Void) throws -> ([BFloat16Matrix], BFloat16Storage) {
        func privateCopies() throws -> [BFloat16Matrix] {
            try shapes.indices.map { BFloat16Matrix(converting: try tensor($0)) }
        }
        guard let folder = cache.directory else { return (try privateCopies(), .privateMemory(notice: nil)) }
        let identity = Array(identity.utf8), path = folder + "/" + name
        let store = PackedWeightFiles(folder: folder, cache: cache, prefix: name)
        do {
            let (matrices, created) = try publish(path: path, folder: folder, name: name, cache: cache, find: {
                try map(path, identity: identity, shapes: shapes, folder: folder, cache: cache, packed: store)
            }, write: {
                try write(folder: folder, name: name, identity: identity, shapes: shapes, tensor: tensor)
            })
            return (matrices, .mapped(path: path, created: created))
        } catch let failure as WeightCacheFailure {
            let notice = "cocoop: bfloat16 weight cache \(folder): cannot \(failure.step) \(failure.path): "
                + "\(String(cString: strerror(failure.code))) (errno \(failure.code)); keeping a private "
                + "bfloat16 copy of the weights in this process"
            notify(notice)
            return (try privateCopies(), .privateMemory(notice: notice))
        }
    }

    /// The file at `path` as `find` reads it (nil: missing or invalid), made first when need be:
    /// `write` writes a complete file under a temporary name in `folder` (returning its path),
    /// which is linked to `path`, so that of ranks racing to make it the first one's file
    /// wins and the others use it. - Returns: what `find` read, and whether this process made it.
    static func publish<T>(path: String, folder: String, name: String, cache: BFloat16WeightCache,
                           find: () throws -> T?, write: () throws -> String) throws -> (T, created: Bool) {
        if let found = try find() { return (found, false) }
        try makeFolder(folder, own: cache.requiresOwnFolder)
        removeAbandonedTemporaries(folder: folder, name: name)
        let temporary = try write()
        defer { unlink(temporary) }
        if link(temporary, path) != 0 {
            let code = errno
            // No hard links on this file system: renaming is atomic too (the last rank's file stays).
            let linkless = code == EPERM || code == EOPNOTSUPP
            guard code == EEXIST || linkless else {
                throw WeightCacheFailure(step: "link", path: path, code: code)
            }
            // Another rank was first: its file, unless that one is bad (then ours replaces it).
            if !linkless, let found = try find() { return (found, false) }
            guard rename(temporary, path) == 0 else {
                throw WeightCacheFailure(step: "rename", path: path, code: errno)
            }
        }
        guard let made = try find() else { throw WeightCacheFailure(step: "read back", path: path, code: EIO) }
        return (made, true)
    }

    // MARK: - Reading

    /// The matrices of the file at `path` if it exists and is valid, else nil (no file, or
    /// one to replace: truncated, of another version or identity, corrupt header).
    /// Each matrix keeps its packed copies in `packed` (named after its index).
    private static func map(_ path: String, identity: [UInt8], shapes: [(rows: Int, columns: Int)],
                            folder: String, cache: BFloat16WeightCache,
                            packed: PackedWeightFiles) throws -> [BFloat16Matrix]? {
        if cache.requiresOwnFolder { try checkFolder(folder) }
        guard let file = try? MappedFile(path: path),
              let offsets = validOffsets(file.bytes, identity: identity, shapes: shapes) else { return nil }
        let base = file.bytes.baseAddress!
        return zip(shapes, offsets).enumerated().map { i, entry in
            BFloat16Matrix(borrowing: (base + entry.1).assumingMemoryBound(to: UInt16.self), rows: entry.0.rows,
                           columns: entry.0.columns, owner: file,
                           packed: PackedWeights(store: packed, name: "t\(i)"))
        }
    }

    /// The data offsets when `bytes` is a complete cache file for `identity` and `shapes`.
    static func validOffsets(_ bytes: UnsafeRawBufferPointer, identity: [UInt8],
                             shapes: [(rows: Int, columns: Int)]) -> [Int]? {
        guard bytes.count >= fixedHeader, Array(bytes[0..<8]) == magic else { return nil }
        let u32 = { Self.u32(bytes, $0) }, u64 = { Int(truncatingIfNeeded: Self.u64(bytes, $0)) }
        let headerBytes = u32(12), count = u32(16), identityBytes = u32(20)
        guard u32(8) == Int(version), count == shapes.count, identityBytes == identity.count,
              headerBytes == fixedHeader + identity.count + count * entryBytes, headerBytes <= bytes.count,
              u64(24) == bytes.count else { return nil }
        var header = Array(bytes[0..<headerBytes])
        for i in 32..<36 { header[i] = 0 }
        guard ReflectedCRC32.zip.checksum(header) == UInt32(u32(32)),
              Array(bytes[fixedHeader..<fixedHeader + identity.count]) == identity else { return nil }
        var offsets: [Int] = []
        for (i, shape) in shapes.enumerated() {
            let entry = fixedHeader + identity.count + i * entryBytes
            let offset = u64(entry + 16)
            guard u64(entry) == shape.rows, u64(entry + 8) == shape.columns, offset % alignment == 0,
                  offset >= headerBytes, offset <= bytes.count - shape.rows * shape.columns * 2 else { return nil }
            offsets.append(offset)
        }
        return offsets
    }

    // MARK: - Writing

    /// The header and the data offsets of a file for `identity` and `shapes`.
    static func header(identity: [UInt8], shapes: [(rows: Int, columns: Int)]) -> (bytes: [UInt8], offsets: [Int]) {
        func round(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
        let headerBytes = fixedHeader + identity.count + shapes.count * entryBytes
        var offsets: [Int] = [], end = round(headerBytes)
        for shape in shapes {
            offsets.append(end)
            end = round(end + shape.rows * shape.columns * 2)
        }
        var bytes = magic
        func put<T: FixedWidthInteger>(_ value: T) { append(value, to: &bytes) }
        put(version); put(UInt32(headerBytes)); put(UInt32(shapes.count)); put(UInt32(identity.count))
        put(UInt64(end)); put(UInt32(0)); put(UInt32(0))
        bytes += identity
        for (shape, offset) in zip(shapes, offsets) {
            put(UInt64(shape.rows)); put(UInt64(shape.columns)); put(UInt64(offset))
        }
        return (sealed(bytes, crcAt: 32), offsets)
    }

    // MARK: - Fields (both kinds of file)

    /// The little-endian UInt32 at `at`.
    static func u32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> Int {
        Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
    }

    /// The little-endian UInt64 at `at`.
    static func u64(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    /// Appends `value` little-endian.
    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// `header` with the CRC-32 of its bytes (the 4 at `crcAt` zero) written at `crcAt`.
    static func sealed(_ header: [UInt8], crcAt: Int) -> [UInt8] {
        var bytes = header
        let crc = ReflectedCRC32.zip.checksum(bytes)
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[crcAt + i] = $0[i] } }
        return bytes
    }

    /// Writes a complete cache file under a temporary name in `folder` (fsynced) and returns
    /// its path; on a failure, removes it.
    private static func write(folder: String, name: String, identity: [UInt8], shapes: [(rows: Int, columns: Int)],
                              tensor: (Int) throws -> Tensor) throws -> String {
        let (head, offsets) = header(identity: identity, shapes: shapes)
        let total = head.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 24,
                                                                                      as: UInt64.self))) }
        return try writeTemporary(folder: folder, name: name, size: total) { file in
            for (i, offset) in offsets.enumerated() {
                let matrix = BFloat16Matrix(converting: try tensor(i))
                precondition(matrix.rows == shapes[i].rows && matrix.columns == shapes[i].columns)
                try file.put(UnsafeRawBufferPointer(start: matrix.data, count: matrix.byteCount), at: offset)
            }
            try head.withUnsafeBytes { try file.put($0, at: 0) }  // the header last: a torn file never validates
        }
    }

    /// A file being written under a temporary name.
    struct TemporaryFile {
        let fd: Int32, path: String

        /// Writes `bytes` at `offset`.
        func put(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
            var written = 0
            while written < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + written, bytes.count - written, off_t(offset + written))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw WeightCacheFailure(step: "write", path: path, code: n < 0 ? errno : ENOSPC) }
                written += n
            }
        }
    }

    /// Creates a file of `size` bytes under a temporary name for `name` in `folder`, lets
    /// `body` write it, fsyncs it and returns its path; on a failure, removes it.
    static func writeTemporary(folder: String, name: String, size: Int,
                               _ body: (TemporaryFile) throws -> Void) throws -> String {
        var template = Array("\(folder)/.\(name).tmp.XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        let temporary = String(cString: template)
        guard fd >= 0 else { throw WeightCacheFailure(step: "create a file in", path: folder, code: errno) }
        var done = false
        defer {
            close(fd)
            if !done { unlink(temporary) }
        }
        guard ftruncate(fd, off_t(size)) == 0 else {
            throw WeightCacheFailure(step: "size", path: temporary, code: errno)
        }
        try body(TemporaryFile(fd: fd, path: temporary))
        guard fsync(fd) == 0 else { throw WeightCacheFailure(step: "fsync", path: temporary, code: errno) }
        done = true
        return temporary
    }

    // MARK: - The folder

    /// Removes temporary files of `name` left for over ten minutes (by a rank killed while
    /// writing): in /dev/shm they would hold memory until the next reboot.
    static func removeAbandonedTemporaries(folder: String, name: String) {
        let prefix = ".\(name).tmp.", now = time(nil)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for entry in entries where entry.hasPrefix(prefix) {
            var info = stat()
            let path = folder + "/" + entry
            if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, now - info.st_mtim.tv_sec > 600 {
                unlink(path)
            }
        }
    }

    /// Creates `folder` and its parents (mode 0700 for new ones).
    static func makeFolder(_ folder: String, own: Bool) throws {
        var prefix = folder.hasPrefix("/") ? "" : "."
        for part in folder.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw WeightCacheFailure(step: "create the folder", path: prefix, code: errno)
            }
        }
        if own { try checkFolder(folder) }
    }

    /// Refuses a default folder that is not a directory of this user's (another user's could
    /// hold planted files).
    static func checkFolder(_ folder: String) throws {
        var info = stat()
        guard lstat(folder, &info) == 0 else {
            if errno == ENOENT { return }
            throw WeightCacheFailure(step: "stat", path: folder, code: errno)
        }
        guard info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else {
            throw WeightCacheFailure(step: "use another user's folder", path: folder, code: EACCES)
        }
    }
}
