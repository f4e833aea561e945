import Checkpoint
import Foundation
import Testing
import TestSupport

/// SIGKILLs at seeded random points (1-3 steps past the newest checkpoint, then 0-60 ms, so
/// mid-step or mid-save) of a run that checkpoints every step: after each kill
/// every checkpoint left reads or is detected as damaged, and the rerun to the end equals the
/// uninterrupted run bit for bit.
@Suite struct CrashConsistencyTests {
    @Test func randomKillsLeaveValidOrDetectedCheckpointsAndABitIdenticalEnd() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let extra = ["RUNTIME.CHECKPOINT.STEP_FREQ", "1", "RUNTIME.CHECKPOINT.KEEP", "2"]
        let reference = fx.root.appendingPathComponent("reference")
        #expect(try TrainingFixture.train(fx.arguments(output: reference, epochs: 2, batch: 1, extra: extra),
                                          ranks: 0, environment: ["OPENBLAS_NUM_THREADS": "1"]).status == 0)
        let out = fx.root.appendingPathComponent("killed")
        let args = fx.arguments(output: out, epochs: 2, batch: 1, extra: extra)
        var rng = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &rng)
        var times = TestRNG(seed: seed)  // printed on failure, so a schedule can be replayed
        var kills = 0, loaded = 0, detected = 0
        let dir = CheckpointDirectory(out.appendingPathComponent("checkpoints"))
        for _ in 0..<8 {
            // Past the newest checkpoint by 1-3 steps, then 0-60 ms more: mid-step or mid-save.
            let done = ((try? dir.entries()) ?? []).first?.step ?? 0
            let target = done + times.next(in: 1...3)
            guard target < 24 else { break }
            let job = try TrainingTests.launch(args, ranks: 0, delayMs: 40)
            _ = TrainingTests.waitForStep(out, target, process: job)
            usleep(UInt32(times.next(in: 0...60_000)))
            guard job.isRunning else { job.waitUntilExit(); break }  // finished before the kill
            kill(job.processIdentifier, SIGKILL)
            job.waitUntilExit()
            kills += 1
            for entry in (try? dir.entries()) ?? [] {
                do { _ = try Checkpoint.load(from: entry.url); loaded += 1 } catch { detected += 1 }
            }
        }
        let rerun = try TrainingFixture.train(args, ranks: 0, environment: ["OPENBLAS_NUM_THREADS": "1"])
        #expect(rerun.status == 0, "seed \(seed): \(rerun.stderr)")
        #expect(kills > 0 && loaded > 0, "seed \(seed): \(kills) kills, \(loaded) checkpoints read after them")
        let a = TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(reference))
        let b = TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(out))
        let summary = "seed \(seed), \(kills) kills, \(loaded) checkpoints read, \(detected) detected"
        #expect(a == b, "\(summary): not bit-identical (normwise \(normwiseError(b, a)))")
    }
}
