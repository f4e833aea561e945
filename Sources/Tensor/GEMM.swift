import COpenBLAS
import Foundation

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transpose
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

// MARK: - Matrix products

/// `C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C`, all row-major.
///
/// `lda`, `ldb`, `ldc` are the row strides of the matrices *as stored*
/// (for `A` transposed, `A` is stored `[k, m]` and `lda >= m`). One call to
/// `cblas_sgemm` (`cblas_dgemm` for Double); nothing else happens here, so the
/// core's overhead over raw CBLAS is a function call (`cocoop bench gemm` measures it).
@_specialize(exported: true, where T == Float)
public func gemm<T: KernelFloat>(_ transA: Transpose, _ transB: Transpose,
                                 m: Int, n: Int, k: Int, alpha: T = 1,
                                 a: UnsafePointer<T>, lda: Int,
                                 b: UnsafePointer<T>, ldb: Int,
                                 beta: T = 0, c: UnsafeMutablePointer<T>, ldc: Int) {
    if m == 0 || n == 0 { return }
    if k == 0 {  // BLAS would leave C untouched for beta == 1 only; be explicit.
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    if T.self == Float.self, m * n * k <= GEMMRouting.smallWork {
        let (ta, tb) = (transA == .transpose, transB == .transpose)
        if let fast = SIMDLevel.loops {
            fast.smallGemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: Float(alpha), a: floats(a), lda: lda,
                           b: floats(b), ldb: ldb, beta: Float(beta), c: floats(c), ldc: ldc)
        } else {
            smallGemmLoop(transA: ta, transB: tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                          beta: beta, c: c, ldc: ldc)
        }
        return
    }
    if T.self == Float.self, GEMMRouting.float32 == .oneDNN, m * n * k >= GEMMRouting.oneDNNMinimumWork,
       !ParallelWorker.isCurrent {
        let key = MatmulKey(transA: transA == .transpose, transB: transB == .transpose, m: m, n: n, k: k,
                            lda: lda, ldb: ldb, ldc: ldc, alpha: Float(alpha), beta: Float(beta), bfloat16: false,
                            threads: BLASInfo.threads)
        let cFloat = UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self)
        if Matmuls.shared.run(key, a: UnsafeRawPointer(a), b: UnsafeRawPointer(b), c: cFloat) { return }
    }
    T.cblasGemm(transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// ``gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` with a frozen weight matrix as B: with
/// its bfloat16 copy, A is rounded to bfloat16 and the product accumulates in float32
/// (oneDNN); otherwise, and on a ``ParallelWorker`` thread (where other threads run products
/// at once) or where oneDNN cannot run it, the float32 product: with the float32 weights, or,
/// when only the bfloat16 matrix is kept, with its values widened into a scratch buffer.
/// `bias` (n floats; beta must then be 0) is added to every row of the result, and with
/// `activation` C is replaced by the activation of that: both fused into the product where
/// oneDNN runs it (float32 products: where they go to oneDNN), separate passes elsewhere.
public func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
                 a: UnsafePointer<Float>, lda: Int, b: FrozenMatrix, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
                 activation: FusedActivation? = nil) {
    precondition(bias == nil || beta == 0, "a product with a bias overwrites C (beta 0)")
    if m > 0, n > 0, k > 0, !ParallelWorker.isCurrent {
        var key = MatmulKey(transA: transA == .transpose, transB: transB == .transpose, m: m, n: n, k: k,
                            lda: lda, ldb: ldb, ldc: ldc, alpha: alpha, beta: beta, bfloat16: false,
                            threads: BLASInfo.threads, activation: activation, bias: bias != nil)
        if let b16 = b.bfloat16 {
            key.bfloat16 = true
            key.lda = transA == .none ? k : m
            key.packedWeights = GEMMRouting.packsBFloat16Weights
            if Matmuls.shared.run(key, a: UnsafeRawPointer(a), convertingRowsOf: lda, b: UnsafeRawPointer(b16.data),
                                  packing: b16.packed, c: c, bias: bias) { return }
        } else if let b32 = b.float32, activation != nil || bias != nil, GEMMRouting.float32 == .oneDNN,
                  m * n * k >= GEMMRouting.oneDNNMinimumWork {
            if Matmuls.shared.run(key, a: UnsafeRawPointer(a), b: UnsafeRawPointer(b32.data), c: c, bias: bias) {
                return
            }
        }
    }
    broadcastBias(out: c, bias: bias, n: m, outFeatures: n, ldc: ldc)
    let beta = bias == nil ? beta : 1
    if let b32 = b.float32 {
        gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b32.data, ldb: ldb,
             beta: beta, c: c, ldc: ldc)
    } else {
        guard let b16 = b.bfloat16 else {
            preconditionFailure("a frozen matrix with neither float32 nor bfloat16 data")
        }
        let widened = UnsafeMutablePointer<Float>.allocate(capacity: max(b16.rows * b16.columns, 1))
        defer { widened.deallocate() }
        b16.widen(into: widened)
        gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: widened, ldb: ldb,
             beta: beta, c: c, ldc: ldc)
    }
    if activation == .quickGelu {
        if ldc == n {
            quickGeluForward(out: c, inp: c, n: m * n)
        } else {
            for r in 0..<m { quickGeluForward(out: c + r * ldc, inp: c + r * ldc, n: n) }
        }
    }
}

/// `C[m, n] = A op(B) (+ bias)` with A (m x k, contiguous rows) already rounded to bfloat16
/// and B a frozen matrix holding its bfloat16 copy: the product
/// ``gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:bias:activation:)`` computes after rounding a
/// float32 A (the same bits), for callers that produced A in bfloat16 themselves.
public func gemm(_ transB: Transpose, m: Int, n: Int, k: Int, roundedA a: UnsafePointer<UInt16>, b: FrozenMatrix,
                 ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
                 activation: FusedActivation? = nil) {
    guard let b16 = b.bfloat16 else { preconditionFailure("a bfloat16 operand with float32 weights") }
    if m > 0, n > 0, k > 0, !ParallelWorker.isCurrent {
        let key = MatmulKey(transA: false, transB: transB == .transpose, m: m, n: n, k: k, lda: k, ldb: ldb, ldc: ldc,
                            alpha: 1, beta: 0, bfloat16: true, threads: BLASInfo.threads, activation: activation,
                            bias: bias != nil, packedWeights: GEMMRouting.packsBFloat16Weights)
        if Matmuls.shared.run(key, a: UnsafeRawPointer(a), b: UnsafeRawPointer(b16.data), packing: b16.packed,
                              c: c, bias: bias) { return }
    }
    // Where oneDNN cannot run it: the float32 product of the rounded values.
    let widened = UnsafeMutablePointer<Float>.allocate(capacity: max(m * k, 1))
    defer { widened.deallocate() }
    widenBFloat16(a, into: widened, count: m * k)
    gemm(.none, transB, m: m, n: n, k: k, a: widened, lda: k, b: b, ldb: ldb, c: c, ldc: ldc, bias: bias,
         activation: activation)
}

/// `C = bfloat16((A op(B)) * F)`, F multiplying element by element: A float32 (m x k, row
/// stride lda) rounded to bfloat16 at the call, B a frozen matrix holding its bfloat16 copy,
/// F float32 and C bfloat16, both m x n with dense rows. A product whose result is scaled
/// and rounded for the next product in the same pass (oneDNN applies F while C's tiles are
/// in registers): the input gradient of c_proj times QuickGELU's slope, for c_fc's. The bits
/// of the float32 result of ``gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:bias:activation:)``
/// times F, rounded, except that oneDNN writes a subnormal result as zero.
public func gemm(_ transB: Transpose, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: FrozenMatrix,
                 ldb: Int, scaledBy factor: UnsafePointer<Float>, roundedC c: UnsafeMutablePointer<UInt16>) {
    guard let b16 = b.bfloat16 else { preconditionFailure("a bfloat16 result with float32 weights") }
    if m > 0, n > 0, k > 0, !ParallelWorker.isCurrent {
        let key = MatmulKey(transA: false, transB: transB == .transpose, m: m, n: n, k: k, lda: k, ldb: ldb, ldc: n,
                            alpha: 1, beta: 0, bfloat16: true, threads: BLASInfo.threads,
                            packedWeights: GEMMRouting.packsBFloat16Weights, factor: true, bfloat16Output: true)
        if Matmuls.shared.run(key, a: UnsafeRawPointer(a), convertingRowsOf: lda, b: UnsafeRawPointer(b16.data),
                              packing: b16.packed, c: c, factor: factor) { return }
    }
    // Where oneDNN cannot run it: the float32 product, scaled and rounded.
    let product = UnsafeMutablePointer<Float>.allocate(capacity: max(m * n, 1))
    defer { product.deallocate() }
    gemm(.none, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: product, ldc: n)
    for i in 0..<(m * n) { product[i] *= factor[i] }
    convertToBFloat16(c, from: product, rows: m, columns: n, sourceStride: n)
}

/// An element-wise function applied to a product's result in the same pass.
public enum FusedActivation: Sendable {
    /// OpenAI CLIP's `x * sigmoid(1.702 x)`.
    case quickGelu
}

// MARK: - Routing

/// The library that runs float32 products.
public enum Float32Library: String, Sendable, CaseIterable {
    case openBLAS = "openblas", oneDNN = "onednn"
}

/// Where float32 products go: ``float32`` for those of at least ``oneDNNMinimumWork``
/// multiply-adds (smaller ones, and Double, always go to OpenBLAS, whose per-call cost is
/// lower). The default is oneDNN where it dispatches to AVX-512 (measured faster than
/// OpenBLAS at the towers' shapes: 1.2x with OpenBLAS's Cooper Lake kernels, 2x with the
/// Haswell ones that OPENBLAS_CORETYPE picks on some machines), OpenBLAS elsewhere;
/// `COCOOP_SGEMM=openblas` or `onednn` in the environment chooses.
public enum GEMMRouting {
    /// The library for large float32 products.
    nonisolated(unsafe) public static var float32: Float32Library = {
        if let name = ProcessInfo.processInfo.environment["COCOOP_SGEMM"],
           let library = Float32Library(rawValue: name) {
            return library
        }
        return OneDNN.hasAVX512 ? .oneDNN : .openBLAS
    }()

    /// Runs `body` with float32 products sent to `library` (benchmarks compare them; the
    /// setting is process-wide, so nothing else may run products meanwhile).
    public static func withFloat32<R>(_ library: Float32Library, _ body: () throws -> R) rethrows -> R {
        let saved = float32
        float32 = library
        defer { float32 = saved }
        return try body()
    }

    /// Whether bfloat16 products read frozen weights packed once into oneDNN's layout
    /// (``PackedWeights``: private memory, up to twice the bfloat16 matrices for a tower that
    /// runs backward); `COCOOP_PACK_WEIGHTS=off` reads the plain matrices (shared by a node's
    /// ranks) at every call instead.
    nonisolated(unsafe) public static var packsBFloat16Weights: Bool =
        ProcessInfo.processInfo.environment["COCOOP_PACK_WEIGHTS"] != "off"

    /// Multiply-adds below which a float32 product stays with OpenBLAS.
    public static let oneDNNMinimumWork = 1 << 20

    /// Multiply-adds up to which a float32 product runs as a plain loop (SIMDLoops'
    /// `smallGemmLoop`): a BLAS call's set-up costs more than the arithmetic of the attention
    /// products over a few tokens that a shared-prefix layout runs by the thousand.
    public static let smallWork = 1 << 14
}

/// `batch` independent products `C_i = alpha * op(A_i) * op(B_i) + beta * C_i` whose
/// operands sit at fixed element strides from one another (as in attention heads).
@_specialize(exported: true, where T == Float)
public func gemmStridedBatched<T: KernelFloat>(_ transA: Transpose, _ transB: Transpose,
                                               m: Int, n: Int, k: Int, alpha: T = 1,
                                               a: UnsafePointer<T>, lda: Int, strideA: Int,
                                               b: UnsafePointer<T>, ldb: Int, strideB: Int,
                                               beta: T = 0,
                                               c: UnsafeMutablePointer<T>, ldc: Int, strideC: Int,
                                               batch: Int) {
    for i in 0..<batch {
        gemm(transA, transB, m: m, n: n, k: k, alpha: alpha,
             a: a + i * strideA, lda: lda, b: b + i * strideB, ldb: ldb,
             beta: beta, c: c + i * strideC, ldc: ldc)
    }
}

/// The plain triple loop, kept as the test oracle for ``gemm``.
public func naiveGemm<T: KernelFloat>(_ transA: Transpose, _ transB: Transpose,
                                      m: Int, n: Int, k: Int, alpha: T = 1,
                                      a: UnsafePointer<T>, lda: Int,
                                      b: UnsafePointer<T>, ldb: Int,
                                      beta: T = 0, c: UnsafeMutablePointer<T>, ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var s: T = 0
            for p in 0..<k {
                let x = transA == .none ? a[i * lda + p] : a[p * lda + i]
                let y = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                s += x * y
            }
            c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j])
        }
    }
}

/// One direct `cblas_sgemm` call, `C = op(A) op(B)` (alpha 1, beta 0, row-major): the
/// baseline that `cocoop bench gemm` compares ``gemm`` with, so the CLI needs no CBLAS.
public func rawSgemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
                1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
}

// MARK: - BLAS library facts

/// What OpenBLAS says about itself (for `cocoop env` and bug reports).
public enum BLASInfo {
    /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
    public static var config: String { String(cString: openblas_get_config()) }
    /// `openblas_get_corename()`: the kernel family in use.
    public static var coreName: String { String(cString: openblas_get_corename()) }
    /// Threads OpenBLAS will use for one call.
    public static var threads: Int { Int(openblas_get_num_threads()) }
    /// Sets the number of OpenBLAS threads (one per rank under mpirun).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// Runs `body` with OpenBLAS limited to one thread per call, so that the kernel threads
    /// can each run their own GEMMs at once (OpenBLAS serialises multi-threaded calls made
    /// from several threads). Sections may nest or overlap; the last one to end restores
    /// the thread count that the first one found.
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        sectionLock.lock()
        if sectionDepth == 0 {
            savedThreads = threads
            if savedThreads > 1 { openblas_set_num_threads(1) }
        }
        sectionDepth += 1
        sectionLock.unlock()
        defer {
            sectionLock.lock()
            sectionDepth -= 1
            if sectionDepth == 0 && savedThreads > 1 { openblas_set_num_threads(Int32(savedThreads)) }
            sectionLock.unlock()
        }
        return try body()
    }

    private static let sectionLock = NSLock()
    nonisolated(unsafe) private static var sectionDepth = 0
    nonisolated(unsafe) private static var savedThreads = 1
}
