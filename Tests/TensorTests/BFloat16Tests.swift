import Foundation
import Testing
import TestSupport
@testable import Tensor

/// Rounding to bfloat16, and the products through oneDNN: bfloat16 operands with float32
/// accumulation must equal the float32 product of the rounded operands (computed in Double)
/// to float32 rounding, and oneDNN's float32 products must equal the plain loop.
@Suite struct BFloat16Tests {
    // MARK: - Rounding

    /// bfloat16 by exact arithmetic: the nearest of the two neighbours that keep 7
    /// mantissa bits, the even one on a tie.
    static func reference(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7FC0 }
        let bits = x.bitPattern, low = bits & 0xFFFF, high = UInt16(bits >> 16)
        if low > 0x8000 || (low == 0x8000 && high & 1 == 1) { return high &+ 1 }
        return high
    }

    @Test func roundsToNearestWithTiesToEven() {
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (-2, 0xC000), (0, 0), (-0.0, 0x8000),
            (Float(bitPattern: 0x3F80_8000), 0x3F80),   // tie, even below
            (Float(bitPattern: 0x3F81_8000), 0x3F82),   // tie, odd below: up
            (Float(bitPattern: 0x3F80_8001), 0x3F81),   // just above the tie
            (Float(bitPattern: 0x3F80_7FFF), 0x3F80),   // just below
            (.infinity, 0x7F80), (-.infinity, 0xFF80),
            (.greatestFiniteMagnitude, 0x7F80),          // rounds up to infinity, as RNE must
        ]
        for (x, bits) in cases { #expect(bfloat16Bits(x) == bits, "\(x)") }
        #expect(float(fromBFloat16: 0x3F80) == 1)
        #expect(float(fromBFloat16: bfloat16Bits(.nan)).isNaN)
        #expect(float(fromBFloat16: bfloat16Bits(Float(bitPattern: 0x7F80_0001))).isNaN)  // not infinity
        #expect(float(fromBFloat16: bfloat16Bits(-Float.nan)).isNaN)
    }

    @Test func vectorConversionEqualsScalarOnStridedRows() {
        var rng = TestRNG(seed: 3)
        let rows = 5, columns = 37, stride = 41   // 37: two 16-lane blocks and a tail
        var source = rng.floats(rows * stride, scale: 1000).map { $0 - 500 }
        source[3] = .nan; source[20] = .infinity; source[44] = Float(bitPattern: 0x3F81_8000)
        source[stride + 16] = Float(bitPattern: 0xFFC0_0001)   // negative NaN inside a vector block
        var out = [UInt16](repeating: 0xABCD, count: rows * columns)
        convertToBFloat16(&out, from: source, rows: rows, columns: columns, sourceStride: stride)
        for r in 0..<rows {
            for c in 0..<columns {
                let x = source[r * stride + c], got = out[r * columns + c]
                if x.isNaN {
                    #expect(float(fromBFloat16: got).isNaN)
                } else {
                    #expect(got == Self.reference(x), "row \(r) column \(c): \(x)")
                }
            }
        }
    }

    @Test func matrixKeepsShapeAndRoundedValues() {
        let t = Tensor(shape: [2, 3], values: [1, 2.5, -3, 1e-3, 65504, 0.1])
        let m = BFloat16Matrix(converting: t)
        #expect(m.rows == 2 && m.columns == 3 && m.byteCount == 12)
        for i in 0..<6 { #expect(m[i] == float(fromBFloat16: Self.reference(t[i]))) }
    }

    // MARK: - Products

    static let cases: [(Transpose, Transpose)] = [(.none, .none), (.none, .transpose),
                                                 (.transpose, .none), (.transpose, .transpose)]

    /// Operands for `C = alpha op(A) op(B) + beta C` with padded leading dimensions.
    struct Problem {
        let ta: Transpose, tb: Transpose, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int
        let a: [Float], b: [Float], c: [Float]

        init(_ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int, seed: UInt64) {
            var rng = TestRNG(seed: seed)
            self.ta = ta; self.tb = tb; self.m = m; self.n = n; self.k = k
            let (ar, ac) = ta == .none ? (m, k) : (k, m)
            let (br, bc) = tb == .none ? (k, n) : (n, k)
            lda = ac + 3; ldb = bc; ldc = n + 2
            a = rng.floats(ar * lda).map { $0 - 0.5 }
            b = rng.floats(br * ldb).map { $0 - 0.5 }
            c = rng.floats(m * ldc)
        }

        /// The product in Double of `a` and `b` as given (pass rounded copies for bfloat16).
        func reference(a: [Float], b: [Float], alpha: Double, beta: Double) -> [Double] {
            var out = c.map(Double.init)
            naiveGemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: a.map(Double.init), lda: lda,
                      b: b.map(Double.init), ldb: ldb, beta: beta, c: &out, ldc: ldc)
            return out
        }
    }

    /// Rows of `c` inside the product (padding columns excluded).
    static func body<T>(_ c: [T], _ p: Problem) -> [T] {
        (0..<p.m).flatMap { i in c[(i * p.ldc)..<(i * p.ldc + p.n)] }
    }

    @Test(.enabled(if: OneDNN.hasNativeBFloat16), arguments: 0..<4)
    func bfloat16ProductIsTheFloat32ProductOfRoundedOperands(caseIndex: Int) {
        let (ta, tb) = Self.cases[caseIndex]
        let p = Problem(ta, tb, m: 67, n: 45, k: 300, seed: UInt64(caseIndex) + 10)
        let weight = Tensor(shape: [tb == .none ? p.k : p.n, p.ldb], values: p.b)
        let frozen = FrozenMatrix(weight, precision: .bfloat16)
        var c = p.c
        gemm(ta, tb, m: p.m, n: p.n, k: p.k, alpha: 0.5, a: p.a, lda: p.lda, b: frozen, ldb: p.ldb,
             beta: 1, c: &c, ldc: p.ldc)
        let round = { (x: [Float]) in x.map { float(fromBFloat16: bfloat16Bits($0)) } }
        let rounded = p.reference(a: round(p.a), b: round(p.b), alpha: 0.5, beta: 1)
        let exact = p.reference(a: p.a, b: p.b, alpha: 0.5, beta: 1)
        let got = Self.body(c, p).map(Double.init)
        // float32 accumulation of 300 products: about 1e-6 of the result's norm.
        #expect(normwiseError(got, Self.body(rounded, p)) < 1e-5)
        // The rounding itself is visible: bfloat16 keeps 8 significant bits.
        let vsExact = normwiseError(got, Self.body(exact, p))
        #expect(vsExact > 1e-4 && vsExact < 1e-2)
        for i in 0..<p.m { for j in p.n..<p.ldc { #expect(c[i * p.ldc + j] == p.c[i * p.ldc + j]) } }
    }

    @Test(.enabled(if: OneDNN.hasNativeBFloat16), arguments: 0..<4)
    func packedWeightsGiveThePlainProductsBits(caseIndex: Int) {
        let (ta, tb) = Self.cases[caseIndex]
        let p = Problem(ta, tb, m: 67, n: 130, k: 300, seed: UInt64(caseIndex) + 30)
        let frozen = FrozenMatrix(Tensor(shape: [tb == .none ? p.k : p.n, p.ldb], values: p.b), precision: .bfloat16)
        func product(packed: Bool) -> [Float] {
            let saved = GEMMRouting.packsBFloat16Weights
            GEMMRouting.packsBFloat16Weights = packed
            defer { GEMMRouting.packsBFloat16Weights = saved }
            var c = p.c   // as a Linear runs it (alpha 1, beta 0: with others oneDNN may read B as stored)
            gemm(ta, tb, m: p.m, n: p.n, k: p.k, a: p.a, lda: p.lda, b: frozen, ldb: p.ldb, c: &c, ldc: p.ldc)
            return c
        }
        let plain = product(packed: false)
        #expect(frozen.bfloat16!.packed.byteCount.all == 0)
        let packed = product(packed: true), bytes = frozen.bfloat16!.packed.byteCount
        let again = product(packed: true)
        // The same values in another order in memory, read by the same kernel: the same bits.
        #expect(packed == plain && again == packed)
        // One private copy (no store here) of at least the matrix's bytes, made once; none
        // where oneDNN reads the weights as stored (a K x N matrix, at some shapes).
        #expect(bytes.all == bytes.privateMemory && (bytes.all >= p.k * p.n * 2 || tb == .none && bytes.all == 0),
                "\(bytes)")
        #expect(frozen.bfloat16!.packed.byteCount == bytes)
    }

    @Test(arguments: 0..<4)
    func oneDNNFloat32ProductEqualsTheLoop(caseIndex: Int) {
        let (ta, tb) = Self.cases[caseIndex]
        let p = Problem(ta, tb, m: 70, n: 130, k: 129, seed: UInt64(caseIndex) + 20)
        var c = p.c
        let key = MatmulKey(transA: ta == .transpose, transB: tb == .transpose, m: p.m, n: p.n, k: p.k,
                            lda: p.lda, ldb: p.ldb, ldc: p.ldc, alpha: 0.7, beta: 0.3, bfloat16: false, threads: 2)
        let ran = c.withUnsafeMutableBufferPointer { cp in
            Matmuls.shared.run(key, a: p.a, b: p.b, c: cp.baseAddress!)
        }
        #expect(ran)
        let expected = p.reference(a: p.a, b: p.b, alpha: 0.7, beta: 0.3)
        #expect(normwiseError(Self.body(c, p).map(Double.init), Self.body(expected, p)) < 1e-6)
        for i in 0..<p.m { for j in p.n..<p.ldc { #expect(c[i * p.ldc + j] == p.c[i * p.ldc + j]) } }
    }

    @Test func float32MatrixUsesTheFloat32Product() {
        let p = Problem(.none, .transpose, m: 9, n: 11, k: 13, seed: 5)
        let frozen = FrozenMatrix(Tensor(shape: [p.n, p.ldb], values: p.b))
        #expect(frozen.bfloat16 == nil)
        var viaFrozen = p.c, direct = p.c
        gemm(.none, .transpose, m: p.m, n: p.n, k: p.k, a: p.a, lda: p.lda, b: frozen, ldb: p.ldb,
             c: &viaFrozen, ldc: p.ldc)
        gemm(.none, .transpose, m: p.m, n: p.n, k: p.k, a: p.a, lda: p.lda, b: p.b, ldb: p.ldb,
             c: &direct, ldc: p.ldc)
        #expect(viaFrozen == direct)
    }

    @Test func primitivesAreCreatedOncePerShapeAndReused() {
        let p = Problem(.none, .none, m: 31, n: 33, k: 35, seed: 6)
        let key = MatmulKey(transA: false, transB: false, m: p.m, n: p.n, k: p.k, lda: p.lda, ldb: p.ldb,
                            ldc: p.ldc, alpha: 1, beta: 0, bfloat16: false, threads: 1)
        #expect(Matmuls.shared.primitive(for: key) == nil)
        var c = p.c
        _ = c.withUnsafeMutableBufferPointer { Matmuls.shared.run(key, a: p.a, b: p.b, c: $0.baseAddress!) }
        let made = Matmuls.shared.primitive(for: key)
        #expect(made != nil)
        let first = c
        _ = c.withUnsafeMutableBufferPointer { Matmuls.shared.run(key, a: p.a, b: p.b, c: $0.baseAddress!) }
        #expect(Matmuls.shared.primitive(for: key) === made)
        #expect(c == first)   // the same primitive gives the same bits
    }
}
