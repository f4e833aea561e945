import Testing
import TestSupport
@testable import Tensor

/// The row-by-row attention of a short block (SIMDLoops' AttentionRows.swift) against the
/// small products it replaces, bit for bit, and its two compiled copies against each other.
/// (Its gradients against finite differences: KernelGradientTests' attention tests, which run it.)
@Suite struct AttentionRowsTests {
    /// A block of `tq` queries over a prefix of `tp` rows and its own keys, in one packed
    /// q|k|v matrix of row stride 3 * 80 as a layer holds it (head width `hd`).
    struct Block {
        let tq: Int, tp: Int, hd: Int, ld = 240
        let qkv: [Float], prefix: [Float], dout: [Float]
        var cols: Int { tp + tq }

        init(tq: Int, tp: Int, hd: Int, seed: UInt64) {
            self.tq = tq; self.tp = tp; self.hd = hd
            var rng = TestRNG(seed: seed)
            qkv = rng.floats(tq * ld, scale: 1); prefix = rng.floats(max(tp, 1) * ld, scale: 1)
            dout = rng.floats(tq * ld, scale: 1)
        }

        func rows(_ qkv: UnsafePointer<Float>, _ prefix: UnsafePointer<Float>) -> AttentionRows<Float> {
            AttentionRows(q: qkv, ldq: ld, k: qkv + 80, ldk: ld, v: qkv + 160, ldv: ld,
                          kp: prefix + 80, ldkp: ld, vp: prefix + 160, ldvp: ld,
                          tq: tq, tk: tq, tp: tp, headDim: hd, scale: 0.125, causalOffset: tp)
        }
    }

    /// out, probs, then dqkv (block rows) and the prefix's dk|dv rows, by `forward`/`backward`.
    static func run(_ b: Block, prefixGradients: Bool,
                    forward: (AttentionRows<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void,
                    backward: (AttentionRows<Float>, AttentionRowGradients<Float>, UnsafePointer<Float>,
                               UnsafePointer<Float>) -> Void) -> [[Float]] {
        var out = [Float](repeating: 7, count: b.tq * b.ld), probs = [Float](repeating: 7, count: b.tq * b.cols)
        var dqkv = [Float](repeating: 0.25, count: b.tq * b.ld)
        var dprefix = [Float](repeating: 0.5, count: b.prefix.count)
        b.qkv.withUnsafeBufferPointer { qkv in
            b.prefix.withUnsafeBufferPointer { prefix in
                let rows = b.rows(qkv.baseAddress!, prefix.baseAddress!)
                forward(rows, &out, &probs)
                dqkv.withUnsafeMutableBufferPointer { d in
                    dprefix.withUnsafeMutableBufferPointer { dp in
                        let g = AttentionRowGradients(
                            dq: d.baseAddress!, lddq: b.ld, dk: d.baseAddress! + 80, lddk: b.ld,
                            dv: d.baseAddress! + 160, lddv: b.ld,
                            dkp: prefixGradients ? dp.baseAddress! + 80 : nil, lddkp: b.ld,
                            dvp: prefixGradients ? dp.baseAddress! + 160 : nil, lddvp: b.ld)
                        backward(rows, g, b.dout, probs)
                    }
                }
            }
        }
        return [out, probs, dqkv, dprefix]
    }

    /// The GEMM formulation, as attention ran before the row form: products for the prefix
    /// and the own columns, the masked softmax, then the gradient's eight products.
    static func products(_ b: Block, prefixGradients: Bool) -> [[Float]] {
        let (tq, tp, hd, cols, ld) = (b.tq, b.tp, b.hd, b.cols, b.ld)
        func mm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                _ bm: UnsafePointer<Float>, _ ldb: Int, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
            smallGemmLoop(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: bm, ldb: ldb,
                          beta: beta, c: c, ldc: ldc)
        }
        return run(b, prefixGradients: prefixGradients, forward: { r, out, probs in
            mm(false, true, tq, tp, hd, r.q, ld, r.kp!, ld, 0, probs, cols)
            mm(false, true, tq, tq, hd, r.q, ld, r.k, ld, 0, probs + tp, cols)
            for i in 0..<tq {
                softmaxRowLoop(out: probs + i * cols, inp: probs + i * cols, visible: r.visible(i), cols: cols,
                               scale: r.scale)
            }
            mm(false, false, tq, hd, tp, probs, cols, r.vp!, ld, 0, out, ld)
            mm(false, false, tq, hd, tq, probs + tp, cols, r.v, ld, 1, out, ld)
        }, backward: { r, g, dout, probs in
            var dp = [Float](repeating: 0, count: tq * cols), ds = dp
            mm(false, true, tq, tp, hd, dout, ld, r.vp!, ld, 0, &dp, cols)
            if let dvp = g.dvp { mm(true, false, tp, hd, tq, probs, cols, dout, ld, 1, dvp, ld) }
            dp.withUnsafeMutableBufferPointer {
                mm(false, true, tq, tq, hd, dout, ld, r.v, ld, 0, $0.baseAddress! + tp, cols)
            }
            mm(true, false, tq, hd, tq, probs + tp, cols, dout, ld, 1, g.dv, ld)
            dp.withUnsafeBufferPointer { dp in
                ds.withUnsafeMutableBufferPointer { d in
                    for i in 0..<tq {
                        softmaxBackwardRowLoop(dinp: d.baseAddress! + i * cols, dout: dp.baseAddress! + i * cols,
                                               out: probs + i * cols, visible: r.visible(i), scale: r.scale)
                    }
                }
            }
            mm(false, false, tq, hd, tp, ds, cols, r.kp!, ld, 1, g.dq, ld)
            if let dkp = g.dkp { mm(true, false, tp, hd, tq, ds, cols, r.q, ld, 1, dkp, ld) }
            ds.withUnsafeBufferPointer { d in
                mm(false, false, tq, hd, tq, d.baseAddress! + tp, cols, r.k, ld, 1, g.dq, ld)
                mm(true, false, tq, hd, tq, d.baseAddress! + tp, cols, r.q, ld, 1, g.dk, ld)
            }
        })
    }

    /// The row form in the test module's own build of the loops, or in a compiled copy.
    static func rowsForm(_ b: Block, prefixGradients: Bool, copy: SIMDLevel = .baseline) -> [[Float]] {
        var scratch = [Float](repeating: 0, count: b.tq * b.cols)
        return run(b, prefixGradients: prefixGradients, forward: { r, out, probs in
            if let fast = copy.loops {
                fast.attentionRowsForward(r, out: out, ldo: b.ld, probs: probs)
            } else {
                attentionRowsForwardLoop(r, out: out, ldo: b.ld, probs: probs)
            }
        }, backward: { r, g, dout, probs in
            if let fast = copy.loops {
                fast.attentionRowsBackward(r, g, dout: dout, lddo: b.ld, probs: probs, scratch: &scratch)
            } else {
                attentionRowsBackwardLoop(r, g, dout: dout, lddo: b.ld, probs: probs, scratch: &scratch)
            }
        })
    }

    static func same(_ a: [[Float]], _ b: [[Float]]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.count == y.count && zip(x, y).allSatisfy { $0 == $1 }   // == : a masked column's -0 may be +0
        }
    }

    static let shapes = [(tq: 7, tp: 5, hd: 64), (tq: 1, tp: 5, hd: 64), (tq: 6, tp: 0, hd: 64), (tq: 5, tp: 3, hd: 12),
                         (tq: 9, tp: 4, hd: 5)]

    @Test(arguments: 0..<shapes.count)
    func rowFormEqualsTheSmallProducts(shape: Int) {
        let s = Self.shapes[shape], b = Block(tq: s.tq, tp: s.tp, hd: s.hd, seed: UInt64(shape))
        for prefixGradients in [true, false] {
            let expected = Self.products(b, prefixGradients: prefixGradients)
            #expect(Self.same(Self.rowsForm(b, prefixGradients: prefixGradients), expected),
                    "\(s), prefix gradients \(prefixGradients)")
        }
    }

    @Test(arguments: SIMDLevel.compiledCopiesOnThisCPU, 0..<shapes.count)
    func rowFormCopiesAgree(copy: SIMDLevel, shape: Int) {
        let s = Self.shapes[shape], b = Block(tq: s.tq, tp: s.tp, hd: s.hd, seed: UInt64(shape) + 10)
        let baseline = Self.rowsForm(b, prefixGradients: true)
        let compiled = Self.rowsForm(b, prefixGradients: true, copy: copy)
        #expect(zip(baseline, compiled).allSatisfy { SIMDLoopsTests.same($0, $1) }, "\(s)")
    }
}
