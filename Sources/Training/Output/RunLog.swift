import Config
import Foundation
import Support

/// The run's outputs besides checkpoints, written by rank 0: log.txt (everything printed),
/// metrics.jsonl (one JSON object per logged step and evaluation), status.json (replaced
/// atomically as the run goes) and TensorBoard event files under tensorboard/.
public final class RunLog {
    public let outputDir: URL
    public let isRoot: Bool
    /// Whether `info` also prints on stdout.
    public let echo: Bool
    private var logFile: FileHandle?
    private var metricsFile: FileHandle?
    private var tensorboard: TensorBoardWriter?
    private let lock = NSLock()

    /// Opens (appending) the output files on rank 0; other ranks only print warnings.
    /// `echo: false` keeps `info` lines out of stdout (a sweep runs many trials at once).
    public init(outputDir: URL, isRoot: Bool, tensorboard: Bool, echo: Bool = true) throws {
        self.outputDir = outputDir
        self.isRoot = isRoot
        self.echo = echo
        guard isRoot else { return }
        let fm = FileManager.default
        try fm.createDirectory(at: outputDir, withIntermediateDirectories: true)
        logFile = try Self.appending(outputDir.appendingPathComponent("log.txt"))
        metricsFile = try Self.appending(outputDir.appendingPathComponent("metrics.jsonl"))
        if tensorboard {
            self.tensorboard = try TensorBoardWriter(directory: outputDir.appendingPathComponent("tensorboard"))
        }
    }

    private static func appending(_ url: URL) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let h = try FileHandle(forWritingTo: url)
        h.seekToEndOfFile()
        return h
    }

    /// Prints `line` on rank 0 and appends it to log.txt.
    public func info(_ line: String) {
        guard isRoot else { return }
        lock.lock(); defer { lock.unlock() }
        if echo {
            print(line)
            fflush(stdout)
        }
        logFile?.write((line + "\n").data(using: .utf8)!)
    }

    /// Prints a warning on stderr (any rank; prefixed with the rank when `rank` is given),
    /// and on rank 0 also into log.txt.
    public func warn(_ message: String, rank: Int? = nil) {
        let line = "warning\(rank.map { " (rank \($0))" } ?? ""): \(message)"
        FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
        guard isRoot else { return }
        lock.lock(); defer { lock.unlock() }
        logFile?.write((line + "\n").data(using: .utf8)!)
    }

    /// Appends one JSON object to metrics.jsonl.
    public func metrics(_ fields: [(String, JSONValue)]) {
        guard isRoot else { return }
        lock.lock(); defer { lock.unlock() }
        metricsFile?.write((JSONValue.object(fields).serialized(indent: nil) + "\n").data(using: .utf8)!)
    }

    /// A TensorBoard scalar.
    public func scalar(_ tag: String, _ value: Double, step: Int) {
        guard isRoot else { return }
        lock.lock(); defer { lock.unlock() }
        try? tensorboard?.addScalar(tag: tag, value: Float(value), step: step)
    }

    /// Replaces status.json (write to a temporary name, then rename).
    public func status(_ fields: [(String, JSONValue)]) {
        guard isRoot else { return }
        writeAtomically(JSONValue.object(fields).serialized(indent: 2) + "\n", to: "status.json")
    }

    /// Writes `text` to `<output>/<name>` atomically (rank 0).
    public func writeAtomically(_ text: String, to name: String) {
        guard isRoot else { return }
        let url = outputDir.appendingPathComponent(name)
        let tmp = outputDir.appendingPathComponent("." + name + ".tmp")
        do {
            try text.write(to: tmp, atomically: false, encoding: .utf8)
            guard rename(tmp.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                                                              NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            warn("could not write \(url.path): \(error)")
        }
    }

    /// Flushes everything to disk.
    public func flush() {
        guard isRoot else { return }
        lock.lock(); defer { lock.unlock() }
        try? logFile?.synchronize()
        try? metricsFile?.synchronize()
        try? tensorboard?.flush()
    }
}
