import Foundation
import Support

/// The run's outputs besides checkpoints, written by rank 0: log.txt (everything printed,
/// appended run after run, so one file reads across resumes; a run that finds log.txt there
/// also writes its own lines to Dassl's `log.txt-YYYY-MM-DD-HH-MM-SS`), metrics.jsonl (one
/// JSON object per logged step and evaluation), status.json (replaced atomically as the run
/// goes) and TensorBoard event files under tensorboard/.
///
/// A write the file system refuses (a full disk, a vanished folder) is never a trap: the
/// first such `OutputError` (or `TensorBoardError`) is kept, later writes are dropped, and
/// `check()` throws it. The run calls `check()` where all ranks agree (every training
/// step, the end of each evaluation and of the run), so that every rank stops there and
/// the run ends with exit 1 and the message instead of leaving ranks in a collective.
public final class RunLog {
    public let outputDir: URL
    public let isRoot: Bool
    /// Whether `info` also prints on stdout.
    public let echo: Bool
    private var logFile: AppendFile?
    /// This run's own log, Dassl's timestamped name, when log.txt was there before it.
    private var runLogFile: AppendFile?
    /// The path of `runLogFile`, if any.
    public private(set) var runLogPath: URL?
    private var metricsFile: AppendFile?
    private var tensorboard: TensorBoardWriter?
    /// Rank 0's lock on the output folder, held while this log lives.
    private var folderLock: OutputLock?
    /// The first write that failed, if any.
    public private(set) var failure: Error?
    private let lock = NSLock()

    /// Opens (appending) the output files on rank 0; other ranks only print warnings.
    /// `echo: false` keeps `info` lines out of stdout (a sweep runs many trials at once);
    /// `files: false` writes nothing at all (`--no-train`'s dry run prints only).
    public init(outputDir: URL, isRoot: Bool, tensorboard: Bool, echo: Bool = true, files: Bool = true) throws {
        self.outputDir = outputDir
        self.isRoot = isRoot
        self.echo = echo
        guard isRoot && files else { return }
        do {
            try FileManager.default.createDirectory(at: outputDir, withIntermediateDirectories: true)
        } catch {
            throw OutputError(path: outputDir.path, operation: "create the output folder",
                              reason: FileFailure.reason(error))
        }
        folderLock = try OutputLock(folder: outputDir)
        let logURL = outputDir.appendingPathComponent("log.txt")
        let continues = FileManager.default.fileExists(atPath: logURL.path)
        logFile = try AppendFile(logURL)
        if continues {
            // Dassl's setup_logger: an existing log.txt is kept, the run logs to log.txt-<time>.
            let stamp = DateFormatter()
            stamp.locale = Locale(identifier: "en_US_POSIX")
            stamp.dateFormat = "-yyyy-MM-dd-HH-mm-ss"
            let url = outputDir.appendingPathComponent("log.txt" + stamp.string(from: Date()))
            runLogFile = try AppendFile(url)
            runLogPath = url
        }
        metricsFile = try AppendFile(outputDir.appendingPathComponent("metrics.jsonl"))
        if tensorboard {
            self.tensorboard = try TensorBoardWriter(directory: outputDir.appendingPathComponent("tensorboard"))
        }
    }

    /// Runs `body` under the lock unless a write has failed; keeps its error.
    private func write(_ body: () throws -> Void) {
        lock.lock(); defer { lock.unlock() }
        guard failure == nil else { return }
        do { try body() } catch { failure = error }
    }

    /// Throws the first write failure (see the type's doc).
    public func check() throws {
        lock.lock(); defer { lock.unlock() }
        if let failure { throw failure }
    }

    /// Prints `line` on rank 0 and appends it to log.txt.
    public func info(_ line: String) {
        guard isRoot else { return }
        if echo {
            print(line)
            fflush(stdout)
        }
        write {
            try logFile?.append(line + "\n")
            try runLogFile?.append(line + "\n")
        }
    }

    /// Prints a warning on stderr (any rank; prefixed with the rank when `rank` is given),
    /// and on rank 0 also into log.txt.
    public func warn(_ message: String, rank: Int? = nil) {
        let line = "warning\(rank.map { " (rank \($0))" } ?? ""): \(message)\n"
        fputs(line, stderr)
        guard isRoot else { return }
        write {
            try logFile?.append(line)
            try runLogFile?.append(line)
        }
    }

    /// Appends one JSON object to metrics.jsonl.
    public func metrics(_ fields: [(String, JSONValue)]) {
        guard isRoot else { return }
        write { try metricsFile?.append(JSONValue.object(fields).serialized(indent: nil) + "\n") }
    }

    /// A TensorBoard scalar.
    public func scalar(_ tag: String, _ value: Double, step: Int) {
        guard isRoot else { return }
        write { try tensorboard?.addScalar(tag: tag, value: Float(value), step: step) }
    }

    /// Replaces status.json (write to a temporary name, then rename).
    public func status(_ fields: [(String, JSONValue)]) {
        writeAtomically(JSONValue.object(fields).serialized(indent: 2) + "\n", to: "status.json")
    }

    /// Writes `text` to `<output>/<name>` atomically (rank 0).
    public func writeAtomically(_ text: String, to name: String) {
        guard isRoot else { return }
        write { try Training.writeAtomically(text, to: outputDir.appendingPathComponent(name)) }
    }

    /// Flushes everything to disk.
    public func flush() {
        guard isRoot else { return }
        write {
            try logFile?.sync()
            try runLogFile?.sync()
            try metricsFile?.sync()
            try tensorboard?.flush()
        }
    }
}
