import Foundation
import Training
import Support

/// The state of a whole sweep, read from disk: every trial's status and result, and the
/// summary tables. Written at the end of a sweep and by `cocoop sweep --summary` at any
/// time, so it always reflects what exists.
public struct SweepReport {
    /// A trial's state as found on disk; the raw value is what sweep.json and `--list` show.
    /// `allCases` is the order of `counts`.
    public enum Status: String, CaseIterable, Sendable {
        /// results.json is there and matches the trial.
        case done
        /// No results.json and no readable record: not started.
        case pending
        /// Recorded running or done, but no results.json (the run died, or the file was removed).
        case interrupted
        /// Stopped by a signal.
        case stopped
        /// Its run failed.
        case failed
        /// Not run: its training trial has not finished.
        case skipped
        /// results.json belongs to another configuration.
        case mismatch

        /// What a trial without results.json shows, given its record.
        init(unfinished record: SweepTrialStatus) {
            switch record {
            case .running, .done: self = .interrupted
            case .stopped: self = .stopped
            case .failed: self = .failed
            case .skipped: self = .skipped
            }
        }
    }

    /// One trial as found on disk.
    public struct Entry {
        /// The trial.
        public let trial: SweepTrial
        /// What the folder and the trial's record say.
        public let status: Status
        /// results.json's accuracy (percent), when done.
        public let accuracy: Double?
        /// results.json's macro_f1 (percent), when done.
        public let macroF1: Double?
        /// Why it failed, was skipped, or does not match.
        public let error: String?
        /// How many times the sweep started it.
        public let attempts: Int
    }

    /// The expanded sweep.
    public let plan: SweepPlan
    /// Every trial's state, in plan order.
    public let entries: [Entry]
    /// The tables built from the finished trials.
    public let summary: SweepSummary

    /// Reads every trial's folder.
    public init(plan: SweepPlan) throws {
        self.plan = plan
        var entries: [Entry] = [], accuracies: [Int: Double] = [:]
        for t in plan.trials {
            let record = SweepTrialRecord.read(in: t.outputDir)
            switch t.outcome() {
            case .finished(let results):
                let accuracy = results["accuracy"]?.number
                accuracies[t.index] = accuracy
                entries.append(Entry(trial: t, status: .done, accuracy: accuracy, macroF1: results["macro_f1"]?.number,
                                     error: nil, attempts: record?.attempts ?? 0))
            case .mismatch(let why):
                entries.append(Entry(trial: t, status: .mismatch, accuracy: nil, macroF1: nil, error: why,
                                     attempts: record?.attempts ?? 0))
            case .unfinished:
                let status = record.map { Status(unfinished: $0.status) } ?? .pending
                entries.append(Entry(trial: t, status: status, accuracy: nil, macroF1: nil, error: record?.error,
                                     attempts: record?.attempts ?? 0))
            }
        }
        self.entries = entries
        summary = SweepSummary(plan: plan, accuracies: accuracies)
    }

    /// How many trials have each status (statuses without trials left out).
    public var counts: [(Status, Int)] {
        Status.allCases.map { s in (s, entries.filter { $0.status == s }.count) }.filter { $0.1 > 0 }
    }

    /// sweep.json: the sweep, the counts, and every trial.
    public var json: JSONValue {
        let trials: [JSONValue] = entries.map { e in
            var fields: [(String, JSONValue)] = [
                ("path", .string(e.trial.relativePath)), ("stage", .string(e.trial.stage.rawValue)),
                ("dataset", .string(e.trial.dataset)), ("seed", .int(e.trial.seed)), ("shots", .int(e.trial.shots)),
                ("variant", .string(e.trial.variant)), ("status", .string(e.status.rawValue)),
                ("attempts", .int(e.attempts)),
            ]
            if let a = e.accuracy { fields.append(("accuracy", .double(a))) }
            if let m = e.macroF1 { fields.append(("macro_f1", .double(m))) }
            if let err = e.error { fields.append(("error", .string(err))) }
            return .object(fields)
        }
        return .object([
            ("sweep", .string(plan.spec.name)), ("file", .string(plan.spec.file)),
            ("pipeline", .string(plan.spec.pipeline.rawValue)), ("output_root", .string(plan.spec.outputRoot.path)),
            ("updated", .string(SweepFiles.now())),
            ("counts", .object(counts.map { ($0.0.rawValue, .int($0.1)) })),
            ("trials", .array(trials)),
        ])
    }

    /// Writes sweep.json, summary.md and summary.csv into the sweep's folder.
    public func write() throws {
        let dir = plan.spec.sweepDirectory
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try writeAtomically(json.serialized(indent: 2) + "\n", to: dir.appendingPathComponent("sweep.json"))
        try writeAtomically(summary.markdown(), to: dir.appendingPathComponent("summary.md"))
        try writeAtomically(summary.csv(), to: dir.appendingPathComponent("summary.csv"))
    }
}
