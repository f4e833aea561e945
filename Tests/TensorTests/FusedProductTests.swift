import Foundation
import Testing
import TestSupport
@testable import Tensor

/// What oneDNN computes in one pass where the kernels used to take two: attention's products
/// batched over every sequence and head, and QuickGELU fused into a Linear's product. Each
/// is checked against the float64 kernels (float32: to float32 rounding; bfloat16: to its
/// rounding, about 1e-3 per product), at shapes large enough to take the fused paths.
@Suite struct FusedProductTests {
    // MARK: - Batched attention

    /// 2 sequences of 64 tokens, 4 heads of 64: 2M multiply-adds per product, above
    /// ``GEMMRouting/oneDNNMinimumWork``.
    static let batch = 2, t = 64, heads = 4, width = 256

    static func attention(precision: MatmulPrecision, causal: Bool, keepProbabilities: Bool = true)
        -> (out: [Float], probs: [Float], refOut: [Double], refProbs: [Double]) {
        var rng = TestRNG(seed: causal ? 21 : 20)
        let qkv = rng.floats(batch * t * 3 * width, scale: 2)
        var out = [Float](repeating: .nan, count: batch * t * width)
        var probs = [Float](repeating: .nan, count: batch * heads * t * t)
        multiHeadAttentionForward(out: &out, probs: &probs, qkv: qkv, batch: batch, t: t, width: width,
                                  heads: heads, causal: causal, precision: precision,
                                  keepProbabilities: keepProbabilities)
        var refOut = [Double](repeating: 0, count: out.count), refProbs = [Double](repeating: 0, count: probs.count)
        multiHeadAttentionForward(out: &refOut, probs: &refProbs, qkv: qkv.map(Double.init), batch: batch, t: t,
                                  width: width, heads: heads, causal: causal)
        return (out, probs, refOut, refProbs)
    }

    @Test(.enabled(if: GEMMRouting.float32 == .oneDNN, "float32 products go to OpenBLAS here"),
          arguments: [false, true])
    func batchedFloat32AttentionEqualsTheReference(causal: Bool) {
        #expect(usesBatchedAttention(batch: Self.batch, heads: Self.heads, t: Self.t, headDim: Self.width / Self.heads,
                                     precision: .float32))
        let r = Self.attention(precision: .float32, causal: causal)
        #expect(normwiseError(r.out, r.refOut) < 1e-5, "output")
        #expect(normwiseError(r.probs, r.refProbs) < 1e-5, "probabilities")
        if causal { #expect(r.probs[1] == 0 && r.probs[Self.t * Self.t - 2] != 0, "masked entries are zero") }
    }

    @Test(.enabled(if: OneDNN.hasNativeBFloat16), arguments: [false, true])
    func batchedBFloat16AttentionIsWithinItsRounding(causal: Bool) {
        #expect(usesBatchedAttention(batch: Self.batch, heads: Self.heads, t: Self.t, headDim: Self.width / Self.heads,
                                     precision: .bfloat16))
        let r = Self.attention(precision: .bfloat16, causal: causal)
        let eo = normwiseError(r.out, r.refOut), ep = normwiseError(r.probs, r.refProbs)
        // Above 1e-4: q, k, v and the probabilities were rounded; below 1e-2: nothing else.
        #expect(eo > 1e-4 && eo < 1e-2, "output: \(eo)")
        #expect(ep > 1e-4 && ep < 1e-2, "probabilities: \(ep)")
        if causal { #expect(r.probs[1] == 0, "masked entries are zero") }
        // An inference pass (no probabilities kept: unmasked, the softmax writes bfloat16 directly).
        let inference = Self.attention(precision: .bfloat16, causal: causal, keepProbabilities: false)
        let ei = normwiseError(inference.out, r.refOut)
        #expect(ei > 1e-4 && ei < 1e-2, "output of the inference pass: \(ei)")
    }

    @Test func smallLayersKeepThePerHeadProducts() {
        #expect(!usesBatchedAttention(batch: 1, heads: 2, t: 8, headDim: 4, precision: .bfloat16))
    }

    // MARK: - QuickGELU fused into a Linear

    static func geluReference(_ x: [Float], _ w: [Float], _ b: [Float], n: Int, inF: Int, outF: Int) -> [Double] {
        var y = [Double](repeating: 0, count: n * outF)
        for r in 0..<n {
            for o in 0..<outF {
                var s = Double(b[o])
                for i in 0..<inF { s += Double(x[r * inF + i]) * Double(w[o * inF + i]) }
                y[r * outF + o] = s / (1 + exp(-1.702 * s))
            }
        }
        return y
    }

    /// 64 x 1024 x 256 goes to oneDNN (fused); 3 x 5 x 4 stays with OpenBLAS plus a QuickGELU pass.
    @Test(arguments: [[64, 256, 1024], [3, 4, 5]])
    func fusedQuickGeluLinearEqualsTheReference(shape: [Int]) {
        let n = shape[0], inF = shape[1], outF = shape[2]
        var rng = TestRNG(seed: UInt64(n))
        let x = rng.floats(n * inF), w = rng.floats(outF * inF, scale: 0.2), b = rng.floats(outF)
        let weight = FrozenMatrix(Tensor(shape: [outF, inF], values: w))
        var y = [Float](repeating: .nan, count: n * outF)
        linearForward(out: &y, inp: x, weight: weight, bias: b, n: n, inFeatures: inF, outFeatures: outF,
                      activation: .quickGelu)
        #expect(normwiseError(y, Self.geluReference(x, w, b, n: n, inF: inF, outF: outF)) < 1e-5)
    }

    /// The bias alone, added in the product's epilogue (large) or broadcast first (small), at
    /// float32 and at bfloat16 (against the float64 product of the rounded operands).
    @Test(arguments: [[64, 256, 1024], [3, 4, 5]], MatmulPrecision.allCases)
    func fusedBiasLinearEqualsTheReference(shape: [Int], precision: MatmulPrecision) {
        guard precision == .float32 || OneDNN.hasNativeBFloat16 else { return }
        let n = shape[0], inF = shape[1], outF = shape[2]
        var rng = TestRNG(seed: UInt64(n) + 9)
        let x = rng.floats(n * inF), w = rng.floats(outF * inF, scale: 0.2), b = rng.floats(outF, scale: 4)
        let weight = FrozenMatrix(Tensor(shape: [outF, inF], values: w), precision: precision)
        var y = [Float](repeating: .nan, count: n * outF)
        linearForward(out: &y, inp: x, weight: weight, bias: b, n: n, inFeatures: inF, outFeatures: outF)
        let round: (Float) -> Float = precision == .bfloat16 ? { float(fromBFloat16: bfloat16Bits($0)) } : { $0 }
        var reference = [Double](repeating: 0, count: n * outF)
        for r in 0..<n {
            for o in 0..<outF {
                var s = Double(b[o])
                for i in 0..<inF { s += Double(round(x[r * inF + i])) * Double(round(w[o * inF + i])) }
                reference[r * outF + o] = s
            }
        }
        #expect(normwiseError(y, reference) < 1e-5)
    }

    @Test(.enabled(if: OneDNN.hasNativeBFloat16))
    func fusedQuickGeluEqualsTheSeparatePassAtBFloat16() {
        let n = 64, inF = 256, outF = 1024
        var rng = TestRNG(seed: 5)
        let x = rng.floats(n * inF), w = rng.floats(outF * inF, scale: 0.2), b = rng.floats(outF)
        let weight = FrozenMatrix(Tensor(shape: [outF, inF], values: w), precision: .bfloat16)
        var fused = [Float](repeating: .nan, count: n * outF), separate = fused
        linearForward(out: &fused, inp: x, weight: weight, bias: b, n: n, inFeatures: inF, outFeatures: outF,
                      activation: .quickGelu)
        linearForward(out: &separate, inp: x, weight: weight, bias: b, n: n, inFeatures: inF, outFeatures: outF)
        quickGeluForward(out: &separate, inp: separate, n: n * outF)
        // The same bfloat16 product; only the activation's exp differs (oneDNN's and ours).
        #expect(normwiseError(fused, separate.map(Double.init)) < 1e-5)
        let e = normwiseError(fused, Self.geluReference(x, w, b, n: n, inF: inF, outF: outF))
        #expect(e > 1e-4 && e < 1e-2, "against float64: \(e)")
    }

    // MARK: - QuickGELU's slope in c_proj's input gradient

    /// The bfloat16 MLP's QuickGELU keeps its slope, and c_proj's input gradient times it is
    /// rounded in the product's pass: the bits of rounding QuickGELU's output, and of running
    /// the product into float32, QuickGELU's backward from its output, then rounding. Also
    /// where oneDNN does not run (a worker thread): the float32 product scaled and rounded.
    @Test(.enabled(if: OneDNN.hasNativeBFloat16))
    func quickGeluSlopeScalesTheRoundedInputGradient() {
        let n = 67, hidden = 256, width = 96   // n x hidden is over one thread's share
        var rng = TestRNG(seed: 41)
        var x = rng.floats(n * hidden, scale: 8).map { $0 - 4 }
        x[17] = 0
        let dout = rng.floats(n * width).map { $0 - 0.5 }
        let weight = FrozenMatrix(Tensor(shape: [width, hidden], values: rng.floats(width * hidden, scale: 0.2)),
                                  precision: .bfloat16)
        var rounded = [UInt16](repeating: 0, count: n * hidden), slope = [Float](repeating: .nan, count: n * hidden)
        quickGeluForward(rounded: &rounded, slope: &slope, inp: x, n: n * hidden)
        var y = [Float](repeating: 0, count: n * hidden)
        quickGeluForward(out: &y, inp: x, n: n * hidden)
        #expect(rounded == y.map(bfloat16Bits))

        var fused = [UInt16](repeating: 0, count: n * hidden), dy = y, dx = y
        linearInputBackward(roundedDinp: &fused, dout: dout, weight: weight, scaledBy: slope, n: n,
                            inFeatures: hidden, outFeatures: width)
        linearInputBackward(dinp: &dy, dout: dout, weight: weight, n: n, inFeatures: hidden, outFeatures: width,
                            accumulate: false)
        quickGeluBackward(dinp: &dx, dout: dy, inp: x, out: y, n: n * hidden, accumulate: false)
        #expect(fused == dx.map(bfloat16Bits))
        #expect(Set(fused).count > n * hidden / 4)   // nonzero, varied

        var offOneDNN = fused, float32 = dy
        ParallelWorker.run {
            linearInputBackward(roundedDinp: &offOneDNN, dout: dout, weight: weight, scaledBy: slope, n: n,
                                inFeatures: hidden, outFeatures: width)
            linearInputBackward(dinp: &float32, dout: dout, weight: weight, n: n, inFeatures: hidden,
                                outFeatures: width, accumulate: false)
        }
        #expect(offOneDNN == zip(float32, slope).map { bfloat16Bits($0 * $1) })
    }
}
