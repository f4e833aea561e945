import Testing
import TestSupport
@testable import Tensor

/// Every backward kernel against central finite differences in Double.
@Suite struct KernelGradientTests {
    static let tolerance = 1e-6

    @Test func linear() {
        let n = 3, i = 5, o = 4
        var rng = TestRNG(seed: 1)
        let errs = gradientCheck([rng.doubles(n * i), rng.doubles(o * i), rng.doubles(o)]) { x in
            output(n * o) { linearForward(out: $0, inp: x[0], weight: x[1], bias: x[2], n: n, inFeatures: i,
                                          outFeatures: o) }
        } backward: { x, dout in
            var g = [[Double](repeating: 0, count: n * i), [Double](repeating: 0, count: o * i),
                     [Double](repeating: 0, count: o)]
            withPointers(&g) { p in
                linearBackward(dinp: p[0], dweight: p[1], dbias: p[2], dout: dout, inp: x[0],
                               weight: x[1], n: n, inFeatures: i, outFeatures: o)
            }
            return g
        }
        #expect(errs.count == 3 && errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    @Test func linearWithoutBiasAndFrozenWeight() {
        let n = 2, i = 3, o = 6
        var rng = TestRNG(seed: 2)
        let w = rng.doubles(o * i)
        let errs = gradientCheck([rng.doubles(n * i)]) { x in
            output(n * o) { linearForward(out: $0, inp: x[0], weight: w, bias: nil, n: n, inFeatures: i,
                                          outFeatures: o) }
        } backward: { _, dout in
            [output(n * i) { linearBackward(dinp: $0, dweight: nil, dbias: nil, dout: dout, inp: nil, weight: w, n: n,
                                            inFeatures: i, outFeatures: o) }]
        }
        #expect(errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    @Test func projection() {
        let n = 3, i = 4, o = 5
        var rng = TestRNG(seed: 3)
        let proj = rng.doubles(i * o)
        let errs = gradientCheck([rng.doubles(n * i)]) { x in
            output(n * o) { projectionForward(out: $0, inp: x[0], proj: proj, n: n, inFeatures: i, outFeatures: o) }
        } backward: { _, dout in
            [output(n * i) { projectionBackward(dinp: $0, dout: dout, proj: proj, n: n, inFeatures: i,
                                                outFeatures: o) }]
        }
        #expect(errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    @Test func layerNorm() {
        let n = 3, c = 8
        var rng = TestRNG(seed: 4)
        let x0 = rng.doubles(n * c, scale: 2), w0 = rng.doubles(c).map { 1 + 0.3 * $0 }, b0 = rng.doubles(c)
        func fwd(_ x: [[Double]]) -> [Double] {
            var mean = [Double](repeating: 0, count: n), rstd = mean
            return output(n * c) { layerNormForward(out: $0, mean: &mean, rstd: &rstd, inp: x[0], weight: x[1],
                                                    bias: x[2], n: n, c: c) }
        }
        let errs = gradientCheck([x0, w0, b0], forward: fwd) { x, dout in
            var mean = [Double](repeating: 0, count: n), rstd = mean
            _ = output(n * c) { layerNormForward(out: $0, mean: &mean, rstd: &rstd, inp: x[0], weight: x[1], bias: x[2],
                                                 n: n, c: c) }
            var g = [[Double](repeating: 0, count: n * c), [Double](repeating: 0, count: c),
                     [Double](repeating: 0, count: c)]
            withPointers(&g) { p in
                layerNormBackward(dinp: p[0], dweight: p[1], dbias: p[2], dout: dout, inp: x[0], weight: x[1],
                                  mean: mean, rstd: rstd, n: n, c: c)
            }
            return g
        }
        #expect(errs.count == 3 && errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    @Test(arguments: [SoftmaxMask.none, .causal(offset: 0), .causal(offset: 2)])
    func softmax(mask: SoftmaxMask) {
        let rows = 4, cols = 6, scale = 0.7
        var rng = TestRNG(seed: 5)
        func fwd(_ x: [[Double]]) -> [Double] {
            output(rows * cols) { softmaxForward(out: $0, inp: x[0], rows: rows, cols: cols, scale: scale, mask: mask) }
        }
        let errs = gradientCheck([rng.doubles(rows * cols, scale: 3)], forward: fwd) { x, dout in
            let y = fwd(x)
            return [output(rows * cols) { softmaxBackward(dinp: $0, dout: dout, out: y, rows: rows, cols: cols,
                                                          scale: scale, mask: mask) }]
        }
        #expect(errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    /// Both backwards: from the input alone, and from the forward's output (s = out / x).
    @Test(arguments: [false, true])
    func quickGelu(fromOutput: Bool) {
        let n = 20
        var rng = TestRNG(seed: 6)
        var inputs = rng.doubles(n, scale: 4)
        inputs[3] = 0   // s = 1/2 by definition there
        let errs = gradientCheck([inputs]) { x in
            output(n) { quickGeluForward(out: $0, inp: x[0], n: n) }
        } backward: { x, dout in
            let y = output(n) { quickGeluForward(out: $0, inp: x[0], n: n) }
            return [output(n) { quickGeluBackward(dinp: $0, dout: dout, inp: x[0], out: fromOutput ? y : nil, n: n) }]
        }
        #expect(errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    /// The slope the bfloat16 forward keeps for the backward (`dout * slope`).
    @Test func quickGeluSlope() {
        let n = 20
        var rng = TestRNG(seed: 16)
        var inputs = rng.doubles(n, scale: 4)
        inputs[5] = 0
        let errs = gradientCheck([inputs]) { x in
            output(n) { quickGeluForward(out: $0, inp: x[0], n: n) }
        } backward: { x, dout in
            var y = [Double](repeating: 0, count: n), slope = y
            quickGeluForwardLoop(out: &y, slope: &slope, inp: x[0], count: n)
            return [zip(dout, slope).map { $0 * $1 }]
        }
        #expect(errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    @Test func relu() {
        // Inputs kept away from the kink at 0, where finite differences are meaningless.
        let n = 20
        var rng = TestRNG(seed: 7)
        let x0 = rng.doubles(n).map { $0 + ($0 >= 0 ? 0.1 : -0.1) }
        let errs = gradientCheck([x0]) { x in
            output(n) { reluForward(out: $0, inp: x[0], n: n) }
        } backward: { x, dout in
            [output(n) { reluBackward(dinp: $0, dout: dout, inp: x[0], n: n) }]
        }
        #expect(errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    @Test func residual() {
        let n = 10
        var rng = TestRNG(seed: 8)
        let errs = gradientCheck([rng.doubles(n), rng.doubles(n)]) { x in
            output(n) { residualForward(out: $0, a: x[0], b: x[1], n: n) }
        } backward: { _, dout in
            var g = [[Double](repeating: 0, count: n), [Double](repeating: 0, count: n)]
            withPointers(&g) { p in residualBackward(da: p[0], db: p[1], dout: dout, n: n) }
            return g
        }
        #expect(errs.count == 2 && errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    @Test func l2Normalize() {
        let n = 3, c = 7
        var rng = TestRNG(seed: 9)
        func fwd(_ x: [[Double]]) -> ([Double], [Double]) {
            var norm = [Double](repeating: 0, count: n)
            let y = output(n * c) { l2NormalizeForward(out: $0, norm: &norm, inp: x[0], n: n, c: c) }
            return (y, norm)
        }
        let errs = gradientCheck([rng.doubles(n * c)], forward: { fwd($0).0 }) { x, dout in
            let (y, norm) = fwd(x)
            return [output(n * c) { l2NormalizeBackward(dinp: $0, dout: dout, out: y, norm: norm, n: n, c: c) }]
        }
        #expect(errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    @Test func crossEntropyMeanLoss() {
        let n = 4, c = 5
        var rng = TestRNG(seed: 10)
        let labels: [Int32] = [0, 3, 4, 1]
        func fwd(_ x: [[Double]]) -> ([Double], [Double]) {
            var probs = [Double](repeating: 0, count: n * c)
            let losses = output(n) { crossEntropyForward(losses: $0, probs: &probs, logits: x[0], labels: labels,
                                                         n: n, c: c) }
            return (losses, probs)
        }
        // The scalar is the batch mean; the harness's random weights R multiply each row's loss.
        let errs = gradientCheck([rng.doubles(n * c, scale: 5)], forward: { fwd($0).0 }) { x, dloss in
            let probs = fwd(x).1
            return [output(n * c) { crossEntropyBackward(dlogits: $0, dloss: dloss, probs: probs, labels: labels,
                                                         n: n, c: c) }]
        }
        #expect(errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    @Test(arguments: [SoftmaxMask.none, .causal(offset: 3)])
    func attentionHead(mask: SoftmaxMask) {
        // Queries are the last tq positions of a tk-long sequence (offset = tk - tq).
        let tq = 3, tk = 6, hd = 4, scale = 0.5
        var rng = TestRNG(seed: 11)
        func fwd(_ x: [[Double]]) -> ([Double], [Double]) {
            var probs = [Double](repeating: 0, count: tq * tk)
            let out = output(tq * hd) {
                attentionHeadForward(out: $0, ldo: hd, probs: &probs, q: x[0], ldq: hd, k: x[1], ldk: hd,
                                     v: x[2], ldv: hd,
                                     tq: tq, tk: tk, headDim: hd, scale: scale, mask: mask)
            }
            return (out, probs)
        }
        let errs = gradientCheck([rng.doubles(tq * hd), rng.doubles(tk * hd), rng.doubles(tk * hd)],
                                 forward: { fwd($0).0 }) { x, dout in
            let probs = fwd(x).1
            var g = [[Double](repeating: 0, count: tq * hd), [Double](repeating: 0, count: tk * hd),
                     [Double](repeating: 0, count: tk * hd), [Double](repeating: 0, count: 2 * tq * tk)]
            withPointers(&g) { p in
                attentionHeadBackward(dq: p[0], lddq: hd, dk: p[1], lddk: hd, dv: p[2], lddv: hd, scratch: p[3],
                                      dout: dout, lddo: hd, probs: probs, q: x[0], ldq: hd, k: x[1], ldk: hd,
                                      v: x[2], ldv: hd, tq: tq, tk: tk, headDim: hd, scale: scale, mask: mask)
            }
            return Array(g.prefix(3))
        }
        #expect(errs.count == 3 && errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    @Test(arguments: [5, 12])   // 12: the row form's eight-wide loops and their tails
    func attentionHeadWithSharedPrefix(hd: Int) {
        // Suffix queries (tq) attend to a prefix block (tp) and causally to their own keys.
        let tp = 3, tq = 4, scale = 0.6
        let mask = SoftmaxMask.causal(offset: tp)
        var rng = TestRNG(seed: 13)
        func fwd(_ x: [[Double]]) -> ([Double], [Double]) {
            var probs = [Double](repeating: 0, count: tq * (tp + tq))
            let out = x[3].withUnsafeBufferPointer { kp in
                x[4].withUnsafeBufferPointer { vp in
                    output(tq * hd) {
                        attentionHeadForward(out: $0, ldo: hd, probs: &probs, q: x[0], ldq: hd, k: x[1], ldk: hd,
                                             v: x[2], ldv: hd,
                                             prefix: KeyValueBlock(k: kp.baseAddress!, ldk: hd, v: vp.baseAddress!,
                                                                   ldv: hd, rows: tp),
                                             tq: tq, tk: tq, headDim: hd, scale: scale, mask: mask)
                    }
                }
            }
            return (out, probs)
        }
        let inputs = [rng.doubles(tq * hd), rng.doubles(tq * hd), rng.doubles(tq * hd), rng.doubles(tp * hd),
                      rng.doubles(tp * hd)]
        let errs = gradientCheck(inputs, forward: { fwd($0).0 }) { x, dout in
            let probs = fwd(x).1
            var g = [[Double](repeating: 0, count: tq * hd), [Double](repeating: 0, count: tq * hd),
                     [Double](repeating: 0, count: tq * hd), [Double](repeating: 0, count: tp * hd),
                     [Double](repeating: 0, count: tp * hd), [Double](repeating: 0, count: 2 * tq * (tp + tq))]
            x[3].withUnsafeBufferPointer { kp in
                x[4].withUnsafeBufferPointer { vp in
                    withPointers(&g) { p in
                        attentionHeadBackward(dq: p[0], lddq: hd, dk: p[1], lddk: hd, dv: p[2], lddv: hd, scratch: p[5],
                                              dout: dout, lddo: hd, probs: probs, q: x[0], ldq: hd, k: x[1], ldk: hd,
                                              v: x[2], ldv: hd,
                                              prefix: KeyValueBlock(k: kp.baseAddress!, ldk: hd,
                                                                    v: vp.baseAddress!, ldv: hd,
                                                                    rows: tp, dk: p[3], lddk: hd, dv: p[4], lddv: hd),
                                              tq: tq, tk: tq, headDim: hd, scale: scale, mask: mask)
                    }
                }
            }
            return Array(g.prefix(5))
        }
        #expect(errs.count == 5 && errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }

    @Test func sharedPrefixEqualsOneConcatenatedSequence() {
        // Attending to [prefix; own] through the prefix block equals plain causal attention
        // over the concatenated sequence, read at the last tq rows.
        let tp = 2, tq = 3, hd = 4, t = tp + tq, scale = 0.5
        var rng = TestRNG(seed: 14)
        let q = rng.doubles(t * hd), k = rng.doubles(t * hd), v = rng.doubles(t * hd)
        var probsFull = [Double](repeating: 0, count: t * t)
        let full = output(t * hd) {
            attentionHeadForward(out: $0, ldo: hd, probs: &probsFull, q: q, ldq: hd, k: k, ldk: hd, v: v, ldv: hd,
                                 tq: t, tk: t, headDim: hd, scale: scale, mask: .causal(offset: 0))
        }
        var probs = [Double](repeating: 0, count: tq * t)
        let split = k.withUnsafeBufferPointer { kb in
            v.withUnsafeBufferPointer { vb in
                output(tq * hd) {
                    attentionHeadForward(out: $0, ldo: hd, probs: &probs, q: Array(q[(tp * hd)...]), ldq: hd,
                                         k: Array(k[(tp * hd)...]), ldk: hd, v: Array(v[(tp * hd)...]), ldv: hd,
                                         prefix: KeyValueBlock(k: kb.baseAddress!, ldk: hd, v: vb.baseAddress!,
                                                               ldv: hd, rows: tp),
                                         tq: tq, tk: tq, headDim: hd, scale: scale, mask: .causal(offset: tp))
                }
            }
        }
        #expect(normwiseError(split, Array(full[(tp * hd)...])) < 1e-15)
    }

    @Test(arguments: [false, true])
    func multiHeadAttention(causal: Bool) {
        let b = 2, t = 4, d = 6, h = 3
        var rng = TestRNG(seed: 12)
        func fwd(_ x: [[Double]]) -> ([Double], [Double]) {
            var probs = [Double](repeating: 0, count: b * h * t * t)
            let out = output(b * t * d) {
                multiHeadAttentionForward(out: $0, probs: &probs, qkv: x[0], batch: b, t: t, width: d, heads: h,
                                          causal: causal)
            }
            return (out, probs)
        }
        let errs = gradientCheck([rng.doubles(b * t * 3 * d)], forward: { fwd($0).0 }) { x, dout in
            let probs = fwd(x).1
            var scratch = [Double](repeating: 0, count: 2 * t * t)
            return [output(b * t * 3 * d) {
                multiHeadAttentionBackward(dqkv: $0, scratch: &scratch, dout: dout, probs: probs, qkv: x[0],
                                           batch: b, t: t, width: d, heads: h, causal: causal)
            }]
        }
        #expect(errs.allSatisfy { $0 < Self.tolerance }, "\(errs)")
    }
}
