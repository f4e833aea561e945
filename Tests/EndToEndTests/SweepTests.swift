import Foundation
import Testing
import TestSupport

/// `cocoop sweep` end to end under real mpirun: the shipped tiny base-to-new sweep (2 datasets
/// x 3 seeds) on 4 ranks in groups of 2, its table checked against the trials' results.json;
/// stopped through the Slurm script (SIGUSR1 -> exit 75 -> requeue) and killed (SIGKILL of
/// mpirun) half-way, then rerun without redoing finished trials; the sweep file's error
/// messages; the shipped example sweeps.
@Suite(.serialized) struct SweepTests {
    // MARK: - Expected numbers, from the trials' own results.json

    /// Accuracies of the three seeds of `stage`/`dataset`.
    static func accuracies(_ fx: SweepFixture, _ stage: String, _ dataset: String) throws -> [Double] {
        try SweepFixture.trialPaths(stage: stage, dataset: dataset).map {
            try #require(try fx.json("\($0)/results.json")["accuracy"] as? Double)
        }
    }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
    static func std(_ v: [Double]) -> Double {
        let m = mean(v)
        return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
    }
    static func h(_ b: Double, _ n: Double) -> Double { 2 * b * n / (b + n) }

    /// Checks summary.csv and summary.md against means, stds and H computed here.
    static func checkTable(_ fx: SweepFixture) throws {
        let dir = "sweeps/tiny_base2new"
        let csv = try String(contentsOf: fx.output.appendingPathComponent("\(dir)/summary.csv"), encoding: .utf8)
        let md = try String(contentsOf: fx.output.appendingPathComponent("\(dir)/summary.md"), encoding: .utf8)
        var rows: [String: [String]] = [:]
        for line in csv.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            rows[f[2]] = f
        }
        var baseMeans: [Double] = [], newMeans: [Double] = []
        for d in ["tiny_a", "tiny_b"] {
            let b = try accuracies(fx, "train_base", d), n = try accuracies(fx, "test_new", d)
            let row = try #require(rows[d], "no CSV row for \(d):\n\(csv)")
            let expected = [mean(b), std(b), 3, mean(n), std(n), 3, h(mean(b), mean(n))]
            for (i, e) in expected.enumerated() {
                let found = try #require(Double(row[3 + i]), "column \(3 + i) of \(row)")
                #expect(abs(found - e) < 6e-5, "\(d) column \(3 + i): \(found) vs \(e)")
            }
            let line = String(format: "| %@ | %.2f ± %.2f | %.2f ± %.2f | %.2f | 3 |", d, mean(b), std(b), mean(n),
                              std(n), h(mean(b), mean(n)))
            #expect(md.contains(line), "missing \(line) in\n\(md)")
            baseMeans.append(mean(b)); newMeans.append(mean(n))
        }
        let avg = try #require(rows["average"])
        #expect(abs(Double(avg[3])! - mean(baseMeans)) < 6e-5 && abs(Double(avg[6])! - mean(newMeans)) < 6e-5)
        #expect(abs(Double(avg[9])! - h(mean(baseMeans), mean(newMeans))) < 6e-5)
        #expect(md.contains(String(format: "| **Average** | %.2f | %.2f | %.2f | 2 dataset(s) |",
                                   mean(baseMeans), mean(newMeans), h(mean(baseMeans), mean(newMeans)))), "\(md)")
    }

    // MARK: - Tests

    @Test func twoDatasetsThreeSeedsOnFourRanksInGroupsOfTwo() throws {
        let fx = try SweepFixture(); defer { fx.remove() }
        let t0 = Date()
        let r = try fx.sweep(ranks: 4)
        print("sweep of 12 trials on 4 ranks: \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(fx.finishedTrials().count == 12, "\(fx.finishedTrials())")
        #expect(r.stdout.contains("4 rank(s) in 2 group(s) of 2"))
        // Each trial is what its folder says: base classes for train_base, new for test_new,
        // and test_new evaluated train_base's final (epoch 2) checkpoint.
        for d in ["tiny_a", "tiny_b"] {
            for (train, test) in zip(SweepFixture.trialPaths(stage: "train_base", dataset: d),
                                     SweepFixture.trialPaths(stage: "test_new", dataset: d)) {
                let a = try fx.json("\(train)/results.json"), b = try fx.json("\(test)/results.json")
                #expect(a["subsample_classes"] as? String == "base" && b["subsample_classes"] as? String == "new")
                #expect(a["seed"] as? Int == b["seed"] as? Int && a["num_shots"] as? Int == 2)
                #expect(b["epoch"] as? Int == 2)
                #expect((b["checkpoint"] as? String)?.hasPrefix(
                            fx.output.appendingPathComponent(train).path + "/checkpoints/") == true,
                        "\(String(describing: b["checkpoint"]))")
                #expect(try fx.json("\(train)/sweep_trial.json")["ranks"] as? Int == 2)
            }
        }
        try Self.checkTable(fx)
        // Each group ran at least two of a dataset's three seeds (3 tasks on 2 groups), so
        // its ranks scored that dataset's base test images again: from the feature cache.
        let cached = try SweepFixture.allTrialPaths.filter { $0.contains("train_base") }.map { trial -> Int in
            let log = try String(contentsOf: fx.output.appendingPathComponent("\(trial)/log.txt"), encoding: .utf8)
            let line = try #require(log.split(separator: "\n").first { $0.hasPrefix("Image features (rank 0): ") })
            return Int(line.dropFirst("Image features (rank 0): ".count).prefix { $0.isNumber }) ?? -1
        }
        #expect(cached.filter { $0 > 0 }.count >= 2, "images from the cache per train_base trial: \(cached)")
        // Both groups took trials (dynamic hand-out), and sweep.json lists every trial as done.
        let events = try String(contentsOf: fx.output.appendingPathComponent("sweeps/tiny_base2new/events.jsonl"),
                                encoding: .utf8)
        #expect(events.contains("\"group\":0") && events.contains("\"group\":1"))
        let sweep = try fx.json("sweeps/tiny_base2new/sweep.json")
        #expect((sweep["counts"] as? [String: Int]) == ["done": 12], "\(String(describing: sweep["counts"]))")

        // --summary rebuilds the same table from disk, without mpirun.
        let md = fx.output.appendingPathComponent("sweeps/tiny_base2new/summary.md")
        let before = try String(contentsOf: md, encoding: .utf8)
        try FileManager.default.removeItem(at: md)
        let s = try Cocoop.run(["sweep", SweepFixture.sweepFile, "--summary"], environment: fx.environment,
                               directory: Cocoop.packageRoot)
        #expect(s.status == 0, "\(s.stderr)")
        #expect(try String(contentsOf: md, encoding: .utf8) == before)
        #expect(s.stdout.contains("| **Average** |"))

        // A second run finds everything finished and runs nothing.
        let again = try fx.sweep(ranks: 2)
        #expect(again.status == 0 && again.stdout.contains("12 already finished") && !again.stdout.contains("started"),
                "\(again.stdout)")
    }

    @Test func stoppedThenKilledHalfWayAndRerunFinishesWithoutRedoingTrials() throws {
        let fx = try SweepFixture(); defer { fx.remove() }
        // 1. Through Cluster/slurm/sweep.sbatch: SIGUSR1 to the batch shell (what Slurm's
        //    --signal=B:USR1@120 sends) is forwarded to mpirun and the ranks; running trials
        //    checkpoint, the sweep exits 75 and the script asks Slurm to requeue the job.
        let first = try fx.launchSlurmScript(delayMs: 800)
        let deadline = Date().addingTimeInterval(120)
        // Stop once 3 trials are done and another is between training steps (under load a
        // trial may still be loading or evaluating when the third finishes).
        while first.isRunning && (fx.finishedTrials().count < 3 || fx.trialsMidTraining().isEmpty)
                && Date() < deadline {
            usleep(100_000)
        }
        #expect(first.isRunning, "the sweep ended before it could be stopped")
        kill(first.processIdentifier, SIGUSR1)
        first.waitUntilExit()
        #expect(first.terminationStatus == 75, "\(fx.launchLog)")
        #expect((try? String(contentsOf: fx.requeueLog, encoding: .utf8)) == "requeue 4242\n", "\(fx.launchLog)")
        let afterStop = fx.resultDates()
        #expect(afterStop.count >= 3 && afterStop.count < 12, "\(afterStop.keys.sorted())")
        let stoppedTrials = SweepFixture.allTrialPaths.filter {
            (try? fx.json("\($0)/sweep_trial.json")["status"] as? String) == "stopped"
        }
        let statuses = SweepFixture.allTrialPaths.map {
            "\($0): \((try? fx.json("\($0)/sweep_trial.json")["status"] as? String) ?? "none")"
        }
        #expect(!stoppedTrials.isEmpty, "no trial was stopped mid-training: \(statuses)\n\(fx.launchLog)")

        // 2. Rerun, then SIGKILL mpirun once a trial more has finished: no chance to clean up.
        let second = try fx.launch(ranks: 4, delayMs: 800)
        while second.isRunning && fx.finishedTrials().count < afterStop.count + 1
                && Date() < deadline.addingTimeInterval(120) {
            usleep(100_000)
        }
        let ranks = SweepFixture.children(of: second)
        #expect(ranks.count == 4, "rank pids: \(ranks)")
        kill(second.processIdentifier, SIGKILL)
        second.waitUntilExit()
        #expect(SweepFixture.waitForExit(ranks), "ranks still running 30 s after mpirun was killed")
        let afterKill = fx.resultDates()
        #expect(afterKill.count < 12, "the sweep finished before it was killed")

        // 3. Rerun to the end: nothing that had finished runs again.
        let last = try fx.sweep(ranks: 4)
        #expect(last.status == 0, "\(last.stdout)\n\(last.stderr)")
        #expect(last.stdout.contains("\(afterKill.count) already finished"), "\(last.stdout)")
        let final = fx.resultDates()
        #expect(final.count == 12)
        for (trial, date) in afterKill { #expect(final[trial] == date, "\(trial) was redone") }
        for trial in afterStop.keys {
            #expect(try fx.json("\(trial)/sweep_trial.json")["attempts"] as? Int == 1, "\(trial) was started again")
        }
        // A trial stopped mid-training resumed from its checkpoint.
        for trial in stoppedTrials {
            let log = try String(contentsOf: fx.output.appendingPathComponent("\(trial)/log.txt"), encoding: .utf8)
            #expect(log.contains("Resuming from"), "\(trial) did not resume")
        }
        try Self.checkTable(fx)
    }

    @Test func sweepFileErrorsNameFileLineAndKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-sweepfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = Cocoop.sharedFixtures.appendingPathComponent("clip_openai.safetensors").path
        func check(_ body: String, _ fragments: [String]) throws {
            let file = dir.appendingPathComponent("s.yaml")
            try body.write(to: file, atomically: true, encoding: .utf8)
            let r = try Cocoop.run(["sweep", file.path, "--list"], directory: Cocoop.packageRoot)
            #expect(r.status == 1, "\(body)\n\(r.stdout)")
            for f in fragments { #expect(r.stderr.contains(f), "expected '\(f)' in: \(r.stderr)") }
        }
        let head = "pipeline: base2new\nbase:\n  weights: \(weights)\n"
            + "  config_file: Configs/trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml\n"
        try check(head + "  overides: {}\naxes: {datasets: [oxford_pets]}\n", ["s.yaml:5", "overides", "base"])
        try check(head + "  overrides: {OPTIM.LRR: 0.1}\naxes: {datasets: [oxford_pets]}\n",
                  ["OPTIM.LRR", "s.yaml:5", "OPTIM.LR"])
        try check(head + "axes:\n  datasets: [oxford_pets]\n  OPTIM.MAX_EPOCH: [1, two]\n",
                  ["OPTIM.MAX_EPOCH", "s.yaml:7"])
        try check(head + "axes: {datasets: [oxford_pets], seeds: [1, x]}\n", ["s.yaml:5", "axes.seeds", "'x'"])
        try check(head + "axes: {datasets: [no_such_dataset]}\n", ["Configs/datasets/no_such_dataset.yaml"])
        try check("pipeline: base2new\nbase: {weights: $COCOOP_NO_SUCH_VARIABLE/w}\naxes: {datasets: [oxford_pets]}\n",
                  ["s.yaml:2", "COCOOP_NO_SUCH_VARIABLE"])
        try check("pipeline: cross_dataset\nbase: {weights: \(weights)}\naxes: {datasets: [oxford_pets]}\n", ["source"])
    }

    @Test func crossDatasetAndConfigAxesLayOutFoldersLikeCoOpScripts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-sweepfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("xd.yaml")
        try """
        pipeline: cross_dataset
        output_root: \(dir.path)/out
        source: imagenet
        base:
          weights: \(Cocoop.sharedFixtures.appendingPathComponent("clip_openai.safetensors").path)
          config_file: Configs/trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml
          shots: 16
        axes:
          datasets: [caltech101, oxford_pets]
          seeds: [1, 2]
          OPTIM.LR: [0.002, 0.004]
        """.write(to: file, atomically: true, encoding: .utf8)
        let r = try Cocoop.run(["sweep", file.path, "--list"], directory: Cocoop.packageRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4 + 8 + 1, "\(r.stdout)")
        #expect(lines.contains("pending     imagenet/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1_16shots/OPTIM.LR=0.004/seed2"),
                "\(r.stdout)")
        #expect(lines.contains("pending     evaluation/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1_16shots/"
                               + "OPTIM.LR=0.002/oxford_pets/seed1"), "\(r.stdout)")
        #expect(lines.last == "12 pending")
    }

    @Test func shippedExampleSweepsExpand() throws {
        let env = ["DATA": "/data", "CLIP_WEIGHTS": "/weights/clip-vit-base-patch16"]
        for (file, count) in [("Configs/sweeps/cocoop_base2new.yaml", 66),
                              ("Configs/sweeps/cocoop_cross_dataset.yaml", 3 + 14 * 3)] {
            let r = try Cocoop.run(["sweep", file, "--list"], environment: env, directory: Cocoop.packageRoot)
            #expect(r.status == 0, "\(file): \(r.stderr)")
            #expect(r.stdout.hasSuffix("\(count) pending\n"), "\(file): \(r.stdout.suffix(200))")
        }
    }

    @Test func crossDatasetRunsWithoutMPIAndAFailingTrialIsRecorded() throws {
        let fx = try SweepFixture(); defer { fx.remove() }
        // A target whose images are missing: its evaluation fails, the others go on.
        let broken = fx.root.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fx.root.appendingPathComponent("tiny_b/split.json"),
                                         to: broken.appendingPathComponent("split.json"))
        let file = fx.root.appendingPathComponent("xd.yaml")
        try """
        pipeline: cross_dataset
        output_root: ${COCOOP_TINY_OUTPUT}
        source: \(SweepFixture.dataset("tiny_a"))
        \(SweepFixture.tinyBase)
        axes:
          datasets: [\(SweepFixture.dataset("tiny_b")), \(SweepFixture.dataset("broken"))]
          seeds: 1
        """.write(to: file, atomically: true, encoding: .utf8)
        let r = try Cocoop.run(["sweep", file.path], environment: fx.environment, directory: Cocoop.packageRoot)
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("1 rank(s) in 1 group(s)"), "\(r.stdout)")
        let train = "tiny_a/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1_2shots/seed1"
        let good = "evaluation/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1_2shots/tiny_b/seed1"
        let bad = "evaluation/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1_2shots/broken/seed1"
        let trained = try fx.json("\(train)/results.json"), evaluated = try fx.json("\(good)/results.json")
        #expect(trained["classes"] as? Int == 4 && trained["subsample_classes"] as? String == "all")
        #expect((evaluated["checkpoint"] as? String)?.contains(train + "/checkpoints/ckpt-e0001") == true)
        // The failure is recorded where a user looks: the trial's record, sweep.json, events.jsonl.
        let record = try fx.json("\(bad)/sweep_trial.json")
        #expect(record["status"] as? String == "failed")
        #expect((record["error"] as? String)?.contains("broken/images/0_chelsea.png") == true, "\(record)")
        let sweep = try fx.json("sweeps/xd/sweep.json")
        #expect((sweep["counts"] as? [String: Int]) == ["done": 2, "failed": 1],
                "\(String(describing: sweep["counts"]))")
        let events = try String(contentsOf: fx.output.appendingPathComponent("sweeps/xd/events.jsonl"), encoding: .utf8)
        #expect(events.contains("\"event\":\"failed\"") && events.contains("0_chelsea.png"))
        // The table: the source row, the good target, and the average over targets that have results.
        let md = try String(contentsOf: fx.output.appendingPathComponent("sweeps/xd/summary.md"), encoding: .utf8)
        let a = try #require(trained["accuracy"] as? Double), b = try #require(evaluated["accuracy"] as? Double)
        #expect(md.contains(String(format: "| tiny_a (source) | %.2f ± 0.00 | 1 |", a)), "\(md)")
        #expect(md.contains(String(format: "| tiny_b | %.2f ± 0.00 | 1 |", b)) && md.contains("| broken | – | 0 |"),
                "\(md)")
        #expect(md.contains(String(format: "| **Average** | %.2f | 1 target(s) |", b)), "\(md)")
    }

    @Test func aFailureOnOneRankOfAGroupFailsTheTrialOnAllItsRanksAndTheSweepGoesOn() throws {
        // Two copies of tiny_a, each with one unreadable image that only one of the group's
        // 2 ranks loads: flaky_train in the 2-shot training set (both astronaut images are
        // drawn), flaky_test in the new classes' test split. The other rank must not hang in
        // the step's or the evaluation's all-reduce; the trial fails on both, and the sweep
        // goes on to the next trials on the same group.
        let fx = try SweepFixture(); defer { fx.remove() }
        for (name, bad) in [("flaky_train", "1_astronaut.png"), ("flaky_test", "0_coffee.png")] {
            let dir = fx.root.appendingPathComponent(name)
            try FileManager.default.copyItem(at: fx.root.appendingPathComponent("tiny_a"), to: dir)
            try Data("not an image".utf8).write(to: dir.appendingPathComponent("images/\(bad)"))
        }
        let file = fx.root.appendingPathComponent("flaky.yaml")
        try """
        name: flaky
        pipeline: base2new
        ranks_per_trial: 2
        output_root: ${COCOOP_TINY_OUTPUT}
        \(SweepFixture.tinyBase)
        axes:
          datasets: [\(SweepFixture.dataset("flaky_train")), \(SweepFixture.dataset("flaky_test")), \
        \(SweepFixture.dataset("tiny_b"))]
          seeds: 1
        """.write(to: file, atomically: true, encoding: .utf8)
        let r = try Cocoop.run(MPIRun.arguments(np: 2, ["sweep", file.path]),
                               executable: MPIRun.executable, environment: fx.environment,
                               directory: Cocoop.packageRoot, timeout: 240)
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        let sweep = try fx.json("sweeps/flaky/sweep.json")
        #expect((sweep["counts"] as? [String: Int]) == ["done": 3, "failed": 2, "skipped": 1],
                "\(String(describing: sweep["counts"]))\n\(r.stdout)\n\(r.stderr)")
        let trial = { (stage: String, name: String) in
            "base2new/\(stage)/\(name)/shots_2/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1/seed1"
        }
        for (stage, name, bad) in [("train_base", "flaky_train", "1_astronaut.png"),
                                   ("test_new", "flaky_test", "0_coffee.png")] {
            let record = try fx.json("\(trial(stage, name))/sweep_trial.json")
            #expect(record["status"] as? String == "failed")
            #expect((record["error"] as? String)?.contains("\(name)/images/\(bad)") == true, "\(record)")
        }
        #expect(try fx.json("\(trial("test_new", "flaky_train"))/sweep_trial.json")["status"] as? String == "skipped")
        for stage in ["train_base", "test_new"] {
            #expect((try fx.json("\(trial(stage, "tiny_b"))/results.json"))["accuracy"] is Double)
        }
    }
}
