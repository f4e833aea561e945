import Foundation

/// An advisory lock (flock(2)) on a run's output folder, held by rank 0 for as long as the
/// run writes there: a second run on the same folder (a duplicate launch, a Slurm requeue
/// while the old job lingers) stops at once naming the holder, instead of resuming from the
/// first run's checkpoint and deleting its temporaries. The kernel releases the lock when
/// the holder exits, however it exits, so a crashed run never blocks its rerun. The lock
/// file `.cocoop.lock` holds the holder's host, PID and start time, for the message.
final class OutputLock {
    static let fileName = ".cocoop.lock"
    let path: String
    private let fd: Int32

    /// Takes the lock of `folder` (which exists), or throws naming the run that holds it.
    init(folder: URL) throws {
        path = folder.appendingPathComponent(Self.fileName).path
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputError.fromErrno("open the lock file", path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let error = OutputError.fromErrno("lock", path)
            let holder = Self.holder(fd)
            close(fd)
            guard busy else { throw error }
            throw OutputError(path: folder.path, operation: "use the output folder",
                              reason: "another run is writing to it (\(holder.isEmpty ? "holder unknown" : holder)); "
                                  + "wait for it to end or stop it, or choose another --output-dir")
        }
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let started = ISO8601DateFormatter().string(from: Date())
        let text = "host \(String(cString: name)), PID \(getpid()), started \(started)\n"
        do {
            guard ftruncate(fd, 0) == 0 else { throw OutputError.fromErrno("truncate", path) }
            try text.utf8CString.withUnsafeBytes {
                try writeAll(fd, UnsafeRawBufferPointer(rebasing: $0.dropLast()), path: path)
            }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }  // releases the lock

    /// The holder's line from the lock file (empty when unreadable).
    private static func holder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return "" }
        return String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
