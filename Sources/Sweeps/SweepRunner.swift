import CLIP
import Config
import Distributed
import Foundation
import Support
import Tensor
import Training

/// Runs a sweep's tasks on groups of ranks: the world is split into groups of
/// `ranks_per_trial` (MPI_Comm_split; leftover ranks form a smaller group), and each group's
/// leader draws the next task from an MPI-3 fetch-and-add counter and broadcasts it to its
/// group, so a long trial never holds up short ones. Every rank calls `run()`.
public final class SweepRunner {
    /// The expanded sweep.
    public let plan: SweepPlan
    let world: Communicator
    let softwareVersion: String
    let echo: Bool
    let shard: (index: Int, count: Int)
    private var clip: CLIPModel?
    /// Evaluation image features shared by this rank's trials (a trial with
    /// RUNTIME.FEATURE_CACHE_MB 0 does without).
    private let featureCache = ImageFeatureCache(limitBytes: RunConfig.defaults.runtime.featureCacheMB << 20)

    /// Prepares a runner; `echo` prints every trial's log lines on stdout (noisy with many
    /// groups; each trial's log.txt has them anyway). `shard` (i, n) keeps the tasks whose
    /// position in their phase is i modulo n (a job array's task i of n); (0, 1) runs all.
    public init(plan: SweepPlan, world: Communicator, softwareVersion: String, echo: Bool = false,
                shard: (index: Int, count: Int) = (0, 1)) {
        self.plan = plan
        self.world = world
        self.softwareVersion = softwareVersion
        self.echo = echo
        self.shard = shard
    }

    /// The tasks of each phase that this invocation runs.
    var phases: [[SweepTask]] {
        plan.phases.map { tasks in tasks.enumerated().filter { $0.offset % shard.count == shard.index }.map(\.element) }
    }

    /// What became of a trial this time. The raw value travels between a group's ranks
    /// (broadcast, and all-reduce max, so a later case wins).
    enum TrialResult: Int64 {
        case done = 0, alreadyDone = 1, failed = 2, skipped = 3, stopped = 4

        /// Decodes a value the group exchanged. Every rank sends a case's raw value, so a
        /// value outside them means ranks of different builds (or a bug): no outcome can be
        /// trusted, and guessing one (such as `.failed`) would record a wrong status.
        init(exchanged value: Int64, by what: String) throws {
            guard let result = Self(rawValue: value) else {
                throw InternalError("\(what) is \(value), which is no trial result (0...4); "
                                    + "do all ranks run the same cocoop build?")
            }
            self = result
        }
    }

    // MARK: - The sweep

    /// Runs every unfinished trial, then (world rank 0) writes sweep.json, summary.md and
    /// summary.csv. Returns the exit status, the same on every rank: 0 when every trial is
    /// finished, 1 when some failed (the others still ran), 75 after a stop signal.
    public func run() throws -> Int32 {
        let rpt = plan.spec.ranksPerTrial
        let groupCount = (world.size + rpt - 1) / rpt
        let color = world.rank / rpt
        let group = try world.split(color: color, key: world.rank)
        defer { try? (group as? MPICommunicator)?.free() }
        if world.size > 1 && ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil {
            BLASInfo.setThreads(1)   // one thread per rank unless told otherwise
        }
        if world.isRoot {
            try FileManager.default.createDirectory(at: plan.spec.sweepDirectory, withIntermediateDirectories: true)
            let tasks = phases.joined()
            let mine = tasks.flatMap(\.trials)
            let finished = mine.filter { plan.trials[$0].isFinished }.count
            var note = ""
            if world.size % rpt != 0 { note = "; the last group has \(world.size % rpt) rank(s)" }
            let shardNote = shard.count > 1 ? " (shard \(shard.index) of \(shard.count))" : ""
            say("sweep \(plan.spec.name)\(shardNote): \(mine.count) trial(s) in \(tasks.count) task(s), "
                + "\(finished) already finished; \(world.size) rank(s) in \(groupCount) group(s) of \(rpt)\(note)")
            event([("event", .string("sweep_start")), ("ranks", .int(world.size)), ("groups", .int(groupCount)),
                   ("trials", .int(plan.trials.count)), ("finished", .int(finished))])
        }
        // Loaded at the precision most trials ask for (at bfloat16 the matrices come from the
        // node's cache, no float32 copy); a trial at the other one gets a variant (CLIPModel.at).
        let precisions = plan.trials.map { ComputePrecision(config: $0.config).matmul }
        let bfloat16 = precisions.filter { $0 == .bfloat16 }.count
        clip = try CLIPModel(contentsOf: plan.spec.weights,
                             precision: 2 * bfloat16 > precisions.count ? .bfloat16 : .float32)
        // Claim files (used only without MPI windows) go to a folder of this invocation.
        let runID = try world.broadcast(world.isRoot ? "\(Int(Date().timeIntervalSince1970))-\(getpid())" : "", root: 0)
        let claims = plan.spec.sweepDirectory.appendingPathComponent("claims/\(runID)")
        var stopped = false
        let phases = self.phases
        for (phase, tasks) in phases.enumerated() where !tasks.isEmpty {
            let dealer = try SweepDealers.make(world: world, phase: phase, count: tasks.count, claims: claims, say: say)
            while !stopped {
                if try group.allReduceMax(Int64(StopSignals.pending != 0 ? 1 : 0)) > 0 { stopped = true; break }
                var next: [Int64] = [group.isRoot ? Int64(try dealer.next()) : 0]
                next = try group.broadcast(next, root: 0)
                let k = Int(next[0])
                guard k < tasks.count else { break }
                stopped = try runTask(tasks[k], group: group, groupIndex: color)
            }
            stopped = try world.allReduceMax(Int64(stopped ? 1 : 0)) > 0
            try dealer.finish()
            if stopped { break }
        }
        if world.isRoot {
            try? FileManager.default.removeItem(at: claims)
            rmdir(claims.deletingLastPathComponent().path)   // only when empty
        }
        var status: [Int64] = [0]
        if world.isRoot {
            // Rank 0 must reach the broadcast below whatever happens here, or the others hang.
            let report = try? SweepReport(plan: plan)
            do { try report?.write() } catch {
                Self.warn("cocoop sweep: could not write the summary: \(error)")
            }
            let mine = Set(phases.joined().flatMap(\.trials))
            let unfinished = report?.entries.filter { mine.contains($0.trial.index) && $0.status != .done }.count
                ?? mine.count
            status[0] = Int64(stopped ? ExitStatus.preempted : unfinished > 0 ? ExitStatus.failure : ExitStatus.success)
            event([("event", .string(stopped ? "sweep_stopped" : "sweep_end")), ("unfinished", .int(unfinished))])
            say(report?.summary.markdown() ?? "")
            say(stopped ? "sweep \(plan.spec.name): stopped by a signal; rerun the same command to continue "
                    + "(\(unfinished) trial(s) left)"
                : "sweep \(plan.spec.name): \(mine.count - unfinished) of \(mine.count) trial(s) finished; "
                    + "summary in \(plan.spec.sweepDirectory.path)/summary.md")
        }
        status = try world.broadcast(status, root: 0)
        return Int32(status[0])
    }

    // MARK: - One task

    /// Runs a task's trials in order on `group`; returns whether the sweep must stop.
    func runTask(_ task: SweepTask, group: Communicator, groupIndex: Int) throws -> Bool {
        for index in task.trials {
            if try group.allReduceMax(Int64(StopSignals.pending != 0 ? 1 : 0)) > 0 { return true }
            if try runTrial(plan.trials[index], group: group, groupIndex: groupIndex) == .stopped { return true }
        }
        return false
    }

    /// Runs one trial on `group` unless it is finished (or cannot run); the leader records it.
    func runTrial(_ trial: SweepTrial, group: Communicator, groupIndex: Int) throws -> TrialResult {
        let leader = group.isRoot
        let label = "\(trial.index + 1)/\(plan.trials.count) \(trial.relativePath)"
        // The leader judges what is on disk; the group follows its decision.
        var decision: [Int64] = [0]
        var reason = ""
        if leader {
            switch trial.outcome() {
            case .finished: decision[0] = TrialResult.alreadyDone.rawValue
            case .mismatch(let why): decision[0] = TrialResult.failed.rawValue; reason = why
            case .unfinished:
                if let d = trial.dependency, !plan.trials[d].isFinished {
                    decision[0] = TrialResult.skipped.rawValue
                    reason = "its training trial \(plan.trials[d].relativePath) has not finished (failed or never ran)"
                }
            }
        }
        decision = try group.broadcast(decision, root: 0)
        let result = try TrialResult(exchanged: decision[0], by: "the group leader's decision")
        if result != .done {
            if leader && result != .alreadyDone {
                let status: SweepTrialStatus = result == .skipped ? .skipped : .failed
                record(trial, status: status, error: reason, group: groupIndex, ranks: group.size,
                       started: SweepFiles.now(), seconds: 0, countAttempt: false)
                say("[sweep] \(label): \(status.rawValue): \(reason)")
            }
            return result
        }

        let started = SweepFiles.now(), t0 = Date()
        if leader {
            record(trial, status: .running, error: nil, group: groupIndex, ranks: group.size, started: started,
                   seconds: nil, countAttempt: true)
            say("[sweep] \(label): started on group \(groupIndex) (\(group.size) rank(s))")
        }
        var local = TrialResult.done, message = ""
        do {
            var options = trial.options(weights: plan.spec.weights,
                                        modelDir: trial.dependency.map { plan.trials[$0].outputDir })
            options.clip = clip
            options.featureCache = featureCache
            options.echo = echo
            try TrainingJob.run(config: trial.config, options: options, comm: group, softwareVersion: softwareVersion)
        } catch TrainingError.stopped {
            local = .stopped
        } catch {
            local = .failed
            message = "\(error)"
        }
        // Every rank of the group agrees on the outcome; a failure's message comes from the
        // lowest rank that failed.
        let agreed = try TrialResult(exchanged: try group.allReduceMax(local.rawValue),
                                     by: "the maximum of the group's outcomes")
        if agreed == .failed {
            let speaker = Int(try group.allReduceMin(Int64(local == .failed ? group.rank : group.size)))
            if speaker < group.size {
                message = try group.broadcast(message, root: speaker)
                if speaker != 0 { message = "rank \(speaker) of the group: " + message }
            }
        }
        if leader {
            let seconds = Date().timeIntervalSince(t0)
            switch agreed {
            case .failed:
                record(trial, status: .failed, error: message, group: groupIndex, ranks: group.size, started: started,
                       seconds: seconds, countAttempt: false)
                say("[sweep] \(label): failed after \(String(format: "%.1f", seconds)) s: \(message)")
            case .stopped:
                record(trial, status: .stopped, error: nil, group: groupIndex, ranks: group.size, started: started,
                       seconds: seconds, countAttempt: false)
                say("[sweep] \(label): stopped by a signal after a checkpoint")
            default:
                record(trial, status: .done, error: nil, group: groupIndex, ranks: group.size, started: started,
                       seconds: seconds, countAttempt: false)
                var accuracy = ""
                if case .finished(let r) = trial.outcome(), case .double(let a)? = r["accuracy"] {
                    accuracy = String(format: ": accuracy %.2f%%", a)
                }
                say("[sweep] \(label): done in \(String(format: "%.1f", seconds)) s\(accuracy)")
            }
        }
        return agreed
    }

    // MARK: - Records (group leaders)

    private func record(_ trial: SweepTrial, status: SweepTrialStatus, error: String?, group: Int, ranks: Int,
                        started: String, seconds: Double?, countAttempt: Bool) {
        let previous = SweepTrialRecord.read(in: trial.outputDir)
        let attempts = (previous?.attempts ?? 0) + (countAttempt ? 1 : 0)
        let r = SweepTrialRecord(status: status, attempts: attempts, started: started,
                                 finished: status == .running ? nil : SweepFiles.now(), seconds: seconds, error: error,
                                 group: group, ranks: ranks)
        do {
            try r.write(in: trial.outputDir)
        } catch {
            Self.warn("cocoop sweep: could not record \(trial.relativePath): \(error)")
        }
        var fields: [(String, JSONValue)] = [("event", .string(status.rawValue)),
                                             ("trial", .string(trial.relativePath)), ("index", .int(trial.index)),
                                             ("group", .int(group)), ("ranks", .int(ranks))]
        if let seconds { fields.append(("seconds", .double(seconds))) }
        if let error { fields.append(("error", .string(error))) }
        event(fields)
    }

    private func event(_ fields: [(String, JSONValue)]) {
        let line = JSONValue.object([("time", .string(SweepFiles.now()))] + fields).serialized(indent: nil)
        SweepFiles.appendLine(line, to: plan.spec.sweepDirectory.appendingPathComponent("events.jsonl"))
    }

    private func say(_ text: String) {
        guard !text.isEmpty else { return }
        print(text)
        fflush(stdout)
    }

    /// One line on stderr: what could not be written, while the sweep goes on.
    private static func warn(_ line: String) {
        FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
    }
}

