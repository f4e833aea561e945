import Checkpoint
import Foundation
import Tensor
import Testing
import TestSupport

/// PREC as the configs ask: fp16 (the configs' value) runs the towers' products in bfloat16
/// where the CPU has it, says so in the log, trains to within bfloat16's rounding of the
/// fp32 run and is as reproducible; without native bfloat16 (`DNNL_MAX_CPU_ISA` lowered) it
/// is the fp32 run bit for bit, with one notice line.
@Suite(.serialized) struct PrecisionCommandTests {
    struct Run { let params: [Float], correct: Int, log: String }

    static func train(_ fx: TrainingFixture, _ name: String, precision: String, ranks: Int = 0, batch: Int = 2,
                      environment: [String: String] = [:]) throws -> Run {
        let out = fx.root.appendingPathComponent(name)
        let args = fx.arguments(output: out, epochs: 1, batch: batch, precision: precision)
        let r = try TrainingFixture.train(args, ranks: ranks,
                                          environment: environment.merging(["OPENBLAS_NUM_THREADS": "1"]) { $1 })
        #expect(r.status == 0, "\(name): \(r.stderr)")
        let results = try JSONSerialization.jsonObject(
            with: Data(contentsOf: out.appendingPathComponent("results.json"))) as? [String: Any]
        return Run(params: TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(out)),
                   correct: results?["correct"] as? Int ?? -1,
                   log: try String(contentsOf: out.appendingPathComponent("log.txt"), encoding: .utf8))
    }

    static func normwise(_ a: [Float], _ b: [Float]) -> Double {
        normwiseError(a, b.map(Double.init))
    }

    @Test("PREC fp16: bfloat16 products, said in the log, within bfloat16 rounding of fp32, reproducible",
          .enabled(if: OneDNN.hasNativeBFloat16))
    func fp16RunsInBFloat16() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let fp32 = try Self.train(fx, "fp32", precision: "fp32")
        let fp16 = try Self.train(fx, "fp16", precision: "fp16")
        let again = try Self.train(fx, "fp16-again", precision: "fp16")
        #expect(fp32.log.contains("TRAINER.COCOOP.PREC fp32: float32 throughout"))
        #expect(fp16.log.contains("TRAINER.COCOOP.PREC fp16: the CLIP towers' matrix products in bfloat16"))
        #expect(fp16.log.contains("fp16 on a GPU is bfloat16 here"))
        let e = Self.normwise(fp16.params, fp32.params)
        #expect(e > 0 && e < 1e-3, "parameters, fp16 vs fp32: \(e)")
        #expect(again.params == fp16.params, "two bfloat16 runs differ")
        #expect(abs(fp16.correct - fp32.correct) <= 1)
        // Two ranks: the same run to within bfloat16's rounding (products of other shapes
        // round differently), the prompts split as in fp32.
        let two = try Self.train(fx, "fp16-2", precision: "fp16", ranks: 2)
        #expect(Self.normwise(two.params, fp16.params) < 1e-3)
    }

    @Test("PREC fp16 on a CPU without native bfloat16 is the fp32 run bit for bit, with one notice")
    func fallbackIsFloat32WithANotice() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let noBF16 = ["DNNL_MAX_CPU_ISA": "AVX512_CORE"]
        let fp32 = try Self.train(fx, "fp32", precision: "fp32", environment: noBF16)
        let fp16 = try Self.train(fx, "fp16", precision: "fp16", environment: noBF16)
        let notices = fp16.log.split(separator: "\n").filter { $0.contains("has no native bfloat16") }
        #expect(notices.count == 1, "\(fp16.log)")
        #expect(notices.first?.contains("TRAINER.COCOOP.PREC fp16") == true)
        #expect(notices.first?.contains("computing in float32") == true)
        #expect(fp16.params == fp32.params)
        let env = try Cocoop.run(["env"], environment: noBF16)
        #expect(env.stdout.contains("fall back to float32"))
    }

    @Test("PREC fp16 on two ranks started at once: bfloat16 weights and packed copies written once, shared",
          .enabled(if: OneDNN.hasNativeBFloat16))
    func twoRanksShareOneCacheFile() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let cache = fx.root.appendingPathComponent("weight-cache")
        let out = fx.root.appendingPathComponent("fp16-2")
        let r = try TrainingFixture.train(fx.arguments(output: out, epochs: 1, batch: 2, precision: "fp16"), ranks: 2,
                                          environment: ["OPENBLAS_NUM_THREADS": "1", "COCOOP_WEIGHT_CACHE": cache.path])
        #expect(r.status == 0, "\(r.stderr)")
        // Each rank maps the cache file or says why not: no notice, so both map the one file.
        #expect(!r.stderr.contains("bfloat16 weight cache"), "\(r.stderr)")
        // One cache file and, beside it, one file per matrix and layout its products packed;
        // no temporaries left (made by the rank that first needed each, mapped by both).
        let all = try FileManager.default.contentsOfDirectory(atPath: cache.path).sorted()
        let files = all.filter { $0.hasSuffix(".bf16") }, packed = all.filter { $0.hasSuffix(".packed") }
        #expect(files.count == 1 && packed.count + 1 == all.count && !packed.isEmpty, "\(all)")
        #expect(packed.allSatisfy { $0.hasPrefix((files.first ?? "?") + ".t") }, "\(packed)")
        let log = try String(contentsOf: out.appendingPathComponent("log.txt"), encoding: .utf8)
        #expect(log.contains("bfloat16 weights: the towers' matrices in \(cache.path)/\(files.first ?? "")"))
        // A later run finds the files: not written again.
        let before = try [files[0], packed[0]].map {
            try FileManager.default.attributesOfItem(atPath: cache.appendingPathComponent($0).path)
        }
        let again = fx.root.appendingPathComponent("fp16-again")
        let r2 = try TrainingFixture.train(fx.arguments(output: again, epochs: 1, batch: 2, precision: "fp16"),
                                           ranks: 0, environment: ["COCOOP_WEIGHT_CACHE": cache.path])
        #expect(r2.status == 0, "\(r2.stderr)")
        let log2 = try String(contentsOf: again.appendingPathComponent("log.txt"), encoding: .utf8)
        #expect(log2.contains("(found), mapped shared by this node's ranks"))
        let after = try [files[0], packed[0]].map {
            try FileManager.default.attributesOfItem(atPath: cache.appendingPathComponent($0).path)
        }
        #expect(zip(before, after).allSatisfy { $0[.systemFileNumber] as? Int == $1[.systemFileNumber] as? Int })
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).sorted() == all)
    }

    @Test("an unknown PREC is refused before anything is written, naming the key")
    func unknownPrecisionIsAnError() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("bad")
        let r = try Cocoop.run(fx.arguments(output: out, extra: ["TRAINER.COCOOP.PREC", "bf16"]))
        #expect(r.status == 1)   // a config error ("Failure behaviour" in README)
        #expect(r.stderr.contains("TRAINER.COCOOP.PREC") && r.stderr.contains(#"one of "fp16", "fp32", "amp""#))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
