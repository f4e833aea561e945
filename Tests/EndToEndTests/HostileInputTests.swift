import Checkpoint
import Foundation
import Testing
import TestSupport

/// Hostile or unlucky inputs end with exit 1 or 2 and one message naming the culprit, never
/// with a signal or with output read from the wrong memory.
@Suite struct HostileInputTests {
    static let weights = Cocoop.sharedFixtures.appendingPathComponent("clip_openai.safetensors").path

    @Test func aTokenEmbeddingWithFewerRowsThanTheTokeniserIsRefusedByEveryTextCommand() throws {
        let dir = try TemporaryDirectory()
        let small = try SafetensorsFileRewriter.rewrite(Self.weights, to: dir.url.appendingPathComponent("small.st"),
                                                       truncating: "token_embedding.weight", rows: 1000)
        let image = Cocoop.fixtures.appendingPathComponent("preprocess/chelsea.png").path
        let commands = [["embed", "--model", small.path, "--text", "a photo of a zebra."],
                        ["zeroshot", "--model", small.path, "--classnames", "cat,zebra", image]]
        for args in commands {
            let r = try Cocoop.run(args)
            #expect(r.status == 1, "\(args[0]): exit \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("\(small.path): token_embedding.weight has 1000 rows"), "\(r.stderr)")
            #expect(r.stderr.contains("49408 ids"), "\(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args[0]) printed features: \(r.stdout.prefix(200))")
        }
        // The image tower alone does not need the table: it still embeds images.
        let e = try Cocoop.run(["embed", "--model", small.path, "--image", image, "--json"])
        #expect(e.status == 0, "\(e.stderr)")
    }

    @Test func trainingWithATruncatedTokenEmbeddingStopsBeforeWritingAnything() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let small = try SafetensorsFileRewriter.rewrite(fx.weights, to: fx.root.appendingPathComponent("small.st"),
                                                       truncating: "token_embedding.weight", rows: 1000)
        let out = fx.root.appendingPathComponent("out")
        let r = try TrainingFixture.train(fx.arguments(output: out, epochs: 1, weights: small.path), ranks: 0)
        #expect(r.status == 1 && r.stderr.contains("token_embedding.weight has 1000 rows"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoints").path))
    }

    @Test(arguments: ["100000000000", "0", "-3"])
    func anOutOfRangeContextLengthIsAnError(_ n: String) throws {
        let r = try Cocoop.run(["tokenize", "--json", "--context", "--context-length", n, "a cat"])
        #expect(r.status == 1 && r.stderr.contains("context length must be between 1 and 65536, got \(n)"),
                "exit \(r.status): \(r.stderr)")
    }

    @Test func exportRefusesToReplaceACheckpoint() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        #expect(try TrainingFixture.train(fx.arguments(output: out, epochs: 1), ranks: 0).status == 0)
        let ckpt = try #require(try FileManager.default.contentsOfDirectory(
            atPath: out.appendingPathComponent("checkpoints").path).first { $0.hasSuffix(".h5") })
        let path = out.appendingPathComponent("checkpoints/\(ckpt)").path
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let copy = fx.root.appendingPathComponent("copy.h5").path, link = fx.root.appendingPathComponent("link").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        for target in [path, link, copy] {
            let r = try Cocoop.run(["export", path, "--out", target])
            #expect(r.status == 2 && r.stderr.contains("--out \(target) is"), "\(target): \(r.status) \(r.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == before)
        let ok = try Cocoop.run(["export", path, "--out", fx.root.appendingPathComponent("p.safetensors").path])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test(arguments: ["log.txt", "metrics.jsonl"])
    func outputsAreNotWrittenThroughAPlantedSymbolicLink(_ name: String) throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let victim = fx.root.appendingPathComponent("victim.txt")
        try Data("precious\n".utf8).write(to: victim)
        try FileManager.default.createSymbolicLink(at: out.appendingPathComponent(name), withDestinationURL: victim)
        let r = try TrainingFixture.train(fx.arguments(output: out, epochs: 1), ranks: 0)
        #expect(r.status == 1, "exit \(r.status)")
        #expect(r.stderr.contains("\(out.path)/\(name): it is a symbolic link"), "\(r.stderr)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")
    }

    @Test func anEmptyTestSplitIsRefusedBeforeTraining() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let file = fx.root.appendingPathComponent("tiny/split.json")
        var split = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        split["test"] = [Any]()
        try JSONSerialization.data(withJSONObject: split).write(to: file)
        let out = fx.root.appendingPathComponent("out")
        let r = try TrainingFixture.train(fx.arguments(output: out, epochs: 1), ranks: 0)
        #expect(r.status == 1 && r.stderr.contains("TEST.SPLIT") && r.stderr.contains("has no images"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        // Without a final evaluation the same data trains.
        let noTest = try TrainingFixture.train(fx.arguments(output: out, epochs: 1, extra: ["TEST.NO_TEST", "True"]),
                                               ranks: 0)
        #expect(noTest.status == 0, "\(noTest.stderr)")
    }

    @Test func aNaNInTheCLIPWeightsIsRefusedAtLoadNamingTheTensor() throws {
        let dir = try TemporaryDirectory()
        let name = "transformer.resblocks.1.mlp.c_fc.weight"
        let bad = try SafetensorsFileRewriter.rewrite(Self.weights, to: dir.url.appendingPathComponent("nan.st"),
                                                     setting: name, at: 5, to: .nan)
        let r = try Cocoop.run(["embed", "--model", bad.path, "--text", "a cat"])
        #expect(r.status == 1, "exit \(r.status)")
        #expect(r.stderr.contains("\(bad.path): tensor '\(name)' holds nan at element 5"), "\(r.stderr)")
    }

    @Test func anInfInMODELINITWEIGHTSIsRefusedNamingFileAndTensor() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let first = fx.root.appendingPathComponent("first")
        #expect(try TrainingFixture.train(fx.arguments(output: first, epochs: 1), ranks: 0).status == 0)
        let ckpt = try #require(try CheckpointDirectory(first.appendingPathComponent("checkpoints")).entries().first)
        let exported = fx.root.appendingPathComponent("init.safetensors").path
        #expect(try Cocoop.run(["export", ckpt.url.path, "--out", exported]).status == 0)
        let bad = try SafetensorsFileRewriter.rewrite(exported, to: fx.root.appendingPathComponent("inf.safetensors"),
                                                     setting: "prompt_learner.ctx", at: 3, to: .infinity)
        let out = fx.root.appendingPathComponent("out")
        let r = try TrainingFixture.train(fx.arguments(output: out, epochs: 1,
                                                       extra: ["MODEL.INIT_WEIGHTS", bad.path]), ranks: 0)
        #expect(r.status == 1 && r.stderr.contains(bad.path) && r.stderr.contains("prompt_learner.ctx holds inf"),
                "exit \(r.status): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoints").path))
    }
}
