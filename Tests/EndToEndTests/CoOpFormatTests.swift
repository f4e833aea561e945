import Checkpoint
import Foundation
import Testing
import TestSupport
import TorchFormats

/// The round trip with CoOp's PyTorch files: `export --format pth` writes Dassl's checkpoint,
/// and `train --eval-only --model-dir` and MODEL.INIT_WEIGHTS read it in CoOp's folder layout.
@Suite(.serialized) struct CoOpFormatTests {
    @Test("export --format pth, then --model-dir in CoOp's layout evaluates it like our own checkpoint")
    func exportAndEvaluate() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        #expect(try TrainingFixture.train(fx.arguments(output: out, epochs: 1), ranks: 0).status == 0)
        let ckpt = try #require(try CheckpointDirectory(out.appendingPathComponent("checkpoints")).entries().first)
        let coop = fx.root.appendingPathComponent("coop")
        let pth = coop.appendingPathComponent("prompt_learner/model.pth.tar-1")
        try FileManager.default.createDirectory(at: pth.deletingLastPathComponent(), withIntermediateDirectories: true)
        let export = try Cocoop.run(["export", ckpt.url.path, "--out", pth.path])
        #expect(export.status == 0 && export.stdout.contains("(pth)"), "\(export.stderr)")
        let written = try DasslCheckpoint(path: pth.path)
        #expect(written.epoch == 1)
        #expect(written.stateDict.names.sorted() == ["ctx", "meta_net.linear1.bias", "meta_net.linear1.weight",
                                                     "meta_net.linear2.bias", "meta_net.linear2.weight"])
        let c = try Checkpoint.load(from: ckpt.url)
        #expect(try written.stateDict.floats("ctx") == c.param("ctx")!.values)

        func evaluate(_ modelDir: URL, _ name: String) throws -> (ProcessResult, Double?) {
            let dir = fx.root.appendingPathComponent(name)
            var args = fx.arguments(output: dir)
            args.insert(contentsOf: ["--eval-only", "--model-dir", modelDir.path, "--load-epoch", "1"], at: 1)
            let r = try TrainingFixture.train(args, ranks: 0)
            let results = try? JSONSerialization.jsonObject(
                with: Data(contentsOf: dir.appendingPathComponent("results.json"))) as? [String: Any]
            return (r, results?["accuracy"] as? Double)
        }
        let (ours, accuracy) = try evaluate(out, "eval-ours")
        #expect(ours.status == 0, "\(ours.stderr)")
        let (theirs, coopAccuracy) = try evaluate(coop, "eval-coop")
        #expect(theirs.status == 0, "\(theirs.stderr)")
        #expect(coopAccuracy != nil && coopAccuracy == accuracy)
        #expect(theirs.output.contains("is a CoOp (Dassl) checkpoint"), "\(theirs.output)")

        let empty = fx.root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let (missing, _) = try evaluate(empty, "eval-missing")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no CoOp checkpoint (\(empty.path)/prompt_learner/model.pth.tar-1)"),
                "\(missing.stderr)")

        // MODEL.INIT_WEIGHTS takes the .pth: an epoch at lr 1e-30 leaves it bit for bit.
        let again = fx.root.appendingPathComponent("again")
        let r = try TrainingFixture.train(fx.arguments(output: again, epochs: 1, extra: [
            "MODEL.INIT_WEIGHTS", pth.path, "OPTIM.LR", "1e-30", "OPTIM.WARMUP_EPOCH", "0",
            "OPTIM.WEIGHT_DECAY", "0"]), ranks: 0)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try TrainingFixture.finalCheckpoint(again).param("ctx")!.values == c.param("ctx")!.values)
    }
}
