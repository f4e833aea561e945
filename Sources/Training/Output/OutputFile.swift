import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a run's output file (log.txt, metrics.jsonl, status.json, results.json, ...) could
/// not be written; names the file and the system's reason (e.g. "No space left on device").
public struct OutputError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let operation: String
    public let reason: String

    public var description: String { "cannot \(operation) \(path): \(reason)" }

    /// The failure of `operation` on `path` for `reason`.
    public init(path: String, operation: String, reason: String) {
        self.path = path; self.operation = operation; self.reason = reason
    }

    /// The error for `operation` on `path` from the current `errno`.
    static func fromErrno(_ operation: String, _ path: String) -> OutputError {
        let e = errno
        // O_NOFOLLOW on a symbolic link gives ELOOP, whose text ("Too many levels of symbolic
        // links") misleads.
        let reason = e == ELOOP ? "it is a symbolic link (outputs are not written through links)"
            : String(cString: strerror(e))
        return OutputError(path: path, operation: operation, reason: reason)
    }
}

/// Writes all of `bytes` to `fd` with write(2), retrying after signals and partial
/// writes. Unlike FileHandle.write, a full disk is an error thrown, not a trap.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    var written = 0
    while written < bytes.count {
        let n = write(fd, bytes.baseAddress! + written, bytes.count - written)
        if n < 0 {
            if errno == EINTR { continue }
            throw OutputError.fromErrno("write", path)
        }
        written += n
    }
}

/// An output file opened for appending (created when absent).
final class AppendFile {
    let path: String
    private var fd: Int32

    /// Opens `url` for appending.
    init(_ url: URL) throws {
        path = url.path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw OutputError.fromErrno("open", path) }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends the UTF-8 bytes of `text`.
    func append(_ text: String) throws {
        var text = text
        try text.withUTF8 { try writeAll(fd, UnsafeRawBufferPointer($0), path: path) }
    }

    /// Flushes the file to stable storage.
    func sync() throws {
        guard fsync(fd) == 0 else { throw OutputError.fromErrno("fsync", path) }
    }
}

/// Writes `text` to `url` atomically: into `.<name>.<pid>.<random>.tmp` beside it, created
/// new (O_EXCL | O_NOFOLLOW: a planted file or symbolic link of that name is never written
/// through, and the random part makes the name unpredictable), then renamed over `url`
/// (which replaces a link at `url` rather than following it). On failure the temporary file
/// is removed and an existing file at `url` is untouched. The run's outputs and the sweep's
/// files are written this way.
public func writeAtomically(_ text: String, to url: URL) throws {
    let name = ".\(url.lastPathComponent).\(getpid()).\(String(UInt64.random(in: 0...UInt64.max), radix: 36)).tmp"
    let tmp = url.deletingLastPathComponent().appendingPathComponent(name).path
    let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw OutputError.fromErrno("create", tmp) }
    do {
        var text = text
        try text.withUTF8 { try writeAll(fd, UnsafeRawBufferPointer($0), path: tmp) }
        guard close(fd) == 0 else { throw OutputError.fromErrno("close", tmp) }
    } catch {
        unlink(tmp)
        throw error
    }
    guard rename(tmp, url.path) == 0 else {
        let e = OutputError.fromErrno("rename \(tmp) to", url.path)
        unlink(tmp)
        throw e
    }
}
