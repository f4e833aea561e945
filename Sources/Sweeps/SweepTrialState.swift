import Config
import Foundation
import Support
import Training

// MARK: - The trial's record

/// What the sweep last did with a trial; the raw value is `status` in `sweep_trial.json`.
public enum SweepTrialStatus: String, CaseIterable, Sendable {
    /// Started and not ended (or the process died).
    case running
    /// Ended, with results.json written.
    case done
    /// Its run failed, or its folder holds another configuration's results.
    case failed
    /// Not run: its training trial has not finished.
    case skipped
    /// Stopped by a signal (after a checkpoint).
    case stopped
}

/// `sweep_trial.json` in a trial's folder: what the sweep last did with it. Written by the
/// leader of the group that ran it (replaced atomically).
public struct SweepTrialRecord {
    /// The file name in the trial folder.
    public static let fileName = "sweep_trial.json"

    /// What the sweep last did with the trial.
    public var status: SweepTrialStatus
    /// How many times the sweep has started this trial.
    public var attempts: Int
    /// When the latest attempt started (ISO 8601).
    public var started: String
    /// When it ended (ISO 8601), nil while running.
    public var finished: String?
    /// Seconds of the latest attempt.
    public var seconds: Double?
    /// The error of a failed or skipped trial.
    public var error: String?
    /// The group (0-based) that ran it.
    public var group: Int
    /// The number of ranks of that group.
    public var ranks: Int

    /// The record in `directory`, if there is a readable one: nil without the file, for bad
    /// JSON, and for a `status` that is not a `SweepTrialStatus` (the trial then counts as
    /// never started).
    public static func read(in directory: URL) -> SweepTrialRecord? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(fileName)),
              let v = try? JSONValue.parse(data), case .string(let text)? = v["status"],
              let status = SweepTrialStatus(rawValue: text) else { return nil }
        func int(_ k: String) -> Int { if case .int(let i)? = v[k] { return i }; return 0 }
        func str(_ k: String) -> String? { if case .string(let s)? = v[k] { return s }; return nil }
        return SweepTrialRecord(status: status, attempts: int("attempts"), started: str("started") ?? "",
                                finished: str("finished"), seconds: v["seconds"]?.number, error: str("error"),
                                group: int("group"), ranks: int("ranks"))
    }

    /// The record as JSON.
    public var json: JSONValue {
        .object([("status", .string(status.rawValue)), ("attempts", .int(attempts)), ("started", .string(started)),
                 ("finished", finished.map { .string($0) } ?? .null), ("seconds", seconds.map { .double($0) } ?? .null),
                 ("error", error.map { .string($0) } ?? .null), ("group", .int(group)), ("ranks", .int(ranks))])
    }

    /// Writes the record into `directory` (temporary name, then rename).
    public func write(in directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let text = json.serialized(indent: 2) + "\n"
        try writeAtomically(text, to: directory.appendingPathComponent(Self.fileName))
    }
}

// MARK: - What is on disk

/// What a trial's folder holds, judged from results.json and config.yaml.
public enum SweepTrialOutcome {
    /// results.json is there and config.yaml matches the trial: the trial is finished.
    case finished(results: JSONValue)
    /// results.json is there but belongs to another configuration (named).
    case mismatch(String)
    /// No results.json (not started, interrupted or failed).
    case unfinished
}

extension SweepTrial {
    /// Whether the folder holds this trial's finished results. config.yaml must equal the
    /// trial's configuration except for paths (OUTPUT_DIR, RESUME, DATASET.ROOT,
    /// MODEL.BACKBONE.WEIGHTS) and the RUNTIME section, which do not change results.
    public func outcome() -> SweepTrialOutcome {
        let resultsURL = outputDir.appendingPathComponent("results.json")
        guard let data = try? Data(contentsOf: resultsURL) else { return .unfinished }
        guard let results = try? JSONValue.parse(data) else { return .unfinished }
        let configURL = outputDir.appendingPathComponent("config.yaml")
        var found = RunConfig.defaults
        do {
            try found.merge(yamlFile: configURL)
        } catch {
            return .mismatch("\(configURL.path) is unreadable: \(error)")
        }
        let differing = Self.resultDefiningDifferences(found, config)
        guard differing.isEmpty else {
            let keys = differing.joined(separator: ", ")
            return .mismatch("\(outputDir.path) holds results of another configuration (\(keys) differ); "
                             + "remove the folder or choose another output_root")
        }
        return .finished(results: results)
    }

    /// Whether the folder holds this trial's finished results.
    public var isFinished: Bool {
        if case .finished = outcome() { return true }
        return false
    }

    /// Dotted keys whose values differ between two configurations, ignoring paths and RUNTIME.
    static func resultDefiningDifferences(_ a: RunConfig, _ b: RunConfig) -> [String] {
        func normalized(_ c: RunConfig) -> RunConfig {
            var c = c
            c.outputDir = ""; c.resume = ""; c.dataset.root = ""; c.model.backbone.weights = ""
            c.runtime = RuntimeConfig()
            return c
        }
        let x = normalized(a), y = normalized(b)
        guard x != y else { return [] }
        return RunConfig.keys.filter { x.yamlValue(forKey: $0) != y.yamlValue(forKey: $0) }
    }
}

// MARK: - Files

/// Small file helpers shared by the sweep's writers.
enum SweepFiles {
    /// Appends one line with a single write (O_APPEND), so lines from several group
    /// leaders do not interleave on a local or POSIX file system.
    static func appendLine(_ line: String, to url: URL) {
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// The current time as ISO 8601.
    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }
}

extension JSONValue {
    /// A number (integer or not) as a Double; nil for other values.
    var number: Double? {
        switch self {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: return nil
        }
    }
}
