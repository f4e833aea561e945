import Checkpoint
import Foundation
import Testing
import TestSupport

/// TEST.FINAL_MODEL best_val (Dassl's rule): score the validation split after every epoch,
/// keep the best epoch's checkpoint, deploy it for the final test.
@Suite(.serialized) struct BestValidationTests {
    /// The fixture's split with its second copy of the images as the validation split.
    static func withValidation(_ fx: TrainingFixture) throws -> String {
        let url = fx.root.appendingPathComponent("tiny/split.json")
        var split = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [[Any]]])
        split["val"] = split["train"]!.filter { ($0[0] as! String).hasPrefix("images/1_") }
        try JSONSerialization.data(withJSONObject: split)
            .write(to: fx.root.appendingPathComponent("tiny/split_val.json"))
        return "tiny/split_val.json"
    }

    @Test func bestValidationEpochIsKeptAndDeployedForTheTest() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let args = fx.arguments(output: out, epochs: 3, extra: [
            "DATASET.SPLIT_FILE", try Self.withValidation(fx), "TEST.FINAL_MODEL", "best_val",
            "RUNTIME.CHECKPOINT.KEEP", "1"])
        let r = try TrainingFixture.train(args, ranks: 2)
        #expect(r.status == 0, "\(r.stderr)")
        let log = try String(contentsOf: out.appendingPathComponent("log.txt"), encoding: .utf8)
        #expect(log.components(separatedBy: "Evaluate on the *val* set").count == 4, "\(log)")
        #expect(log.contains("Deploy the model with the best val performance"))
        // Epochs 2 and 3 take the validation images' features from the cache (3 per rank).
        #expect(log.components(separatedBy: "Image features (rank 0): 3 from the cache, 0 encoded").count == 3,
                "\(log)")

        // The validation accuracies per epoch, and the best by Dassl's rule (strictly better).
        let events = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        let val = events.compactMap { e -> (Int, Double)? in
            guard let r = e["result"] as? [String: Any], r["split"] as? String == "val" else { return nil }
            return (e["epoch"] as! Int, r["accuracy"] as! Double)
        }
        #expect(val.map(\.0) == [1, 2, 3])
        let bestEpoch = val.reduce(val[0]) { $1.1 > $0.1 ? $1 : $0 }.0

        // The last checkpoint records it; its file survives KEEP 1 and is what was tested.
        let last = try TrainingFixture.finalCheckpoint(out)
        #expect(last.epoch == 3)
        #expect(last.metrics["best_val/epoch"] == .scalar(Double(bestEpoch)), "\(last.metrics)")
        guard case .scalar(let bestStep)? = last.metrics["best_val/step"] else {
            Issue.record("no best_val/step")
            return
        }
        let bestFile = CheckpointDirectory.fileName(epoch: bestEpoch, step: Int(bestStep))
        let kept = try CheckpointDirectory(out.appendingPathComponent("checkpoints")).entries().map(\.name)
        #expect(kept.contains(bestFile) && kept.contains(CheckpointDirectory.fileName(epoch: 3, step: 9)), "\(kept)")
        let results = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: out.appendingPathComponent("results.json"))) as? [String: Any])
        #expect((results["checkpoint"] as? String)?.hasSuffix("checkpoints/" + bestFile) == true, "\(results)")
        #expect(results["epoch"] as? Int == bestEpoch && results["split"] as? String == "test")
        // TensorBoard as Dassl: val/* at each 0-based epoch, the test at the last one whichever model it deploys.
        if let output = runEventAccumulator(folder: out.appendingPathComponent("tensorboard"), body: """
            for tag in ["val/accuracy", "val/error_rate", "val/macro_f1", "val/best_accuracy", "test/accuracy"]:
                print("TAG", tag, [e.step for e in acc.Scalars(tag)])
            """) {
            for tag in ["val/accuracy", "val/error_rate", "val/macro_f1", "val/best_accuracy"] {
                #expect(output.contains("TAG \(tag) [0, 1, 2]\n"), "\(output)")
            }
            #expect(output.contains("TAG test/accuracy [2]\n"), "\(output)")
        }

        // Without the cache: the same evaluations, to the last bit of every number.
        let uncached = fx.root.appendingPathComponent("uncached")
        var plain = args
        plain[plain.firstIndex(of: out.path)!] = uncached.path
        #expect(try TrainingFixture.train(plain + ["RUNTIME.FEATURE_CACHE_MB", "0"], ranks: 2).status == 0)
        let evaluations = { (dir: URL) in
            try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
                .split(separator: "\n").filter { $0.contains("\"event\":\"evaluation\"") }
        }
        #expect(try evaluations(uncached) == evaluations(out))
        #expect(try !String(contentsOf: uncached.appendingPathComponent("log.txt"), encoding: .utf8)
                    .contains("Image features"))

        // Evaluating that checkpoint on its own gives the same test accuracy.
        let again = fx.root.appendingPathComponent("again")
        var evalArgs = fx.arguments(output: again, extra: ["DATASET.SPLIT_FILE", "tiny/split_val.json"])
        evalArgs.insert(contentsOf: ["--eval-only", "--model-dir", out.path, "--load-epoch", "\(bestEpoch)"], at: 1)
        let e = try TrainingFixture.train(evalArgs, ranks: 0)
        #expect(e.status == 0, "\(e.stderr)")
        let evaluated = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: again.appendingPathComponent("results.json"))) as? [String: Any])
        #expect(evaluated["accuracy"] as? Double == results["accuracy"] as? Double)
        #expect(evaluated["checkpoint"] as? String == results["checkpoint"] as? String)
    }

    @Test func bestValidationWithoutAValidationSplitIsRefusedBeforeAnythingIsWritten() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let r = try TrainingFixture.train(fx.arguments(output: out, extra: ["TEST.FINAL_MODEL", "best_val"]), ranks: 2)
        #expect(r.status == 1)
        #expect(r.stderr.contains("TEST.FINAL_MODEL best_val") && r.stderr.contains("no validation images"),
                "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
