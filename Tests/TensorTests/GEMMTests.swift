import Testing
import TestSupport
@testable import Tensor

@Suite struct GEMMTests {
    static let cases: [(Transpose, Transpose)] = [(.none, .none), (.none, .transpose),
                                                 (.transpose, .none), (.transpose, .transpose)]

    @Test(arguments: 0..<4)
    func gemmMatchesNaiveLoopInDouble(caseIndex: Int) {
        let (ta, tb) = Self.cases[caseIndex]
        var rng = TestRNG(seed: UInt64(caseIndex) + 1)
        let m = 7, n = 5, k = 9, pad = 3
        // Stored shapes with padded leading dimensions.
        let (ar, ac) = ta == .none ? (m, k) : (k, m)
        let (br, bc) = tb == .none ? (k, n) : (n, k)
        let lda = ac + pad, ldb = bc + pad, ldc = n + pad
        let a = rng.doubles(ar * lda), b = rng.doubles(br * ldb), c0 = rng.doubles(m * ldc)
        var fast = c0, slow = c0
        gemm(ta, tb, m: m, n: n, k: k, alpha: 0.7, a: a, lda: lda, b: b, ldb: ldb,
             beta: 0.3, c: &fast, ldc: ldc)
        naiveGemm(ta, tb, m: m, n: n, k: k, alpha: 0.7, a: a, lda: lda, b: b, ldb: ldb,
                  beta: 0.3, c: &slow, ldc: ldc)
        #expect(normwiseError(fast, slow) < 1e-14)
        // Padding columns of C are left untouched.
        for i in 0..<m { for j in n..<ldc { #expect(fast[i * ldc + j] == c0[i * ldc + j]) } }
    }

    /// Float products up to ``GEMMRouting/smallWork`` multiply-adds run as SIMDLoops' plain
    /// loop: every transpose, padded strides, beta 0 (C's NaNs overwritten), 1 and otherwise.
    @Test(arguments: 0..<4)
    func smallFloatProductsMatchTheDoubleLoop(caseIndex: Int) {
        let (ta, tb) = Self.cases[caseIndex]
        var rng = TestRNG(seed: UInt64(caseIndex) + 40)
        let m = 5, n = 19, k = 64, pad = 3   // 6,080 multiply-adds: the loop, not BLAS
        #expect(m * n * k <= GEMMRouting.smallWork)
        let (ar, ac) = ta == .none ? (m, k) : (k, m)
        let (br, bc) = tb == .none ? (k, n) : (n, k)
        let lda = ac + pad, ldb = bc + pad, ldc = n + pad
        let a = rng.floats(ar * lda), b = rng.floats(br * ldb), c0 = rng.floats(m * ldc)
        for beta: Float in [0, 1, 0.3] {
            var fast = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : c0
            let start = fast
            gemm(ta, tb, m: m, n: n, k: k, alpha: 0.7, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &fast, ldc: ldc)
            var slow = c0.map(Double.init)
            naiveGemm(ta, tb, m: m, n: n, k: k, alpha: 0.7, a: a.map(Double.init), lda: lda, b: b.map(Double.init),
                      ldb: ldb, beta: Double(beta), c: &slow, ldc: ldc)
            let inside = (0..<m).flatMap { i in (0..<n).map { i * ldc + $0 } }
            #expect(normwiseError(inside.map { fast[$0] }, inside.map { slow[$0] }) < 1e-6, "beta \(beta)")
            for i in 0..<m {
                for j in n..<ldc { #expect(fast[i * ldc + j].bitPattern == start[i * ldc + j].bitPattern) }
            }
        }
    }

    @Test func floatGemmMatchesDoubleReference() {
        var rng = TestRNG(seed: 42)
        let m = 33, n = 17, k = 65
        let a = rng.floats(m * k), b = rng.floats(n * k)
        var c = [Float](repeating: 0, count: m * n)
        gemm(.none, .transpose, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: &c, ldc: n)
        let ad = a.map(Double.init), bd = b.map(Double.init)
        var cd = [Double](repeating: 0, count: m * n)
        naiveGemm(.none, .transpose, m: m, n: n, k: k, a: ad, lda: k, b: bd, ldb: k, c: &cd, ldc: n)
        #expect(normwiseError(c.map(Double.init), cd) < 1e-6)
    }

    @Test func stridedBatchedEqualsSeparateProducts() {
        var rng = TestRNG(seed: 7)
        let m = 4, n = 3, k = 5, batch = 3
        let a = rng.doubles(batch * m * k), b = rng.doubles(batch * k * n)
        var c = [Double](repeating: 0, count: batch * m * n)
        gemmStridedBatched(.none, .none, m: m, n: n, k: k, a: a, lda: k, strideA: m * k,
                           b: b, ldb: n, strideB: k * n, c: &c, ldc: n, strideC: m * n,
                           batch: batch)
        for i in 0..<batch {
            var ci = [Double](repeating: 0, count: m * n)
            naiveGemm(.none, .none, m: m, n: n, k: k, a: Array(a[(i * m * k)...]), lda: k,
                      b: Array(b[(i * k * n)...]), ldb: n, c: &ci, ldc: n)
            #expect(normwiseError(Array(c[(i * m * n)..<((i + 1) * m * n)]), ci) < 1e-14)
        }
    }

    @Test func emptyInnerDimensionScalesC() {
        var c: [Double] = [1, 2, 3, 4]
        let a: [Double] = [0], b: [Double] = [0]
        gemm(.none, .none, m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 0.5, c: &c, ldc: 2)
        #expect(c == [0.5, 1, 1.5, 2])
    }
}
