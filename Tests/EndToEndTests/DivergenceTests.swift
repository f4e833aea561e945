import Checkpoint
import Foundation
import Testing
import TestSupport

/// Exit 4 (the loss became NaN/Inf): the newest checkpoint kept must hold parameters that
/// are still fit to resume from, not the diverged ones of the steps just before the NaN.
@Suite struct DivergenceTests {
    @Test("A diverging run exits 4 and its newest checkpoint holds finite, sane parameters")
    func divergedStateIsNotKeptAsTheLastGoodCheckpoint() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        // Epoch 1 trains normally (LR 0.5); epoch 2's LR of 5e29 throws the parameters to ~1e29 in
        // one step, which a checkpoint every step would keep, and the next step's loss is NaN/Inf.
        let extra = ["RUNTIME.CHECKPOINT.STEP_FREQ", "1", "OPTIM.LR_SCHEDULER", "single_step",
                     "OPTIM.STEPSIZE", "[1]", "OPTIM.GAMMA", "1e30"]
        let result = try TrainingFixture.train(fx.arguments(output: out, epochs: 3, extra: extra), ranks: 0)
        #expect(result.status == 4, "\(result.transcript)")
        let dir = CheckpointDirectory(out.appendingPathComponent("checkpoints"))
        let newest = try #require(try dir.entries().first)
        let values = TrainingFixture.parameters(try Checkpoint.load(from: newest.url))
        #expect(!values.isEmpty && values.allSatisfy { $0.isFinite && abs($0) < 1e3 })
        #expect(result.output.contains("the last good checkpoint is \(newest.url.path)"))
        #expect(result.output.contains("the parameters diverged"))
    }
}
