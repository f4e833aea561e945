import Foundation
import Support

// MARK: - TensorBoard event-file writer

/// Writes TensorBoard event files: scalar summaries (loss, accuracy, lr, ...) framed as
/// TFRecords, readable by TensorBoard and by `tensorboard.backend.event_processing`.
///
/// The file is `<directory>/events.out.tfevents.<unix time>.<hostname>.<pid>.<n>` (the name
/// TensorFlow's and PyTorch's writers use), created exclusively so that nothing is ever
/// overwritten; its first event is the file version "brain.Event:2". Events are buffered in
/// memory and written by `flush()` (and when the buffer passes 64 KiB, and on `close()`).
/// Not thread-safe: rank 0's training loop owns one writer.
public final class TensorBoardWriter {
    /// The event file.
    public let url: URL
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private static let flushThreshold = 64 * 1024
    private static let counter = FileNameCounter()

    // MARK: - Opening

    /// Creates the folder if needed, then a new event file in it, and writes the
    /// file-version event (to the buffer; `flush()` writes it out).
    /// - Parameters:
    ///   - directory: where the event file goes (usually OUTPUT_DIR).
    ///   - wallTime: seconds since 1970 for the file name and the first event; default now.
    /// - Throws: `TensorBoardError.cannotCreate` naming the path and the system's reason.
    public init(directory: URL, wallTime: Double = Date().timeIntervalSince1970) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw TensorBoardError.cannotCreate(path: directory.path, reason: FileFailure.reason(error))
        }
        let prefix = "events.out.tfevents." + String(format: "%010lld", Int64(wallTime))
            + ".\(Self.hostName()).\(getpid())"
        while true {
            let candidate = directory.appendingPathComponent("\(prefix).\(Self.counter.next())")
            let fd = open(candidate.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                url = candidate
                descriptor = fd
                break
            }
            let code = errno
            if code != EEXIST {
                throw TensorBoardError.cannotCreate(path: candidate.path, reason: String(cString: strerror(code)))
            }
        }
        TFRecord.append(EventProtobuf.fileVersion(wallTime: wallTime), to: &buffer)
    }

    deinit {
        if descriptor >= 0 {
            try? flush()
            _ = Glibc.close(descriptor)
        }
    }

    // MARK: - Events

    /// Adds one scalar, e.g. `addScalar(tag: "train/loss", value: 0.52, step: 120)`.
    /// - Parameter wallTime: seconds since 1970; default now.
    public func addScalar(tag: String, value: Float, step: Int, wallTime: Double? = nil) throws {
        let event = EventProtobuf.scalar(tag: tag, value: value, step: Int64(step),
                                         wallTime: wallTime ?? Date().timeIntervalSince1970)
        try append(event)
    }

    /// Marks a (re)start at `step`: TensorBoard discards events of earlier writers in the
    /// same folder at or after this step, so a run resumed from a checkpoint shows one curve.
    public func addSessionStart(step: Int, wallTime: Double? = nil) throws {
        try append(EventProtobuf.sessionStart(step: Int64(step), wallTime: wallTime ?? Date().timeIntervalSince1970))
    }

    private func append(_ event: [UInt8]) throws {
        TFRecord.append(event, to: &buffer)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    // MARK: - Writing out

    /// Writes the buffered events to the file; with `sync`, also fsyncs it.
    public func flush(sync: Bool = false) throws {
        guard descriptor >= 0 else {
            if buffer.isEmpty { return }
            throw TensorBoardError.writeFailed(path: url.path, reason: "the writer is closed")
        }
        do {
            try buffer.withUnsafeBytes { try writeAll(descriptor, $0, path: url.path) }
        } catch let e as OutputError {
            throw TensorBoardError.writeFailed(path: url.path, reason: e.reason)
        }
        buffer.removeAll(keepingCapacity: true)
        if sync && fsync(descriptor) != 0 {
            throw TensorBoardError.writeFailed(path: url.path, reason: "fsync: " + String(cString: strerror(errno)))
        }
    }

    /// Flushes and closes the file; later events are errors.
    public func close() throws {
        guard descriptor >= 0 else { return }
        defer {
            _ = Glibc.close(descriptor)
            descriptor = -1
        }
        try flush(sync: true)
    }

    // MARK: - Helpers

    /// The host name (as `socket.gethostname()`), or "localhost".
    static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "localhost" }
        let text = String(cString: name)
        return text.isEmpty ? "localhost" : text
    }
}

/// A process-wide counter for unique file names (TensorFlow's `_global_uid`).
private final class FileNameCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
