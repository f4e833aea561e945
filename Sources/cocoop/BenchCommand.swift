import CLIP
import Foundation
import Tensor

/// `cocoop bench <what>`: throughput benchmarks that print a table.
enum BenchCommand: Command {
    static let name = "bench"
    static let summary = "benchmarks: gemm, encoders, train, collectives, data, loops (tables)"
    static let usage = """
    usage: cocoop bench gemm [--reps N] [--quick]
           cocoop bench encoders --model PATH [--prompts N] [--images N] [--reps N]
           cocoop bench train --model PATH [--classes C] [--batch B] [--steps N] [--classnames FILE]
           [mpirun -np N] cocoop bench train --split auto|images|prompts --model PATH [--trainer CoCoOp|CoOp]
                                             [--classes C] [--batch B] [--steps N]
           [mpirun -np N] cocoop bench collectives [--reps N]
           cocoop bench data [--images N] [--size S] [--workers W1,W2,...]
           cocoop bench loops [--reps N]

    gemm   GFLOP/s of the matrix product C = A B^T as a Linear layer computes it, at the
           towers' shapes (ViT-B/16 batch 1, the text tower at 19 and 500 classes, larger
           transformer shapes): OpenBLAS, oneDNN float32, the tensor core's gemm (routed
           to the faster), its overhead over the library it calls, and the bfloat16 product
           (A rounded at each call). Calls alternate; the best of --reps (default 5).
           --quick: the first four shapes only.
    encoders  text encoder prompts/s ("a photo of a {name}." for N names, default 100)
           and image encoder images/s (default 8 images) with useful GFLOP/s against the
           SGEMM peak measured in the same run. Use random real-shape weights:
           cocoop init-weights --arch ViT-B/16 --random --seed 0 --out DIR
    train  one CoCoOp training step (image tower forward, prompt learner forward and
           backward through the text tower, SGD) with C classes (default 19: OxfordPets'
           base classes; more need --classnames FILE or get synthetic names) and local
           batch B (default 1): images/s, useful GFLOP/s, % of SGEMM peak, peak RSS, and
           the best times of the image tower and the prompt learner alone. On a shared
           machine, run it a few times and compare the best steps.
           With --split (alone or under mpirun, one OpenBLAS thread per rank unless
           OPENBLAS_NUM_THREADS says otherwise): the step as training runs it on the ranks
           (RUNTIME.STEP_SPLIT; B is the global batch), default 5 steps after one warm-up: mean
           and best step time of the slowest rank, the image tower, the features' and logits'
           all-gathers and the gradient all-reduce per step, their share of the step, peak RSS.
    collectives  under mpirun: median and best latency (slowest rank, --reps each, default 200)
           of a barrier and of the step's collectives at its sizes: the image features' and
           the logits' all-gathers, the CoCoOp gradient's all-reduce (35,360 floats); the sum
           is what Scripts/scaling_model.py takes as --latency per step.
    \(DataBench.usage)
    \(LoopsBench.usage)
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["reps", "model", "prompts", "images", "classes", "batch", "steps",
                                             "classnames", "size", "workers", "split", "trainer", "prec"],
                                boolean: ["quick"])
        guard let what = a.positional.first else {
            throw UsageError("which benchmark? (gemm, encoders, train, collectives, data, loops)")
        }
        func model() throws -> CLIPModel {
            guard let path = a.value("model") else { throw UsageError("--model PATH is required") }
            return try CLIPModel(contentsOf: URL(fileURLWithPath: path), precision: precision(a.value("prec")))
        }
        switch what {
        case "gemm": try benchGemm(reps: a.int("reps", default: 5), quick: a.has("quick"))
        case "encoders":
            try ModelBench.encoders(model: model(), prompts: a.int("prompts", default: 100),
                                    images: a.int("images", default: 8), reps: a.int("reps", default: 3))
        case "train" where a.value("split") != nil:
            try DistributedBench.run(model: model(), trainer: a.value("trainer") ?? "CoCoOp",
                                     classes: a.int("classes", default: 19), batch: a.int("batch", default: 1),
                                     steps: a.int("steps", default: 5), split: a.value("split")!,
                                     classnamesFile: a.value("classnames"))
        case "train":
            try ModelBench.train(model: model(), classes: a.int("classes", default: 19),
                                 batch: a.int("batch", default: 1), steps: a.int("steps", default: 3),
                                 classnamesFile: a.value("classnames"))
        case "collectives": try CollectivesBench.run(reps: a.int("reps", default: 200))
        case "loops": try LoopsBench.run(reps: a.int("reps", default: 7))
        case "data":
            let cpus = ProcessInfo.processInfo.activeProcessorCount
            let workers = try a.value("workers").map { list in
                try list.split(separator: ",").map { item in
                    guard let w = Int(item) else { throw UsageError("--workers expects integers, got '\(item)'") }
                    return w
                }
            } ?? Array(Set([1, 2, cpus])).sorted()
            try DataBench.run(images: a.int("images", default: 200), size: a.int("size", default: 224),
                              workers: workers)
        default: throw UsageError("unknown benchmark '\(what)'")
        }
        return 0
    }

    /// Seconds of wall time taken by `body`.
    static func seconds(_ body: () -> Void) -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// The towers' product shapes (M x N x K): ViT-B/16 at batch 1 (197 tokens: qkv, MLP in
    /// and out), the text tower at 19 classes (86 rows: qkv) and at 500 classes (2,211 rows:
    /// MLP in and out), then square-ish transformer shapes.
    static let gemmShapes: [(m: Int, n: Int, k: Int)] = [
        (197, 2304, 768), (197, 3072, 768), (197, 768, 3072), (86, 1536, 512), (2211, 2048, 512),
        (2211, 512, 2048), (2500, 1536, 512), (8000, 2048, 512),
    ]

    static func benchGemm(reps: Int, quick: Bool) throws {
        let shapes = quick ? Array(gemmShapes.prefix(4)) : gemmShapes
        let bf16 = OneDNN.hasNativeBFloat16
        print("OpenBLAS \(BLASInfo.coreName), oneDNN \(OneDNN.version) (\(OneDNN.isaName)), \(BLASInfo.threads) "
              + "thread(s); best of \(reps); C[M,N] = A[M,K] B[N,K]^T as a Linear layer computes it")
        print("core: Tensor.gemm (float32 products go to \(GEMMRouting.float32.rawValue)); bf16: Tensor.gemm on a "
              + "bfloat16 FrozenMatrix, A rounded at each call" + (bf16 ? "" : " (no native bfloat16: skipped)"))
        print("|    M |    N |    K | OpenBLAS GFLOP/s | oneDNN f32 | core f32 | core overhead | bf16 "
              + "| bf16 / best f32 |")
        print("|-----:|-----:|-----:|-----------------:|-----------:|---------:|--------------:|-----:"
              + "|----------------:|")
        var worst = -Double.infinity
        for (m, n, k) in shapes {
            let a = Tensor(zeros: [m, k]), b = Tensor(zeros: [n, k]), c = Tensor(zeros: [m, n])
            for i in 0..<a.count { a.data[i] = Float(i % 7) * 0.01 }
            for i in 0..<b.count { b.data[i] = Float(i % 5) * 0.01 }
            let frozen = FrozenMatrix(b, precision: bf16 ? .bfloat16 : .float32)
            let libraries = Float32Library.allCases
            var runs: [() -> Void] = libraries.map { library in {
                GEMMRouting.withFloat32(library) {
                    gemm(.none, .transpose, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: k, c: c.data, ldc: n)
                }
            } }
            runs.append {
                gemm(.none, .transpose, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: k, c: c.data, ldc: n)
            }
            runs.append {
                rawSgemm(.none, .transpose, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: k, c: c.data, ldc: n)
            }
            if bf16 {
                runs.append {
                    gemm(.none, .transpose, m: m, n: n, k: k, a: a.data, lda: k, b: frozen, ldb: k, c: c.data, ldc: n)
                }
            }
            runs.forEach { $0() }   // warm-up (and primitive creation)
            var best = [Double](repeating: .infinity, count: runs.count)
            for _ in 0..<reps {   // interleaved, so that noise hits every column alike
                for (i, run) in runs.enumerated() { best[i] = min(best[i], seconds(run)) }
            }
            let rate = best.map { 2.0 * Double(m) * Double(n) * Double(k) / $0 / 1e9 }
            let core = rate[2], raw = GEMMRouting.float32 == .openBLAS ? rate[3] : rate[1]
            let overhead = (raw / core - 1) * 100
            worst = max(worst, overhead)
            let bfText = bf16 ? String(format: "%.1f", rate[4]) : "-"
            let ratio = bf16 ? String(format: "%.2fx", rate[4] / max(rate[0], rate[1])) : "-"
            print(String(format: "| %4d | %4d | %4d | %16.1f | %10.1f | %8.1f | %12.2f%% | %@ | %@ |",
                         m, n, k, rate[0], rate[1], core, overhead, bfText, ratio))
        }
        print(String(format: "worst core overhead over the library it routes to (OpenBLAS: raw cblas_sgemm): "
                     + "%.2f%% (negative = faster than raw by noise)", worst))
    }
}
