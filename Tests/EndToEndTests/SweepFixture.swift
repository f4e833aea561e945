import Foundation
import TestSupport

/// Two tiny split-file datasets (tiny_a, tiny_b: the fixture images with two different class
/// orders, so their base and new halves differ) and the environment that the shipped
/// Configs/sweeps/tiny_base2new.yaml reads its paths from.
struct SweepFixture {
    let root: URL
    let output: URL
    static let sweepFile = "Configs/sweeps/tiny_base2new.yaml"

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-sweep-\(UUID().uuidString)")
        output = root.appendingPathComponent("output")
        let sources = ["chelsea.png", "chelsea_q90.jpg", "astronaut.png", "coffee.png",
                       "dog_04_drawn_with_strai_01.png", "bunny_01.png"]
        let classes = ["cat", "cat", "astronaut", "coffee", "dog", "dog"]
        let orders = ["tiny_a": ["cat", "astronaut", "coffee", "dog"], "tiny_b": ["dog", "coffee", "cat", "astronaut"]]
        for (name, order) in orders {
            let images = root.appendingPathComponent("\(name)/images")
            try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
            var train: [[Any]] = [], test: [[Any]] = []
            for copy in 0..<2 {
                for (i, s) in sources.enumerated() {
                    let file = "\(copy)_\(s)"
                    try FileManager.default.copyItem(at: Cocoop.fixtures.appendingPathComponent("preprocess/\(s)"),
                                                     to: images.appendingPathComponent(file))
                    let item: [Any] = ["images/\(file)", order.firstIndex(of: classes[i])!, classes[i]]
                    train.append(item)
                    if copy == 0 { test.append(item) }
                }
            }
            let split = try JSONSerialization.data(withJSONObject: ["train": train, "val": [], "test": test])
            try split.write(to: root.appendingPathComponent("\(name)/split.json"))
        }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// A sweep file's entry for the split-file dataset `name` (a folder under the root).
    static func dataset(_ name: String) -> String {
        "{name: \(name), overrides: {DATASET.NAME: SplitFile, DATASET.SPLIT_FILE: \(name)/split.json}}"
    }

    /// The `base:` block of the hand-written test sweeps: CoCoOp on the tiny CLIP, 2 shots,
    /// one epoch at 32 x 32.
    static let tinyBase = """
        base:
          config_file: Configs/trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml
          weights: ${COCOOP_TINY_WEIGHTS}
          root: ${COCOOP_TINY_ROOT}
          shots: 2
          overrides: {INPUT.SIZE: [32, 32], OPTIM.MAX_EPOCH: 1, DATALOADER.TRAIN_X.BATCH_SIZE: 4, \
        DATALOADER.TEST.BATCH_SIZE: 4}
        """

    /// The variables tiny_base2new.yaml expands.
    var environment: [String: String] {
        ["COCOOP_TINY_ROOT": root.path, "COCOOP_TINY_OUTPUT": output.path,
         "COCOOP_TINY_WEIGHTS": Cocoop.sharedFixtures.appendingPathComponent("clip_openai.safetensors").path,
         "OPENBLAS_NUM_THREADS": "1"]
    }

    /// The 12 trial folders (relative), train_base and test_new for 2 datasets x 3 seeds.
    static func trialPaths(stage: String, dataset: String) -> [String] {
        (1...3).map { "base2new/\(stage)/\(dataset)/shots_2/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1/seed\($0)" }
    }

    static var allTrialPaths: [String] {
        ["tiny_a", "tiny_b"].flatMap { d in ["train_base", "test_new"].flatMap { trialPaths(stage: $0, dataset: d) } }
    }

    /// `cocoop sweep` under mpirun with `ranks` ranks, from the package root.
    func sweep(ranks: Int, extra: [String] = [], timeout: TimeInterval = 240) throws -> ProcessResult {
        try Cocoop.run(MPIRun.arguments(np: ranks, ["sweep", Self.sweepFile] + extra),
                       executable: MPIRun.executable, environment: environment,
                       directory: Cocoop.packageRoot, timeout: timeout)
    }

    /// Starts the sweep under mpirun in the background (each training step slowed by `delayMs`).
    func launch(ranks: Int, delayMs: Int) throws -> Process {
        var env = environment
        env["COCOOP_DEBUG_STEP_DELAY_MS"] = "\(delayMs)"
        return try Cocoop.start(MPIRun.executable,
                                MPIRun.arguments(np: ranks, ["sweep", Self.sweepFile],
                                                 exporting: ["COCOOP_DEBUG_STEP_DELAY_MS"]),
                                environment: env, directory: Cocoop.packageRoot, log: logFile)
    }

    /// Starts Cluster/slurm/sweep.sbatch with bash as Slurm would (4 tasks on this node, job
    /// 4242), with a fake `scontrol` that answers `show hostnames` and records `requeue`
    /// calls in `requeueLog`.
    func launchSlurmScript(delayMs: Int) throws -> Process {
        let bin = root.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let fake = bin.appendingPathComponent("scontrol")
        try """
        #!/bin/sh
        case "$1" in
          show) echo localhost ;;
          requeue) echo "requeue $2" >> "\(requeueLog.path)" ;;
        esac
        """.write(to: fake, atomically: true, encoding: .utf8)
        chmod(fake.path, 0o755)
        var env = environment
        env["PATH"] = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        for (k, v) in ["SLURM_SUBMIT_DIR": Cocoop.packageRoot.path, "SLURM_JOB_NODELIST": "localhost",
                       "SLURM_NTASKS": "4",
                       "SLURM_NTASKS_PER_NODE": "4", "SLURM_CPUS_PER_TASK": "1", "SLURM_JOB_ID": "4242",
                       "COCOOP": Cocoop.binary.path, "MAP": "slot", "BIND": "none",
                       "MPIRUN_EXTRA": "--allow-run-as-root --oversubscribe --mca btl self,vader "
                                       + "-x COCOOP_DEBUG_STEP_DELAY_MS",
                       "COCOOP_DEBUG_STEP_DELAY_MS": "\(delayMs)"] { env[k] = v }
        return try Cocoop.start(URL(fileURLWithPath: "/bin/bash"),
                                [Cocoop.packageRoot.appendingPathComponent("Cluster/slurm/sweep.sbatch").path,
                                 Self.sweepFile],
                                environment: env, log: logFile)
    }

    /// What the fake scontrol was asked to requeue.
    var requeueLog: URL { root.appendingPathComponent("requeue.log") }

    /// Where `launch` sends mpirun's output (appended, one file for all launches).
    var logFile: URL { root.appendingPathComponent("launch.log") }

    /// What the launched sweeps printed.
    var launchLog: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// The trials (relative paths) whose results.json exists.
    func finishedTrials() -> [String] {
        Self.allTrialPaths.filter {
            FileManager.default.fileExists(atPath: output.appendingPathComponent("\($0)/results.json").path)
        }
    }

    /// The unfinished trials that have completed a training step (metrics.jsonl has one).
    func trialsMidTraining() -> [String] {
        Self.allTrialPaths.filter {
            !FileManager.default.fileExists(atPath: output.appendingPathComponent("\($0)/results.json").path)
                && ((try? String(contentsOf: output.appendingPathComponent("\($0)/metrics.jsonl"), encoding: .utf8))?
                    .contains("\"global_step\"") ?? false)
        }
    }

    /// A JSON file as a dictionary.
    func json(_ relative: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent(relative)))
            as? [String: Any] ?? [:]
    }

    /// results.json's modification date of each trial that has one.
    func resultDates() -> [String: Date] {
        var out: [String: Date] = [:]
        for t in finishedTrials() {
            let url = output.appendingPathComponent("\(t)/results.json")
            out[t] = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
        }
        return out
    }

    /// The processes mpirun started on this machine (its children: the ranks).
    static func children(of process: Process) -> [Int32] {
        let r = try? Cocoop.run(["-P", "\(process.processIdentifier)"],
                                executable: URL(fileURLWithPath: "/usr/bin/pgrep"))
        return (r?.stdout ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// Whether `pid` exists and is not a zombie (an orphan whose reaper is slow, or absent in
    /// some containers, stays a zombie after it ended).
    static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno != ESRCH else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// Waits until none of `pids` runs any more (ranks outlive a SIGKILLed mpirun by a
    /// second or two).
    static func waitForExit(_ pids: [Int32], timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if pids.allSatisfy({ !isRunning($0) }) { return true }
            usleep(100_000)
        }
        return false
    }
}
