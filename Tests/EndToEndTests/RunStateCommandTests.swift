import Checkpoint
import Foundation
import Testing
import TestSupport

/// The checkpoint policy and the run's outputs as `cocoop train` meets them: --eval-only
/// with other CLIP weights, a killed save's temporary file, a full disk, the dry run.
@Suite(.serialized) struct RunStateCommandTests {
    @Test("--eval-only refuses a checkpoint trained on other CLIP weights, naming both hashes")
    func evalOnlyOtherWeights() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let trained = try TrainingFixture.train(fx.arguments(output: out, epochs: 1), ranks: 0)
        #expect(trained.status == 0, "\(trained.stderr)")
        let sha = try TrainingFixture.finalCheckpoint(out).clipWeightsSHA256
        // The same tiny CLIP in float16: other weights, another hash.
        let other = Cocoop.fixtures.appendingPathComponent("weights/clip_openai_f16.safetensors").path
        let eval = fx.root.appendingPathComponent("eval")
        var args = fx.arguments(output: eval) + ["--eval-only", "--model-dir", out.path]
        args[args.firstIndex(of: "--weights")! + 1] = other
        let r = try Cocoop.run(args)
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        let hashes = r.stderr.matches(of: try Regex("[0-9a-f]{64}")).map { String(r.stderr[$0.range]) }
        #expect(hashes.count == 2 && hashes[0] == sha && hashes[1] != sha, "\(r.stderr)")
        #expect(r.stderr.contains("eval-only") && r.stderr.contains(other), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: eval.appendingPathComponent("results.json").path))
    }

    @Test("a temporary file left by a killed checkpoint save is removed when training starts")
    func staleTemporary() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let checkpoints = out.appendingPathComponent("checkpoints")
        try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        let stale = checkpoints.appendingPathComponent("ckpt-e0000-s000002.h5.tmp")
        try Data("half a checkpoint".utf8).write(to: stale)
        let r = try TrainingFixture.train(fx.arguments(output: out, epochs: 1), ranks: 0)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(try CheckpointDirectory(checkpoints).entries().count == 1)
        let log = try String(contentsOf: out.appendingPathComponent("log.txt"), encoding: .utf8)
        #expect(log.contains("Removed \(stale.path)"))
    }

    @Test("a full disk while the log and metrics are written ends the run with exit 1 and the message",
          .enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func fullDisk() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let mount = try Cocoop.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", out.path],
                                   executable: URL(fileURLWithPath: "/usr/bin/env"))
        try #require(mount.status == 0, "\(mount.stderr)")
        defer { _ = try? Cocoop.run(["umount", out.path], executable: URL(fileURLWithPath: "/usr/bin/env")) }
        // Leave three pages free: log.txt and metrics.jsonl start, and the run soon fills them.
        let free = try FileManager.default.attributesOfFileSystem(forPath: out.path)[.systemFreeSize] as! Int
        try Data(count: free - 3 * 4096).write(to: out.appendingPathComponent("filler"))
        let r = try TrainingFixture.train(fx.arguments(output: out, epochs: 3, batch: 1), ranks: 2)
        #expect(r.status == 1, "status \(r.status)\n\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("No space left on device") && r.stderr.contains(out.path), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("signal"), "\(r.stderr)")
    }

    @Test("a checkpoint write on a full disk: exit 1 naming the file, never a signal; earlier ones stay valid",
          .enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func fullDiskDuringACheckpointWrite() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out"), checkpoints = out.appendingPathComponent("checkpoints")
        try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        let mount = try Cocoop.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", checkpoints.path],
                                   executable: URL(fileURLWithPath: "/usr/bin/env"))
        try #require(mount.status == 0, "\(mount.stderr)")
        defer { _ = try? Cocoop.run(["umount", checkpoints.path], executable: URL(fileURLWithPath: "/usr/bin/env")) }
        // Room for the first checkpoint (epoch 1) but not for the next.
        let args = fx.arguments(output: out, epochs: 3, extra: ["RUNTIME.CHECKPOINT.KEEP", "3"])
        let size = try FileManager.default.attributesOfFileSystem(forPath: checkpoints.path)
        let free = size[.systemFreeSize] as! Int
        try Data(count: free - 40 * 1024).write(to: checkpoints.appendingPathComponent("filler"))
        let r = try TrainingFixture.train(args, ranks: 0)
        #expect(r.status == 1, "status \(r.status)\n\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains(checkpoints.path), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Segmentation"), "\(r.stderr)")
        let left = try CheckpointDirectory(checkpoints).entries()
        for e in left { #expect(throws: Never.self) { _ = try Checkpoint.load(from: e.url) } }
        let temporaries = try FileManager.default.contentsOfDirectory(atPath: checkpoints.path)
            .filter { $0.hasSuffix(".tmp") }
        #expect(temporaries.isEmpty, "\(temporaries)")
    }

    @Test("a newest checkpoint with a damaged config is skipped with a warning; the rerun ends bit-identical")
    func corruptNewestFallsBack() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let args = fx.arguments(output: out, epochs: 2, extra: ["RUNTIME.CHECKPOINT.KEEP", "5"])
        #expect(try TrainingFixture.train(args, ranks: 0).status == 0)
        let reference = TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(out))
        let newest = try #require(try CheckpointDirectory(out.appendingPathComponent("checkpoints")).entries().first)
        var bytes = try Data(contentsOf: newest.url)
        let needle = Data("MAX_EPOCH".utf8)
        let at = try #require(bytes.range(of: needle), "config_yaml not found in the file")
        bytes[at.upperBound - 1] = UInt8(ascii: "X")  // one byte of the stored config
        try bytes.write(to: newest.url)
        let rerun = try TrainingFixture.train(args, ranks: 0)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains(newest.url.path) && rerun.stderr.contains("content_digest"), "\(rerun.stderr)")
        #expect(rerun.stdout.contains("Resuming from") && !rerun.stdout.contains("Resuming from \(newest.url.path)"))
        #expect(TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(out)) == reference)
    }

    @Test("--no-train checks config, data, weights and the checkpoint to resume from, and writes nothing")
    func dryRun() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let fresh = try Cocoop.run(fx.arguments(output: out) + ["--no-train"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(fresh.stdout.contains("Dry run (--no-train)") && fresh.stdout.contains("the initial parameters"))
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let trained = try TrainingFixture.train(fx.arguments(output: out, epochs: 1), ranks: 0)
        #expect(trained.status == 0, "\(trained.stderr)")
        let before = TrainingFixture.snapshot(out)
        let resumable = try Cocoop.run(fx.arguments(output: out, epochs: 1) + ["--no-train"])
        #expect(resumable.status == 0 && resumable.stdout.contains("the checkpoint to resume from"),
                "\(resumable.stdout)\n\(resumable.stderr)")
        #expect(TrainingFixture.snapshot(out) == before)
        // A setting a resume must match is checked too, before anything is written.
        let changed = try Cocoop.run(fx.arguments(output: out, epochs: 1, extra: ["OPTIM.LR", "0.1"]) + ["--no-train"])
        #expect(changed.status == 1 && changed.stderr.contains("its config differs in OPTIM"), "\(changed.stderr)")
        let typo = try Cocoop.run(fx.arguments(output: out) + ["--no-train", "TRAINER.COCOOP.N_CTXX", "4"])
        #expect(typo.status == 1 && typo.stderr.contains("TRAINER.COCOOP.N_CTXX"), "\(typo.stderr)")
        #expect(TrainingFixture.snapshot(out) == before)
    }
}
