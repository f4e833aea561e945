import Checkpoint
import Foundation
import Testing
import TestSupport

/// One run on many ranks: with the step's prompts split over the ranks (RUNTIME.STEP_SPLIT
/// prompts, what `auto` picks for a batch that does not divide over the ranks), the
/// parameters and the evaluation equal the one-rank run's, and a resume is bit-identical.
@Suite(.serialized) struct SplitStepCommandTests {
    static func normwise(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a, b) { num = max(num, Double(abs(x - y))); den = max(den, Double(abs(y))) }
        return num / den
    }

    /// Final parameters and results.json's counts of a run on `ranks` ranks (0: no mpirun).
    static func run(_ fx: TrainingFixture, _ name: String, ranks: Int, trainer: String, batch: Int,
                    extra: [String] = []) throws -> (params: [Float], correct: Int, log: String) {
        let out = fx.root.appendingPathComponent(name)
        var args = fx.arguments(output: out, epochs: 1, batch: batch, extra: extra)
        args[args.firstIndex(of: "--trainer")! + 1] = trainer
        let r = try TrainingFixture.train(args, ranks: ranks, environment: ["OPENBLAS_NUM_THREADS": "1"])
        #expect(r.status == 0, "\(name): \(r.stderr)")
        let results = try JSONSerialization.jsonObject(
            with: Data(contentsOf: out.appendingPathComponent("results.json"))) as? [String: Any]
        let log = try String(contentsOf: out.appendingPathComponent("log.txt"), encoding: .utf8)
        return (TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(out)),
                results?["correct"] as? Int ?? -1, log)
    }

    @Test("batch 1 on 2 and 3 ranks, batch 2 on 3 and batch 5 on 4 ranks equal one rank (CoCoOp and CoOp)",
          arguments: ["CoCoOp", "CoOp"])
    func ranksDoNotChangeTheResult(trainer: String) throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        for (batch, rankCounts) in [(1, [2, 3]), (2, [3]), (5, [4])] {
            let one = try Self.run(fx, "\(trainer)-b\(batch)-1", ranks: 0, trainer: trainer, batch: batch)
            for ranks in rankCounts {
                let many = try Self.run(fx, "\(trainer)-b\(batch)-\(ranks)", ranks: ranks, trainer: trainer,
                                        batch: batch)
                let e = Self.normwise(many.params, one.params)
                #expect(e < 1e-5, "\(trainer), batch \(batch), \(ranks) ranks: normwise \(e)")
                #expect(many.correct == one.correct, "\(trainer), batch \(batch), \(ranks) ranks: evaluation")
                #expect(many.log.contains("Step split: the step's prompts over \(ranks) ranks"))
            }
        }
    }

    @Test("forcing either split on 2 ranks with batch 2 gives the same parameters")
    func forcedSplits() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let images = try Self.run(fx, "images", ranks: 2, trainer: "CoCoOp", batch: 2,
                                  extra: ["RUNTIME.STEP_SPLIT", "images"])
        let prompts = try Self.run(fx, "prompts", ranks: 2, trainer: "CoCoOp", batch: 2,
                                   extra: ["RUNTIME.STEP_SPLIT", "prompts"])
        #expect(images.log.contains("Step split: whole images per rank"))
        #expect(Self.normwise(prompts.params, images.params) < 1e-5)
    }

    @Test("pre-empted (SIGUSR1 to mpirun) with the prompts split: the resumed run is bit-identical")
    func resumeIsBitIdentical() throws {
        let run = try TrainingTests.interrupt(with: SIGUSR1, ranks: 2, rerunRanks: 2, batch: 1)
        #expect(run.rerun.stdout.contains("Resuming from"))
        #expect(run.resumed == run.reference, "normwise \(Self.normwise(run.resumed, run.reference))")
    }

    @Test("an unreadable image on one rank fails the split step on every rank with its name")
    func failingTogether() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        try Data("not an image".utf8).write(to: fx.root.appendingPathComponent("tiny/images/1_coffee.png"))
        let out = fx.root.appendingPathComponent("bad")
        let r = try TrainingFixture.train(fx.arguments(output: out, epochs: 1, batch: 1), ranks: 3)
        #expect(r.status == 1 && r.stderr.contains("1_coffee.png"), "\(r.stderr)")
    }
}
