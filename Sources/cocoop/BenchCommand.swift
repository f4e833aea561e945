import COpenBLAS
import Foundation
import Tensor

/// `cocoop bench <what>`: throughput benchmarks that print a table.
enum BenchCommand: Command {
    static let name = "bench"
    static let summary = "benchmarks: gemm (more with later subsystems)"
    static let usage = """
    usage: cocoop bench gemm [--reps N] [--quick]

    gemm   GFLOP/s of the tensor core's matrix product (Tensor.gemm, C = A B^T as a
           Linear layer computes it) next to raw cblas_sgemm on the same buffers, at
           transformer shapes M in {80, 2500, 8000} x K, N in {512, 2048, 1536}.
           Core and raw calls alternate; the best of --reps (default 5) is reported.
           --quick: M in {80, 2500} and K, N in {512, 1536} only.
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["reps"], boolean: ["quick"])
        guard let what = a.positional.first else { throw UsageError("which benchmark? (gemm)") }
        switch what {
        case "gemm": try benchGemm(reps: a.int("reps", default: 5), quick: a.has("quick"))
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

    static func benchGemm(reps: Int, quick: Bool) throws {
        let ms = quick ? [80, 2500] : [80, 2500, 8000]
        let kn = quick ? [512, 1536] : [512, 2048, 1536]
        print("OpenBLAS \(BLASInfo.coreName), \(BLASInfo.threads) thread(s); best of \(reps); C[M,N] = A[M,K] B[N,K]^T")
        print("|    M |    K |    N | core GFLOP/s | cblas GFLOP/s | core overhead |")
        print("|-----:|-----:|-----:|-------------:|--------------:|--------------:|")
        var worst = -Double.infinity
        for m in ms {
            for k in kn {
                for n in kn {
                    let a = Tensor(zeros: [m, k]), b = Tensor(zeros: [n, k]), c = Tensor(zeros: [m, n])
                    for i in 0..<a.count { a.data[i] = Float(i % 7) * 0.01 }
                    for i in 0..<b.count { b.data[i] = Float(i % 5) * 0.01 }
                    let core = {
                        gemm(.none, .transpose, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: k,
                             c: c.data, ldc: n)
                    }
                    let raw = {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                                    1, a.data, Int32(k), b.data, Int32(k), 0, c.data, Int32(n))
                    }
                    core(); raw()   // warm-up
                    var tCore = Double.infinity, tRaw = Double.infinity
                    for _ in 0..<reps {
                        tCore = min(tCore, seconds(core))
                        tRaw = min(tRaw, seconds(raw))
                    }
                    let flops = 2.0 * Double(m) * Double(n) * Double(k)
                    let overhead = (tCore / tRaw - 1) * 100
                    worst = max(worst, overhead)
                    print(String(format: "| %4d | %4d | %4d | %12.1f | %13.1f | %12.2f%% |",
                                 m, k, n, flops / tCore / 1e9, flops / tRaw / 1e9, overhead))
                }
            }
        }
        print(String(format: "worst core overhead: %.2f%% (negative = faster than raw by noise)", worst))
    }
}
