import Foundation
import Testing
import TestSupport
@testable import Tensor

/// Forward kernels against hand-computed values, and the Float path against Double.
@Suite struct KernelForwardTests {
    @Test func layerNormByHand() {
        var mean = [Double](repeating: 0, count: 1), rstd = mean
        let y = output(4) {
            layerNormForward(out: $0, mean: &mean, rstd: &rstd, inp: [1, 2, 3, 4],
                             weight: [1, 2, 1, 1], bias: [0, 0, 0, 0.5], n: 1, c: 4)
        }
        let s = 1 / (1.25 + 1e-5).squareRoot()   // biased variance of 1...4 is 1.25
        #expect(mean[0] == 2.5)
        #expect(normwiseError(y, [-1.5 * s, -1.0 * s, 0.5 * s, 1.5 * s + 0.5]) < 1e-15)
    }

    @Test func causalSoftmaxByHand() {
        // Row 0 sees one column, row 1 two, row 2 all three; masked entries are exactly 0.
        let y = output(9) {
            softmaxForward(out: $0, inp: [5, 9, 9, 0, log(3.0), 7, 0, 0, 0], rows: 3, cols: 3,
                           mask: .causal(offset: 0))
        }
        #expect(normwiseError(y, [1, 0, 0, 0.25, 0.75, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3]) < 1e-15)
    }

    @Test func crossEntropyByHand() {
        var probs = [Double](repeating: 0, count: 3)
        let loss = output(1) {
            crossEntropyForward(losses: $0, probs: &probs, logits: [1, 2, 3], labels: [0], n: 1, c: 3)
        }
        let lse = log(exp(1.0) + exp(2.0) + exp(3.0))
        #expect(abs(loss[0] - (lse - 1)) < 1e-15)
        #expect(abs(probs.reduce(0, +) - 1) < 1e-15)
        // Extreme logits stay finite (log-sum-exp, not log of a rounded probability).
        let big = output(1) {
            crossEntropyForward(losses: $0, probs: &probs, logits: [1000, 0, -1000], labels: [2], n: 1, c: 3)
        }
        #expect(abs(big[0] - 2000) < 1e-9)
    }

    @Test func quickGeluAndReluByHand() {
        let g = output(3) { quickGeluForward(out: $0, inp: [0, 1, -2], n: 3) }
        #expect(normwiseError(g, [0, 1 / (1 + exp(-1.702)), -2 / (1 + exp(3.404))]) < 1e-15)
        let r = output(3) { reluForward(out: $0, inp: [-1, 0, 2], n: 3) }
        #expect(r == [0, 0, 2])
    }

    @Test func l2NormalizeByHand() {
        var norm = [Double](repeating: 0, count: 1)
        let y = output(2) { l2NormalizeForward(out: $0, norm: &norm, inp: [3, 4], n: 1, c: 2) }
        #expect(norm[0] == 5 && normwiseError(y, [0.6, 0.8]) < 1e-15)
    }

    @Test func attentionAgainstDirectFormula() {
        // One head, non-causal: out[i] = sum_j softmax_j(q_i . k_j * s) v_j, computed directly.
        var rng = TestRNG(seed: 3)
        let t = 3, hd = 2, s = 0.9
        let q = rng.doubles(t * hd), k = rng.doubles(t * hd), v = rng.doubles(t * hd)
        var probs = [Double](repeating: 0, count: t * t)
        let out = output(t * hd) {
            attentionHeadForward(out: $0, ldo: hd, probs: &probs, q: q, ldq: hd, k: k, ldk: hd,
                                 v: v, ldv: hd, tq: t, tk: t, headDim: hd, scale: s, mask: .none)
        }
        var expected = [Double](repeating: 0, count: t * hd)
        for i in 0..<t {
            let scores = (0..<t).map { j in s * (0..<hd).reduce(0.0) { $0 + q[i * hd + $1] * k[j * hd + $1] } }
            let e = scores.map { exp($0) }, z = e.reduce(0, +)
            for j in 0..<t { for d in 0..<hd { expected[i * hd + d] += e[j] / z * v[j * hd + d] } }
        }
        #expect(normwiseError(out, expected) < 1e-14)
    }

    @Test func floatKernelsAgreeWithDouble() {
        // The Float entry points (pre-specialised for other modules) compute the same thing.
        var rng = TestRNG(seed: 21)
        let n = 5, c = 64
        let x = rng.doubles(n * c, scale: 3), w = rng.doubles(c), b = rng.doubles(c)
        var md = [Double](repeating: 0, count: n), rd = md
        let yd = output(n * c) { layerNormForward(out: $0, mean: &md, rstd: &rd, inp: x, weight: w, bias: b,
                                                  n: n, c: c) }
        let xf = x.map(Float.init), wf = w.map(Float.init), bf = b.map(Float.init)
        var mf = [Float](repeating: 0, count: n), rf = mf, yf = [Float](repeating: 0, count: n * c)
        layerNormForward(out: &yf, mean: &mf, rstd: &rf, inp: xf, weight: wf, bias: bf, n: n, c: c)
        #expect(normwiseError(yf.map(Double.init), yd) < 1e-6)
        var gf = [Float](repeating: 0, count: n * c)
        quickGeluForward(out: &gf, inp: xf, n: n * c)
        let gd = output(n * c) { quickGeluForward(out: $0, inp: x, n: n * c) }
        #expect(normwiseError(gf.map(Double.init), gd) < 1e-6)
    }

    @Test func axpyAccumulatesExactly() {
        var y: [Float] = [1, 2, 3, 0.1]
        let x: [Float] = [0.5, -2, 1e-8, 0.2]
        axpy(4, x: x, y: &y)
        #expect(y == [1.5, 0, 3 + 1e-8, 0.1 + 0.2])  // alpha 1: exactly y + x, element by element
        axpy(2, alpha: -2, x: x, y: &y)
        #expect(y[0] == 0.5 && y[1] == 4 && y[2] == 3 + 1e-8)  // only n elements change
    }

    @Test func argmaxIsTheFirstLargest() {
        let x: [Float] = [1, 3, -1, 3, 2]
        #expect(argmax(x, 5) == 1 && argmax(x, 1) == 0 && argmax(x, 0) == 0)
        let withNaN: [Float] = [.nan, 1, 5, .nan]
        #expect(argmax(withNaN, 4) == 0 && argmax(Array(withNaN.dropFirst()), 3) == 1)
        let ids: [Int32] = [49406, 320, 1125, 49407, 0, 0]
        #expect(argmax(ids, ids.count) == 3)
    }
}
