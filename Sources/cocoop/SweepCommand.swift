import Config
import Distributed
import Foundation
import Sweeps
import Training

/// `cocoop sweep`: a grid of trials (Configs/sweeps/README.md) run by groups of MPI ranks.
enum SweepCommand: Command {
    static let name = "sweep"
    static let summary = "run a sweep of trials (grid x pipeline) on groups of MPI ranks; --summary for the table"
    static let usage = """
    usage: [mpirun -np N] cocoop sweep SWEEP.yaml [--verbose] [--shard I/N]
           cocoop sweep SWEEP.yaml --summary | --list

    Expands the sweep file (datasets x shots x config axes x seeds; pipelines base2new,
    cross_dataset, train; format in Configs/sweeps/README.md), splits the ranks into groups of
    ranks_per_trial and hands trials to the groups as they become free. Each trial has its own
    folder under output_root, laid out like CoOp's scripts (base2new/train_base/<dataset>/
    shots_16/CoCoOp/<config>/seed1, ...). Finished trials (results.json present, config.yaml
    matching) are skipped; interrupted ones resume from their checkpoints; a failing trial is
    recorded and the sweep goes on. At the end, <output_root>/sweeps/<name>/ holds sweep.json
    (every trial's status and error), summary.md and summary.csv (mean ± std over seeds of Base,
    New and H per dataset, and the average), and events.jsonl (what happened, when).

      --summary    rebuild sweep.json, summary.md and summary.csv from the trial folders as they
                   are now and print the table (runs nothing; no mpirun needed)
      --list       print every trial with its status and folder (runs nothing)
      --verbose    also print each trial's log lines (they are in its log.txt anyway)
      --shard I/N  run only the tasks whose position in their phase is I modulo N (0 <= I < N):
                   task I of a job array of N (Cluster/slurm/sweep_array.sbatch)

    Environment: COCOOP_SWEEP_DEALER=files hands trials out through O_EXCL claim files in the
    sweep folder instead of the MPI fetch-and-add counter (chosen by itself when MPI cannot make
    one-sided windows, e.g. OpenMPI over plain TCP between hosts).

    Exit status: 0 every trial finished; 1 a trial failed (the others ran; see sweep.json) or the
    sweep file is wrong (the message names file, line and key); 2 bad command line; 75 stopped by
    SIGTERM/SIGUSR1/SIGINT (running trials wrote a checkpoint; rerun the same command to go on).
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["shard"], boolean: ["summary", "list", "verbose"])
        var shard = (index: 0, count: 1)
        if let v = a.value("shard") {
            let parts = v.split(separator: "/").map { Int($0) }
            guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, (0..<n).contains(i) else {
                throw UsageError("--shard expects I/N with 0 <= I < N, got '\(v)'")
            }
            shard = (i, n)
        }
        guard a.positional.count == 1 else {
            throw UsageError("expected one sweep file, got \(a.positional.count) argument(s): "
                             + a.positional.joined(separator: " "))
        }
        let file = URL(fileURLWithPath: a.positional[0])
        if a.has("summary") || a.has("list") {
            let plan = try SweepPlan(spec: SweepSpec.load(contentsOf: file))
            let report = try SweepReport(plan: plan)
            if a.has("list") {
                for e in report.entries {
                    let status = e.status.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                    print("\(status)\(e.trial.relativePath)"
                          + (e.accuracy.map { String(format: "  %.2f%%", $0) } ?? "")
                          + (e.error.map { "  (\($0))" } ?? ""))
                }
                print(report.counts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", "))
            } else {
                try report.write()
                print(report.summary.markdown(), terminator: "")
                print("written: \(plan.spec.sweepDirectory.path)/{summary.md,summary.csv,sweep.json}")
            }
            return ExitStatus.success
        }
        StopSignals.install()
        let world: Communicator = MPIRuntime.isUnderMPIRun ? try MPICommunicator.world() : SingleProcessCommunicator()
        defer { if MPIRuntime.isActive { try? MPIRuntime.finalize() } }
        do {
            let plan = try SweepPlan(spec: SweepSpec.load(contentsOf: file))
            return try SweepRunner(plan: plan, world: world, softwareVersion: cocoopVersion, echo: a.has("verbose"),
                                   shard: shard).run()
        } catch {
            // A bad sweep file is met by every rank alike; rank 0 speaks for all.
            if world.isRoot || !(error is ConfigError || error is SweepError) {
                printError("cocoop sweep: error: \(error)")
            }
            return ExitStatus.failure
        }
    }
}
