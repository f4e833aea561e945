import Foundation
import Testing
import TestSupport

/// ResNet CLIPs through the commands a user runs: CoOp's rn50 config trains the tiny
/// ModifiedResNet, its checkpoint predicts, embed/zeroshot/bench take it, and a
/// MODEL.BACKBONE.NAME that names another architecture stops the run before it writes anything.
@Suite(.serialized) struct ResNetTests {
    static let resNet = Cocoop.sharedFixtures.appendingPathComponent("resnet/clip_rn_openai.safetensors").path

    @Test func rn50ConfigRefusesViTWeightsAndViTConfigRefusesResNetWeights() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let rn50 = "trainers/CoOp/rn50_ep50.yaml"
        let vit = try TrainingFixture.train(fx.arguments(output: out, trainer: "CoOp", config: rn50), ranks: 0)
        #expect(vit.status == 1, "\(vit.stderr)")
        #expect(vit.stderr.contains("MODEL.BACKBONE.NAME is 'RN50' (a ResNet), but the weights are a ViT"),
                "\(vit.stderr)")
        #expect(vit.stderr.contains(fx.weights) && vit.stderr.contains("MODEL.BACKBONE.NAME \"\""), "\(vit.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing written")
        let rn = try TrainingFixture.train(fx.arguments(output: out, weights: Self.resNet, size: 64), ranks: 0)
        #expect(rn.status == 1 && rn.stderr.contains("is 'ViT-B/16' (a ViT), but the weights are a ResNet"),
                "\(rn.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing written")
        // An empty name runs other weights on purpose (checked and stopped before training).
        let anyway = try Cocoop.run(fx.arguments(output: out, extra: ["MODEL.BACKBONE.NAME", ""], trainer: "CoOp",
                                                 config: rn50) + ["--no-train"])
        #expect(anyway.status == 0, "\(anyway.stderr)")
    }

    @Test func coopTrainsTheTinyResNetWithTheRN50ConfigAndItsCheckpointPredicts() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let args = fx.arguments(output: out, epochs: 2, extra: ["TRAINER.COOP.N_CTX", "4"], trainer: "CoOp",
                                config: "trainers/CoOp/rn50_ep50.yaml", weights: Self.resNet, size: 64)
        let r = try TrainingFixture.train(args, ranks: 2)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try Data(contentsOf: out.appendingPathComponent("results.json"))
        let results = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(results["total"] as? Int == 6)
        let image = fx.root.appendingPathComponent("tiny/images/0_chelsea.png").path
        let p = try Cocoop.run(["predict", "--weights", Self.resNet, "--model-dir", out.path, "--json", "--top", "1",
                                image])
        #expect(p.status == 0, "\(p.stderr)")
        let records = try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [[String: Any]])
        #expect(records.count == 1)
    }

    @Test func embedZeroshotAndBenchTakeAResNet() throws {
        let image = Cocoop.fixtures.appendingPathComponent("preprocess/chelsea.png").path
        let e = try Cocoop.run(["embed", "--model", Self.resNet, "--image", image, "--json"])
        #expect(e.status == 0, "\(e.stderr)")
        let line = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        let features = try #require(line["features"] as? [Double])
        #expect(features.count == 64 && features.allSatisfy(\.isFinite))
        let z = try Cocoop.run(["zeroshot", "--model", Self.resNet, "--classnames", "cat,dog", "--top", "1", image])
        #expect(z.status == 0 && z.stdout.contains("%"), "\(z.stderr)")
        let b = try Cocoop.run(["bench", "encoders", "--model", Self.resNet, "--images", "2", "--prompts", "2",
                                "--reps", "1"])
        #expect(b.status == 0 && b.stdout.contains("image (ResNet 1-2-1-1, width 8) | 2 images | 64 px"),
                "\(b.stdout)\(b.stderr)")
    }

    @Test("init-weights writes a loadable RN50 (set COCOOP_SLOW_TESTS=1)",
          .enabled(if: ProcessInfo.processInfo.environment["COCOOP_SLOW_TESTS"] != nil))
    func initWeightsRN50() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rn50-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let w = try Cocoop.run(["init-weights", "--arch", "RN50", "--random", "--seed", "1", "--out", dir.path],
                               timeout: 600)
        #expect(w.status == 0, "\(w.stderr)")
        let image = Cocoop.fixtures.appendingPathComponent("preprocess/chelsea.png").path
        let e = try Cocoop.run(["embed", "--model", dir.path, "--image", image, "--json"], timeout: 600)
        #expect(e.status == 0, "\(e.stderr)")
        let line = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        #expect((line["features"] as? [Double])?.count == 1024)
    }
}
