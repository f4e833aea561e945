import Foundation
import Testing
import TestSupport

/// `cocoop predict` on checkpoints of real training runs: its top-1 classes are the ones
/// the run's own evaluation counted.
@Suite(.serialized) struct PredictTests {
    /// The test split's image files and labels.
    static func testItems(_ fx: TrainingFixture) throws -> [(String, Int)] {
        let url = fx.root.appendingPathComponent("tiny/split.json")
        let split = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [[Any]]])
        return split["test"]!.map { (fx.root.appendingPathComponent("tiny/" + ($0[0] as! String)).path, $0[1] as! Int) }
    }

    @Test(arguments: [["--trainer", "CoCoOp"],
                      ["--trainer", "CoOp", "TRAINER.COOP.CSC", "True", "TRAINER.COOP.N_CTX", "4"]])
    func topOneAgreesWithTheRunsEvaluation(_ trainer: [String]) throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        var args = fx.arguments(output: out, epochs: 2)
        let t = args.firstIndex(of: "--trainer")!
        args.removeSubrange(t...(t + 1))
        args.insert(contentsOf: trainer[0..<2], at: 1)
        args += trainer.dropFirst(2)
        let r = try TrainingFixture.train(args, ranks: 0)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results.json")))
        let results = try #require(json as? [String: Any])

        let items = try Self.testItems(fx)
        let p = try Cocoop.run(["predict", "--weights", fx.weights, "--model-dir", out.path, "--json", "--top", "2",
                                "--batch", "4"]
                               + items.map(\.0))
        #expect(p.status == 0, "\(p.stderr)")
        let records = try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [[String: Any]])
        #expect(records.map { $0["file"] as? String } == items.map(\.0))
        var correct = 0
        for (record, (_, label)) in zip(records, items) {
            let predictions = try #require(record["predictions"] as? [[String: Any]])
            #expect(predictions.count == 2)
            let p0 = try #require(predictions[0]["probability"] as? Double)
            let p1 = try #require(predictions[1]["probability"] as? Double)
            #expect(p0 >= p1 && p0 <= 1 && p1 > 0)
            if predictions[0]["label"] as? Int == label { correct += 1 }
        }
        #expect(correct == results["correct"] as? Int,
                "predict: \(correct) correct, the run's evaluation: \(String(describing: results["correct"]))")

        // A folder stands for its images; the text output names the checkpoint.
        let folder = try Cocoop.run(["predict", "--weights", fx.weights, "--model-dir", out.path, "--top", "1",
                                     fx.root.appendingPathComponent("tiny/images").path])
        #expect(folder.status == 0 && folder.stdout.contains("epoch 2, 4 classes")
                && folder.stdout.contains("1_coffee.png"),
                "\(folder.stdout)\(folder.stderr)")

        // Other CLIP weights are refused, naming both files' hashes.
        let other = Cocoop.fixtures.appendingPathComponent("weights/clip_openai_f16.safetensors").path
        let wrong = try Cocoop.run(["predict", "--weights", other, "--model-dir", out.path, items[0].0])
        #expect(wrong.status == 1 && wrong.stderr.contains("other CLIP weights"), "\(wrong.stderr)")
    }
}
