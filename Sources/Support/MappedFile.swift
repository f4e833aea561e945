#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Errors

/// Why a file could not be memory-mapped; every case names the file.
public enum MappedFileError: Error, CustomStringConvertible, Equatable {
    /// `open(2)` failed (missing file, no permission, ...).
    case cannotOpen(path: String, errno: Int32)
    /// `fstat(2)` failed.
    case cannotStat(path: String, errno: Int32)
    /// The path is a directory, a device or a socket, not a regular file.
    case notRegularFile(path: String)
    /// `mmap(2)` failed.
    case cannotMap(path: String, errno: Int32)

    public var description: String {
        switch self {
        case let .cannotOpen(path, code):
            return "cannot open '\(path)': \(String(cString: strerror(code)))"
        case let .cannotStat(path, code):
            return "cannot stat '\(path)': \(String(cString: strerror(code)))"
        case let .notRegularFile(path):
            return "'\(path)' is not a regular file"
        case let .cannotMap(path, code):
            return "cannot memory-map '\(path)': \(String(cString: strerror(code)))"
        }
    }
}

// MARK: - MappedFile

/// A whole file mapped read-only into memory (`mmap`, `MAP_SHARED`).
///
/// The mapping is shared, so several processes on one node that map the same weights
/// file share the same physical pages (the page cache). The pages are read-only:
/// writing through ``bytes`` or a pointer derived from it faults. The mapping lives as
/// long as this object; objects that point into it (zero-copy tensors) must retain it.
public final class MappedFile {
    /// The path the file was opened with.
    public let path: String
    /// Size of the file in bytes.
    public let count: Int
    private let base: UnsafeMutableRawPointer?

    /// Maps the file at `path`.
    ///
    /// An empty file is valid: it maps nothing and ``bytes`` is empty.
    /// - Throws: ``MappedFileError`` naming `path`.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MappedFileError.cannotOpen(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw MappedFileError.cannotStat(path: path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw MappedFileError.notRegularFile(path: path) }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        let pointer = mmap(nil, count, PROT_READ, MAP_SHARED, fd, 0)
        guard let pointer, pointer != MAP_FAILED else {
            throw MappedFileError.cannotMap(path: path, errno: errno)
        }
        base = pointer
    }

    deinit {
        if let base { munmap(base, count) }
    }

    /// Lets the kernel drop this process's resident pages of the mapping (`MADV_DONTNEED`):
    /// the contents stay the file's and are read back on the next access. For data read once.
    public func releaseResidentPages() {
        if let base { _ = madvise(base, count, Int32(MADV_DONTNEED)) }
    }

    /// The file's contents (valid while this object lives).
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { UnsafeRawPointer($0) }, count: count)
    }

    /// The first byte as a mutable pointer, for APIs that want one (e.g. borrowed tensors).
    ///
    /// The pages are mapped read-only: reading is fine, writing faults.
    /// `nil` for an empty file.
    public var unsafeMutableBaseAddress: UnsafeMutableRawPointer? { base }
}
