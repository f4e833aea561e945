import Foundation
import Testing
import TestSupport

/// `cocoop train` as CoOp's train.py on Dassl: argparse's nargs="+" flags, --resume DIR,
/// Dassl's TensorBoard tags and steps, log.txt's header, Elapsed line and per-run log file,
/// and the zero-shot trainers' templates.
@Suite(.serialized) struct DasslOutputTests {
    /// `args` with `words` put before the first config override (DATASET.NAME).
    static func inserting(_ words: [String], into args: [String]) -> [String] {
        var args = args
        args.insert(contentsOf: words, at: args.firstIndex(of: "DATASET.NAME")!)
        return args
    }

    @Test("--source-domains, --target-domains and --transforms take several words, up to a flag or a config key")
    func nargsFlags() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("dry")
        var args = Self.inserting(["--target-domains", "x", "y"], into: fx.arguments(output: out) + ["--no-train"])
        args.insert(contentsOf: ["--transforms", "random_flip", "normalize", "--source-domains", "a", "b"], at: 1)
        let r = try TrainingFixture.train(args, ranks: 0)
        #expect(r.status == 0, "\(r.transcript)")
        for line in ["transforms: ['random_flip', 'normalize']", "source_domains: ['a', 'b']",
                     "target_domains: ['x', 'y']", "  TRANSFORMS: [\"random_flip\", \"normalize\"]",
                     "  SOURCE_DOMAINS: [\"a\", \"b\"]", "  TARGET_DOMAINS: [\"x\", \"y\"]", "no_train: True"] {
            #expect(r.stdout.contains("\n" + line + "\n"), "\(line)\n\(r.stdout.prefix(3000))")
        }
        let missing = try TrainingFixture.train(["train", "--transforms", "--seed", "1"], ranks: 0)
        #expect(missing.status == 2 && missing.stderr.contains("--transforms needs at least one value"),
                "\(missing.transcript)")
    }

    @Test("--resume DIR: a run's output folder resumes from its checkpoints/, a folder without one is an error")
    func resumeFolder() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let empty = fx.root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let none = try TrainingFixture.train(fx.arguments(output: fx.root.appendingPathComponent("a"), epochs: 1)
                                             + ["--resume", empty.path], ranks: 0)
        #expect(none.status == 1, "\(none.transcript)")
        #expect(none.stderr.contains("--resume \(empty.path) holds no checkpoint"), "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fx.root.appendingPathComponent("a").path))

        let first = fx.root.appendingPathComponent("first")
        #expect(try TrainingFixture.train(fx.arguments(output: first, epochs: 1), ranks: 0).status == 0)
        let other = try TrainingFixture.train(fx.arguments(output: fx.root.appendingPathComponent("b"), epochs: 1)
                                              + ["--resume", first.path], ranks: 0)
        #expect(other.status == 0, "\(other.transcript)")
        #expect(other.stdout.contains("Resuming from \(first.path)/checkpoints/ckpt-e0001"), "\(other.stdout)")
    }

    @Test("Dassl's test/accuracy, error_rate, macro_f1 at its steps; log.txt's header, Elapsed, per-run file")
    func tensorboardAndLog() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("run")
        let train = try TrainingFixture.train(fx.arguments(output: out, epochs: 2), ranks: 0)
        #expect(train.status == 0, "\(train.transcript)")
        let evaluated = fx.root.appendingPathComponent("eval")
        var evalArgs = fx.arguments(output: evaluated, epochs: 2)
        evalArgs.insert(contentsOf: ["--eval-only", "--model-dir", out.path], at: 1)
        #expect(try TrainingFixture.train(evalArgs, ranks: 0).status == 0)

        let body = """
        for tag in sorted(acc.Tags()["scalars"]):
            print("TAG", tag, [e.step for e in acc.Scalars(tag)])
        """
        // 12 images, batch 4: 3 steps an epoch, numbered from 0; the test at the last epoch, 1.
        if let output = runEventAccumulator(folder: out.appendingPathComponent("tensorboard"), body: body) {
            for line in ["TAG test/accuracy [1]", "TAG test/error_rate [1]", "TAG test/macro_f1 [1]",
                         "TAG train/loss [0, 1, 2, 3, 4, 5]", "TAG train/lr [0, 1, 2, 3, 4, 5]"] {
                #expect(output.contains(line + "\n"), "\(output)")
            }
            #expect(!output.contains("train/acc"), "CoCoOp's loss summary has no acc: \(output)")
        }
        // --eval-only: Dassl's self.epoch is still 0.
        if let output = runEventAccumulator(folder: evaluated.appendingPathComponent("tensorboard"), body: body) {
            #expect(output == "TAG test/accuracy [0]\nTAG test/error_rate [0]\nTAG test/macro_f1 [0]\n", "\(output)")
        }

        // Evaluating into the same folder: log.txt goes on, the run also gets Dassl's log.txt-<time>.
        var again = fx.arguments(output: out, epochs: 2)
        again.insert("--eval-only", at: 1)
        #expect(try TrainingFixture.train(again, ranks: 0).status == 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        let stamped = names.filter { $0.range(of: #"^log\.txt-\d{4}(-\d\d){5}$"#, options: .regularExpression) != nil }
        #expect(stamped.count == 1, "\(names)")
        let log = try String(contentsOf: out.appendingPathComponent("log.txt"), encoding: .utf8)
        let own = try String(contentsOf: out.appendingPathComponent(stamped.first ?? "none"), encoding: .utf8)
        #expect(log.hasPrefix("Setting fixed seed: 1\n***************\n** Arguments **\n***************\n"))
        #expect(log.contains("\neval_only: False\n") && log.contains("\neval_only: True\n"))
        #expect(log.components(separatedBy: "\n** Config **\n").count == 3)
        #expect(log.range(of: #"\nFinish training\n(.|\n)*\n=> result\n(.|\n)*\nElapsed: 0:00:\d\d\n"#,
                          options: .regularExpression) != nil, "\(log)")
        #expect(own.hasPrefix("Setting fixed seed: 1\n") && own.contains("\neval_only: True\n"))
        #expect(!own.contains("eval_only: False") && own.contains("\n=> result\n") && log.hasSuffix(own))
    }

    @Test("ZeroshotCLIP2 ensembles eight templates; DATASET.PROMPT_TEMPLATE sets ZeroshotCLIP's, and needs {}")
    func zeroShotTrainers() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let ensemble = try TrainingFixture.train(fx.arguments(output: fx.root.appendingPathComponent("zs2"),
                                                              trainer: "ZeroshotCLIP2"), ranks: 0)
        #expect(ensemble.status == 0, "\(ensemble.transcript)")
        #expect(ensemble.stdout.contains("Prompt ensembling (n=8): itap of a {}. | a bad photo of the {}. | "),
                "\(ensemble.stdout)")
        #expect(ensemble.stdout.contains("| a photo of the small {}. | a photo of a {}.\n"))
        #expect(ensemble.stdout.contains("\n=> result\n"))

        func zeroShot(_ name: String, template: String) throws -> ProcessResult {
            try TrainingFixture.train(fx.arguments(output: fx.root.appendingPathComponent(name),
                                                   extra: ["DATASET.PROMPT_TEMPLATE", template],
                                                   trainer: "ZeroshotCLIP"), ranks: 0)
        }
        let custom = try zeroShot("zs", template: "a sketch of a {}.")
        #expect(custom.status == 0, "\(custom.transcript)")
        #expect(custom.stdout.contains("Prompt template: a sketch of a {}.\n"), "\(custom.stdout)")
        let bad = try zeroShot("bad", template: "a sketch")
        #expect(bad.status == 1 && bad.stderr.contains("DATASET.PROMPT_TEMPLATE"), "\(bad.transcript)")
        #expect(bad.stderr.contains("must contain {}"), "\(bad.stderr)")
    }
}
