import Foundation
import Testing
import TestSupport
@testable import Tensor

/// The element-wise loops are compiled three times (baseline x86-64 in the callers' modules,
/// AVX2 in SIMDLoopsAVX2, AVX-512 in SIMDLoopsAVX512); every copy must give bitwise the same
/// results, tails and odd lengths included, so that which one a CPU runs never changes a
/// result. The copies called here from the test module are its own (unoptimised, scalar)
/// builds of the same loops: equal bits also show that every lane computes what the scalar
/// code does.
@Suite struct SIMDLoopsTests {
    static let counts = [1, 7, 8, 15, 16, 17, 197, 1000]

    static func inputs(_ n: Int, seed: UInt64, scale: Float = 12) -> [Float] {
        var rng = TestRNG(seed: seed)
        var x = rng.floats(n, scale: scale)
        if n > 3 { x[0] = 0; x[1] = -100; x[2] = 95 }   // exp's clamps at both ends
        return x
    }

    static func same(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    @Test func levelFollowsTheCPUAndTheEnvironment() {
        let cap = ProcessInfo.processInfo.environment["COCOOP_SIMD"].flatMap(SIMDLevel.init(rawValue:)) ?? .avx512
        #expect(SIMDLevel.current == min(cap, SIMDLevel.richestOnThisCPU))
        #expect(SIMDLevel.compiledCopiesOnThisCPU
                == SIMDLevel.allCases.filter { $0 > .baseline && $0 <= SIMDLevel.richestOnThisCPU })
        // Each level needs every instruction of its compiler target.
        let haswell: Set = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "popcnt", "abm"]
        let skylakeX = haswell.union(["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"])
        #expect(SIMDLevel.level(forFlags: skylakeX.union(["avx512_bf16"])) == .avx512)
        #expect(SIMDLevel.level(forFlags: skylakeX.subtracting(["avx512vl"])) == .avx2)
        #expect(SIMDLevel.level(forFlags: haswell) == .avx2)
        #expect(SIMDLevel.level(forFlags: haswell.subtracting(["fma"])) == .baseline)
        #expect(SIMDLevel.level(forFlags: []) == .baseline)
    }

    @Test(arguments: SIMDLevel.compiledCopiesOnThisCPU, counts)
    func quickGeluCopiesAgree(copy: SIMDLevel, n: Int) {
        let fast = copy.loops!
        let x = Self.inputs(n, seed: UInt64(n)), dy = Self.inputs(n, seed: 99, scale: 1)
        var a = [Float](repeating: 0, count: n), b = a
        quickGeluForwardLoop(out: &a, inp: x, count: n)
        fast.quickGeluForward(out: &b, inp: x, count: n)
        #expect(Self.same(a, b))
        for accumulate in [false, true] {
            var da = dy, db = dy
            quickGeluBackwardLoop(dinp: &da, dout: dy, inp: x, count: n, accumulate: accumulate)
            fast.quickGeluBackward(dinp: &db, dout: dy, inp: x, count: n, accumulate: accumulate)
            #expect(Self.same(da, db), "accumulate \(accumulate)")
            // From the forward's output: the same bits in both copies, within two roundings of
            // the sigmoid of the backward that recomputes it.
            var oa = dy, ob = dy
            quickGeluBackwardLoop(dinp: &oa, dout: dy, inp: x, out: a, count: n, accumulate: accumulate)
            fast.quickGeluBackward(dinp: &ob, dout: dy, inp: x, out: a, count: n, accumulate: accumulate)
            #expect(Self.same(oa, ob), "from the output, accumulate \(accumulate)")
            #expect(normwiseError(oa, da.map(Double.init)) < 1e-6)
        }
        // With the slope kept: the same output, and the backward from the output as a product.
        var (ya, yb) = ([Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
        var (sa, sb) = (ya, yb)
        quickGeluForwardLoop(out: &ya, slope: &sa, inp: x, count: n)
        fast.quickGeluForward(out: &yb, slope: &sb, inp: x, count: n)
        #expect(Self.same(ya, a) && Self.same(yb, a) && Self.same(sa, sb))
        var fromOutput = dy
        quickGeluBackwardLoop(dinp: &fromOutput, dout: dy, inp: x, out: a, count: n, accumulate: false)
        #expect(Self.same(zip(dy, sa).map { $0 * $1 }, fromOutput))
    }

    @Test(arguments: SIMDLevel.compiledCopiesOnThisCPU, counts)
    func softmaxRowCopiesAgree(copy: SIMDLevel, n: Int) {
        let fast = copy.loops!
        let x = Self.inputs(n, seed: UInt64(n) + 7), dy = Self.inputs(n, seed: 5, scale: 1)
        for visible in Set([n, (n + 1) / 2, 1]) {
            for scale: Float in [0.125, -0.5] {
                var a = [Float](repeating: 9, count: n), b = a
                softmaxRowLoop(out: &a, inp: x, visible: visible, cols: n, scale: scale)
                fast.softmaxRow(out: &b, inp: x, visible: visible, cols: n, scale: scale)
                #expect(Self.same(a, b), "visible \(visible), scale \(scale)")
                var inPlaceA = x, inPlaceB = x   // y == x has its own loop
                inPlaceA.withUnsafeMutableBufferPointer {
                    softmaxRowLoop(out: $0.baseAddress!, inp: $0.baseAddress!, visible: visible, cols: n, scale: scale)
                }
                inPlaceB.withUnsafeMutableBufferPointer {
                    fast.softmaxRow(out: $0.baseAddress!, inp: $0.baseAddress!, visible: visible, cols: n,
                                    scale: scale)
                }
                #expect(Self.same(inPlaceA, inPlaceB) && Self.same(inPlaceA, a))
                var da = dy, db = dy
                softmaxBackwardRowLoop(dinp: &da, dout: dy, out: a, visible: visible, scale: scale)
                fast.softmaxBackwardRow(dinp: &db, dout: dy, out: a, visible: visible, scale: scale)
                #expect(Self.same(da, db))
            }
        }
    }

    @Test(arguments: SIMDLevel.compiledCopiesOnThisCPU, counts)
    func layerNormRowCopiesAgree(copy: SIMDLevel, c: Int) {
        let fast = copy.loops!
        let x = Self.inputs(c, seed: 3), w = Self.inputs(c, seed: 4, scale: 2), bias = Self.inputs(c, seed: 6)
        let dy = Self.inputs(c, seed: 8, scale: 1)
        var a = [Float](repeating: 0, count: c), b = a
        let sa = layerNormRowLoop(out: &a, inp: x, weight: w, bias: bias, c: c, eps: 1e-5)
        let sb = fast.layerNormRow(out: &b, inp: x, weight: w, bias: bias, c: c, eps: 1e-5)
        #expect(Self.same(a, b) && sa.mean.bitPattern == sb.mean.bitPattern && sa.rstd.bitPattern == sb.rstd.bitPattern)
        for frozen in [true, false] {
            var da = dy, db = dy, dwa = bias, dwb = bias, dba = w, dbb = w
            if frozen {
                layerNormBackwardRowLoop(dinp: &da, dweight: nil, dbias: nil, dout: dy, inp: x, weight: w,
                                         mean: sa.mean, rstd: sa.rstd, c: c)
                fast.layerNormBackwardRow(dinp: &db, dweight: nil, dbias: nil, dout: dy, inp: x, weight: w,
                                          mean: sa.mean, rstd: sa.rstd, c: c)
            } else {
                layerNormBackwardRowLoop(dinp: &da, dweight: &dwa, dbias: &dba, dout: dy, inp: x, weight: w,
                                         mean: sa.mean, rstd: sa.rstd, c: c)
                fast.layerNormBackwardRow(dinp: &db, dweight: &dwb, dbias: &dbb, dout: dy, inp: x, weight: w,
                                          mean: sa.mean, rstd: sa.rstd, c: c)
            }
            #expect(Self.same(da, db) && Self.same(dwa, dwb) && Self.same(dba, dbb), "frozen \(frozen)")
        }
    }

    @Test(arguments: SIMDLevel.compiledCopiesOnThisCPU, counts)
    func bfloat16RoundingCopiesAgree(copy: SIMDLevel, n: Int) {
        let fast = copy.loops!
        var x = Self.inputs(n, seed: 11, scale: 1e4)
        if n > 5 { x[3] = .nan; x[4] = -.infinity; x[5] = Float(bitPattern: 0x3F81_8000) }
        var a = [UInt16](repeating: 1, count: n), b = a
        bfloat16RoundLoop(&a, x, count: n)
        fast.bfloat16Round(&b, x, count: n)
        #expect(a == b)
        #expect(a == x.map(bfloat16Bits))
    }

    @Test(arguments: SIMDLevel.compiledCopiesOnThisCPU, [false, true])
    func smallGemmCopiesAgree(copy: SIMDLevel, transB: Bool) {
        let fast = copy.loops!
        for transA in [false, true] {
            let m = 5, n = 9, k = 67, ld = 70
            let a = Self.inputs(70 * 70, seed: 1, scale: 1), b = Self.inputs(70 * 70, seed: 2, scale: 1)
            let c0 = Self.inputs(m * ld, seed: 3, scale: 1)
            for beta: Float in [0, 1, 0.5] {
                var x = c0, y = c0
                smallGemmLoop(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.9, a: a, lda: ld, b: b,
                              ldb: ld, beta: beta, c: &x, ldc: ld)
                fast.smallGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.9, a: a, lda: ld, b: b,
                               ldb: ld, beta: beta, c: &y, ldc: ld)
                #expect(Self.same(x, y), "transA \(transA), beta \(beta)")
            }
        }
    }
}
