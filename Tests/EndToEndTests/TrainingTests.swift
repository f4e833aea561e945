import Checkpoint
import Foundation
import Support
import Testing
import TestSupport

/// `cocoop train` end to end, with real mpirun: rank-count invariance, resume after
/// SIGKILL and SIGTERM, a corrupt checkpoint, and bad input that must not clobber anything.
@Suite(.serialized) struct TrainingTests {
    @Test func ranksTimesLocalBatchDoesNotChangeTheResult() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        var finals: [[Float]] = []
        for ranks in [0, 2, 4] {   // global batch 4: 1x4, 2x2, 4x1
            let out = fx.root.appendingPathComponent("out-\(ranks)")
            let r = try TrainingFixture.train(fx.arguments(output: out), ranks: ranks)
            #expect(r.status == 0, "\(ranks) ranks: \(r.stderr)")
            let c = try TrainingFixture.finalCheckpoint(out)
            #expect(c.worldSize == max(ranks, 1) && c.epoch == 2)
            finals.append(TrainingFixture.parameters(c))
        }
        #expect(normwiseError(finals[1], finals[0]) < 1e-5 && normwiseError(finals[2], finals[0]) < 1e-5,
                "\(normwiseError(finals[1], finals[0])) \(normwiseError(finals[2], finals[0]))")
        #expect(finals[0] != TrainingFixture.parameters(try Checkpoint.load(from: fx.root.appendingPathComponent("out-0/checkpoints").appendingPathComponent(CheckpointDirectory.fileName(epoch: 1, step: 3)))))
    }

    @Test func outputFolderHasEverythingTheContractNames() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let r = try TrainingFixture.train(fx.arguments(output: out, epochs: 1), ranks: 2)
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["config.yaml", "log.txt", "metrics.jsonl", "status.json", "results.json", "tensorboard", "checkpoints"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
        }
        let log = try String(contentsOf: out.appendingPathComponent("log.txt"), encoding: .utf8)
        #expect(log.contains("epoch [1/1] batch [1/3]") && log.contains("=> result") && log.contains("* accuracy: "))
        #expect(log.range(of: #"lr \d\.\d{4}e[-+]\d\d eta \d+:\d\d:\d\d"#, options: .regularExpression) != nil)
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results.json"))) as! [String: Any]
        #expect(results["total"] as? Int == 6 && results["accuracy"] != nil)
    }

    /// Waits until metrics.jsonl reports `step` completed steps (or the process ended).
    static func waitForStep(_ out: URL, _ step: Int, process: Process, timeout: TimeInterval = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && process.isRunning {
            if let text = try? String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8),
               text.contains("\"global_step\":\(step),") { return true }
            usleep(50_000)
        }
        return false
    }

    static func launch(_ args: [String], ranks: Int, delayMs: Int) throws -> Process {
        let env = ["COCOOP_DEBUG_STEP_DELAY_MS": "\(delayMs)", "OPENBLAS_NUM_THREADS": "1"]
        if ranks > 0 {
            return try Cocoop.start(MPIRun.executable,
                                    MPIRun.arguments(np: ranks, args, exporting: ["COCOOP_DEBUG_STEP_DELAY_MS"]),
                                    environment: env)
        }
        return try Cocoop.start(Cocoop.binary, args, environment: env)
    }

    /// Batch 4 splits whole images over the 2 ranks; batch 1 splits each step's prompts.
    @Test(arguments: [4, 1])
    func sigkillOfOneRankEndsTheJobAndARerunIsBitIdentical(batch: Int) throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let reference = fx.root.appendingPathComponent("reference")
        // mpirun ends the job; the watchdog is a backstop
        let extra = ["RUNTIME.CHECKPOINT.STEP_FREQ", "1", "RUNTIME.WATCHDOG_SECONDS", "120"]
        #expect(try TrainingFixture.train(fx.arguments(output: reference, epochs: 3, batch: batch, extra: extra),
                                          ranks: 2).status == 0)
        let out = fx.root.appendingPathComponent("killed")
        let args = fx.arguments(output: out, epochs: 3, batch: batch, extra: extra)
        let job = try Self.launch(args, ranks: 2, delayMs: 400)
        #expect(Self.waitForStep(out, 4, process: job), "the job never reached step 4")   // mid-run
        // SIGKILL one rank (a child of mpirun running the binary with this output folder).
        let pgrep = try Cocoop.run(["-P", "\(job.processIdentifier)", "-f", "cocoop train"], executable: URL(fileURLWithPath: "/usr/bin/pgrep"))
        let pids = pgrep.stdout.split(separator: "\n").compactMap { Int32($0) }
        #expect(pids.count == 2, "rank pids: \(pids)")
        let killedAt = Date()
        kill(pids.last!, SIGKILL)
        while job.isRunning && Date().timeIntervalSince(killedAt) < 30 { usleep(50_000) }
        #expect(!job.isRunning, "mpirun still running 30 s after a rank was killed")
        if job.isRunning { job.terminate() }
        job.waitUntilExit()
        #expect(job.terminationStatus != 0)
        let rerun = try TrainingFixture.train(args, ranks: 2)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("Resuming from"))
        let a = TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(reference))
        let b = TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(out))
        #expect(a == b, "not bit-identical: normwise \(normwiseError(b, a))")
    }

    /// What a stop-by-signal run gives: a reference run of 3 epochs on `ranks`; the same run
    /// sent `signal` after step 2 (it must exit 75 with a checkpoint before the last step),
    /// then rerun on `rerunRanks`.
    struct Interrupted {
        let stopped: CheckpointContents
        let rerun: ProcessResult
        let reference: [Float]
        let resumed: [Float]
    }

    static func interrupt(with signal: Int32, ranks: Int, rerunRanks: Int, batch: Int = 4,
                          extra: [String] = []) throws -> Interrupted {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let reference = fx.root.appendingPathComponent("reference")
        // One OpenBLAS thread everywhere, as `launch` runs the stopped job: with some kernels
        // (OPENBLAS_CORETYPE) OpenBLAS rounds differently with 1 and 2 threads.
        let oneThread = ["OPENBLAS_NUM_THREADS": "1"]
        #expect(try TrainingFixture.train(fx.arguments(output: reference, epochs: 3, batch: batch, extra: extra),
                                          ranks: ranks,
                                          environment: oneThread).status == 0)
        let out = fx.root.appendingPathComponent("stopped")
        let args = fx.arguments(output: out, epochs: 3, batch: batch, extra: extra)
        let job = try launch(args, ranks: ranks, delayMs: 300)
        #expect(waitForStep(out, 2, process: job))
        kill(job.processIdentifier, signal)
        job.waitUntilExit()
        #expect(job.terminationStatus == 75, "exit \(job.terminationStatus) after signal \(signal)")
        let stopped = try TrainingFixture.finalCheckpoint(out)
        #expect(stopped.step >= 2 && stopped.step < 3 * (12 / batch), "stopped at step \(stopped.step)")
        let rerun = try TrainingFixture.train(args, ranks: rerunRanks, environment: oneThread)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        return Interrupted(stopped: stopped, rerun: rerun,
                           reference: TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(reference)),
                           resumed: TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(out)))
    }

    @Test func sigtermCheckpointsExits75AndResumes() throws {
        let run = try Self.interrupt(with: SIGTERM, ranks: 0, rerunRanks: 0)
        #expect(run.resumed == run.reference)
    }

    @Test func sigusr1ToMpirunPreemptsAndAnotherWorldSizeResumes() throws {
        // Slurm's --signal=B:USR1 path: mpirun forwards SIGUSR1 to the ranks, which finish
        // the step, checkpoint and exit 75; the rerun on 1 rank keeps the global batch.
        let run = try Self.interrupt(with: SIGUSR1, ranks: 2, rerunRanks: 0)
        #expect(run.stopped.worldSize == 2)
        #expect(run.rerun.stdout.contains("written by 2 rank(s)"))
        #expect(normwiseError(run.resumed, run.reference) < 1e-5)
    }

    @Test func trainingFromADatasetPackEqualsTrainingFromTheFolder() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let folderRun = fx.root.appendingPathComponent("folder")
        #expect(try TrainingFixture.train(fx.arguments(output: folderRun, epochs: 1), ranks: 0).status == 0)
        let pack = fx.root.appendingPathComponent("tiny.h5")
        let packed = try Cocoop.run(["pack", "--root", fx.root.path, "--dataset", "SplitFile",
                                     "--split-file", "tiny/split.json", "--out", pack.path])
        #expect(packed.status == 0, "\(packed.stderr)")
        try FileManager.default.removeItem(at: fx.root.appendingPathComponent("tiny/images"))
        let packRun = fx.root.appendingPathComponent("pack")
        let r = try TrainingFixture.train(fx.arguments(output: packRun, epochs: 1, extra: ["DATASET.PACKED_FILE", "tiny.h5"]), ranks: 2)
        #expect(r.status == 0, "\(r.stderr)")
        let a = TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(folderRun))
        let b = TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(packRun))
        #expect(normwiseError(b, a) < 1e-5)
    }

    @Test func corruptNewestCheckpointIsReportedAndThePreviousOneUsed() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let args = fx.arguments(output: out, epochs: 2, extra: ["RUNTIME.CHECKPOINT.STEP_FREQ", "1"])
        #expect(try TrainingFixture.train(args, ranks: 0).status == 0)
        let newest = try CheckpointDirectory(out.appendingPathComponent("checkpoints")).entries().first!
        let handle = try FileHandle(forUpdating: newest.url)
        let size = handle.seekToEndOfFile()
        handle.truncateFile(atOffset: size / 2)
        handle.closeFile()
        let rerun = try TrainingFixture.train(args, ranks: 0)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains(newest.url.path) && rerun.stdout.contains("Resuming from"))
    }

    @Test func badConfigKeyMissingImageAndWrongWeightsFailCleanly() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        #expect(try TrainingFixture.train(fx.arguments(output: out, epochs: 1), ranks: 0).status == 0)
        let before = TrainingFixture.snapshot(out)

        let typo = try TrainingFixture.train(fx.arguments(output: out, epochs: 1, extra: ["OPTIM.LRR", "0.1"]), ranks: 2)
        #expect(typo.status == 1 && typo.stderr.contains("OPTIM.LRR"), "\(typo.stderr)")

        let image = fx.root.appendingPathComponent("tiny/images/1_coffee.png")
        try FileManager.default.removeItem(at: image)
        let missing = try TrainingFixture.train(fx.arguments(output: out, epochs: 1), ranks: 0)
        #expect(missing.status == 1 && missing.stderr.contains("1_coffee.png"), "\(missing.stderr)")
        try FileManager.default.copyItem(at: Cocoop.fixtures.appendingPathComponent("preprocess/coffee.png"), to: image)

        // A weights file whose vision projection has the wrong shape.
        let bad = fx.root.appendingPathComponent("bad.safetensors")
        let file = try SafetensorsFileRewriter.rewrite(fx.weights, to: bad, reshaping: "visual.proj", to: [96, 192])
        var args = fx.arguments(output: out, epochs: 1)
        args[args.firstIndex(of: "--weights")! + 1] = file.path
        let wrong = try TrainingFixture.train(args, ranks: 0)
        #expect(wrong.status == 1 && wrong.stderr.contains("visual.proj"), "\(wrong.stderr)")
        #expect(TrainingFixture.snapshot(out) == before, "the output folder changed")
    }
}

/// `cocoop inspect` and `cocoop export` on a real checkpoint.
@Suite(.serialized) struct CheckpointCommandTests {
    @Test func inspectAndExport() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        #expect(try TrainingFixture.train(fx.arguments(output: out, epochs: 1), ranks: 0).status == 0)
        let ckpt = try CheckpointDirectory(out.appendingPathComponent("checkpoints")).entries().first!.url
        let inspect = try Cocoop.run(["inspect", ckpt.path, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
        #expect(json["epoch"] as? Int == 1 && (json["classnames"] as? [String])?.count == 4)
        let names = (json["tensors"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(names.contains("/params/ctx") && names.contains("/optimizer/momentum/meta_net/linear2/bias"))
        let file = fx.root.appendingPathComponent("pl.safetensors")
        #expect(try Cocoop.run(["export", ckpt.path, "--out", file.path]).status == 0)
        let st = try SafetensorsFile(path: file.path)
        #expect(st.names == ["prompt_learner.ctx", "prompt_learner.meta_net.linear1.bias", "prompt_learner.meta_net.linear1.weight",
                             "prompt_learner.meta_net.linear2.bias", "prompt_learner.meta_net.linear2.weight"])
        let c = try Checkpoint.load(from: ckpt)
        #expect(try st.floats("prompt_learner.ctx") == c.param("ctx")!.values)
        // MODEL.INIT_WEIGHTS accepts the exported file: an epoch at lr 1e-30 leaves it bit for bit.
        let again = fx.root.appendingPathComponent("again")
        let r = try TrainingFixture.train(fx.arguments(output: again, epochs: 1,
                                                       extra: ["MODEL.INIT_WEIGHTS", file.path, "OPTIM.LR", "1e-30", "OPTIM.WARMUP_EPOCH", "0",
                                                               "OPTIM.WEIGHT_DECAY", "0"]), ranks: 0)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try TrainingFixture.finalCheckpoint(again).param("ctx")!.values == c.param("ctx")!.values)
        // A corrupted checkpoint is refused by inspect with the file named.
        let bad = fx.root.appendingPathComponent("bad.h5")
        try FileManager.default.copyItem(at: ckpt, to: bad)
        let h = try FileHandle(forUpdating: bad); h.truncateFile(atOffset: 2000); h.closeFile()
        let refused = try Cocoop.run(["inspect", bad.path])
        #expect(refused.status == 1 && refused.stderr.contains(bad.path))
    }
}
