import Tensor

// One pre-LayerNorm residual attention block of OpenAI CLIP, as flat lists of kernel calls:
//   x = x + out_proj(attention(ln_1(x)))
//   x = x + c_proj(quick_gelu(c_fc(ln_2(x))))
// Every Linear runs over all packed token rows at once; the AttentionLayout says which rows
// attend to which. The weights are frozen, so the backward computes only the input gradient.

/// The activations one block saves for its backward (or, reused, the working buffers of
/// an inference pass), over the rows of an ``AttentionLayout``.
public final class BlockActivations {
    let tokens: Int, width: Int
    let input: Tensor
    let ln1: Tensor, ln1Mean: Tensor, ln1Rstd: Tensor
    let qkv: Tensor, probs: Tensor, attn: Tensor
    let residual1: Tensor
    let ln2: Tensor, ln2Mean: Tensor, ln2Rstd: Tensor
    let fc: Tensor, gelu: Tensor
    /// Whether the last forward kept QuickGELU's slope in `gelu` instead of its output (at
    /// bfloat16 with ``ResidualBlockWeights/roundsInPlace``: the output went to `rounded`).
    var geluHoldsSlope = false
    /// Where QuickGELU's output is rounded for c_proj's bfloat16 product (shared by a tape's blocks).
    let rounded: RoundedScratch

    /// Buffers for the rows of `layout` in a block of `width` with `heads` heads.
    public init(layout: AttentionLayout, width: Int, heads: Int, rounded: RoundedScratch = RoundedScratch()) {
        let n = layout.tokens
        tokens = n; self.width = width; self.rounded = rounded
        input = Tensor(zeros: [n, width])
        ln1 = Tensor(zeros: [n, width]); ln1Mean = Tensor(zeros: [n]); ln1Rstd = Tensor(zeros: [n])
        qkv = Tensor(zeros: [n, 3 * width])
        probs = Tensor(zeros: [layout.probsCount(heads: heads)])
        attn = Tensor(zeros: [n, width])
        residual1 = Tensor(zeros: [n, width])
        ln2 = Tensor(zeros: [n, width]); ln2Mean = Tensor(zeros: [n]); ln2Rstd = Tensor(zeros: [n])
        fc = Tensor(zeros: [n, 4 * width]); gelu = Tensor(zeros: [n, 4 * width])
    }

    /// Bytes held by the buffers.
    var byteCount: Int {
        [input, ln1, ln1Mean, ln1Rstd, qkv, probs, attn, residual1, ln2, ln2Mean, ln2Rstd, fc, gelu]
            .reduce(0) { $0 + $1.byteCount }
    }
}

/// A bfloat16 buffer for an operand QuickGELU rounds for the next product, used at once:
/// one serves every block of a pass, forward and backward.
public final class RoundedScratch {
    private var matrix: BFloat16Matrix?

    public init() {}

    /// At least `count` elements (contents undefined): the largest asked for, kept.
    func buffer(count: Int) -> UnsafeMutablePointer<UInt16> {
        if let kept = matrix, kept.columns >= count { return kept.data }
        let made = BFloat16Matrix(rows: 1, columns: count)
        matrix = made
        return made.data
    }

    /// Bytes held.
    var byteCount: Int { matrix?.byteCount ?? 0 }
}

/// Gradient buffers shared by all blocks of one backward pass.
public final class BlockGradients {
    let gelu: Tensor, fc: Tensor, ln2: Tensor, attn: Tensor, qkv: Tensor, ln1: Tensor
    let scratch: Tensor
    /// Where QuickGELU's input gradient is rounded for c_fc's bfloat16 product.
    let rounded: RoundedScratch

    public init(layout: AttentionLayout, width: Int, rounded: RoundedScratch = RoundedScratch()) {
        self.rounded = rounded
        let n = layout.tokens
        gelu = Tensor(zeros: [n, 4 * width]); fc = Tensor(zeros: [n, 4 * width])
        ln2 = Tensor(zeros: [n, width]); attn = Tensor(zeros: [n, width])
        qkv = Tensor(zeros: [n, 3 * width]); ln1 = Tensor(zeros: [n, width])
        scratch = Tensor(zeros: [layout.scratchCount])
    }

    /// Bytes held by the buffers.
    var byteCount: Int {
        [gelu, fc, ln2, attn, qkv, ln1, scratch].reduce(0) { $0 + $1.byteCount }   // rounded: counted by the tape
    }
}

extension ResidualBlockWeights {
    /// Whether, at bfloat16, the kernels before a product write its operand in bfloat16
    /// themselves (the LayerNorms for in_proj and c_fc, QuickGELU for c_proj, and c_proj's
    /// input gradient, scaled by QuickGELU's slope, for c_fc's) instead of the product
    /// rounding a float32 copy: the same bits, a pass over the activations fewer each. A
    /// switch for the tests that show it.
    nonisolated(unsafe) static var roundsInPlace = true

    // MARK: - Forward

    /// Runs the block on `x` (tokens, width) in place, saving activations into `act`.
    /// `scratch` holds at least tokens x width elements. With `saveForBackward: false` (an
    /// inference pass) `act` is only working space: the block's input and the MLP's
    /// pre-activation are not kept, and QuickGELU is fused into c_fc's product where oneDNN
    /// runs it.
    public func forward(_ x: UnsafeMutablePointer<Float>, layout: AttentionLayout, heads: Int,
                        act: BlockActivations, scratch: UnsafeMutablePointer<Float>, saveForBackward: Bool = true) {
        let n = act.tokens, d = act.width, h4 = 4 * d
        if saveForBackward { act.input.data.update(from: x, count: n * d) }
        normThenLinear(ln1, x, mean: act.ln1Mean, rstd: act.ln1Rstd, normalized: act.ln1, attnIn, into: act.qkv.data,
                       n: n, outFeatures: 3 * d, activation: nil, rounded: act.rounded)
        layout.forward(out: act.attn.data, probs: act.probs.data, qkv: act.qkv.data,
                       width: d, heads: heads, precision: attnIn.matrix.bfloat16 == nil ? .float32 : .bfloat16,
                       forBackward: saveForBackward)
        linearForward(out: scratch, inp: act.attn.data, weight: attnOut.matrix,
                      bias: attnOut.bias?.data, n: n, inFeatures: d, outFeatures: d)
        residualForward(out: act.residual1.data, a: x, b: scratch, n: n * d)
        normThenLinear(ln2, act.residual1.data, mean: act.ln2Mean, rstd: act.ln2Rstd, normalized: act.ln2, fc,
                       into: saveForBackward ? act.fc.data : act.gelu.data, n: n, outFeatures: h4,
                       activation: saveForBackward ? nil : .quickGelu, rounded: act.rounded)
        act.geluHoldsSlope = saveForBackward && Self.roundsInPlace && proj.matrix.bfloat16 != nil
            && fc.matrix.bfloat16 != nil
        if act.geluHoldsSlope {
            // c_proj's operand rounded as QuickGELU writes it; its slope kept for the backward.
            let rounded = act.rounded.buffer(count: n * h4)
            quickGeluForward(rounded: rounded, slope: act.gelu.data, inp: act.fc.data, n: n * h4)
            linearForward(out: scratch, roundedInput: rounded, weight: proj.matrix, bias: proj.bias?.data, n: n,
                          inFeatures: h4, outFeatures: d)
        } else {
            if saveForBackward { quickGeluForward(out: act.gelu.data, inp: act.fc.data, n: n * h4) }
            linearForward(out: scratch, inp: act.gelu.data, weight: proj.matrix,
                          bias: proj.bias?.data, n: n, inFeatures: h4, outFeatures: d)
        }
        residualForward(out: x, a: act.residual1.data, b: scratch, n: n * d)
    }

    /// `into = norm(inp) W^T + b` (then `activation`), keeping the LayerNorm's statistics. At
    /// bfloat16 (``roundsInPlace``) the normalised rows, that product's operand and nothing
    /// else's (the backward reads the input and the statistics), are written in bfloat16 only,
    /// into `rounded`; else into `normalized` in float32, which the product rounds if it must.
    private func normThenLinear(_ norm: LayerNormWeights, _ inp: UnsafePointer<Float>, mean: Tensor, rstd: Tensor,
                                normalized: Tensor, _ linear: LinearWeights, into out: UnsafeMutablePointer<Float>,
                                n: Int, outFeatures: Int, activation: FusedActivation?, rounded: RoundedScratch) {
        let d = normalized.shape[1]
        if Self.roundsInPlace && linear.matrix.bfloat16 != nil {
            let operand = rounded.buffer(count: n * d)
            layerNormForward(rounded: operand, mean: mean.data, rstd: rstd.data, inp: inp, weight: norm.weight.data,
                             bias: norm.bias.data, n: n, c: d)
            linearForward(out: out, roundedInput: operand, weight: linear.matrix, bias: linear.bias?.data, n: n,
                          inFeatures: d, outFeatures: outFeatures, activation: activation)
        } else {
            layerNormForward(out: normalized.data, mean: mean.data, rstd: rstd.data, inp: inp,
                             weight: norm.weight.data, bias: norm.bias.data, n: n, c: d)
            linearForward(out: out, inp: normalized.data, weight: linear.matrix, bias: linear.bias?.data, n: n,
                          inFeatures: d, outFeatures: outFeatures, activation: activation)
        }
    }

    // MARK: - Backward (input gradient only)

    /// Replaces `dx` (tokens, width), the gradient at the block's output, by the gradient
    /// at its input, using the activations `act` saved by ``forward``.
    public func backward(_ dx: UnsafeMutablePointer<Float>, layout: AttentionLayout, heads: Int,
                         act: BlockActivations, grads g: BlockGradients) {
        let n = act.tokens, d = act.width, h4 = 4 * d
        // MLP branch: dx reaches the residual unchanged and goes back through c_proj,
        // quick_gelu, c_fc and ln_2, accumulating into dx = d(residual1). The gradient
        // buffers are overwritten (accumulate: false), except dqkv, which attention
        // accumulates into (a shared prefix collects every suffix's contribution).
        if act.geluHoldsSlope {   // c_fc's operand: c_proj's input gradient times the slope, in bfloat16
            let rounded = g.rounded.buffer(count: n * h4)
            linearInputBackward(roundedDinp: rounded, dout: dx, weight: proj.matrix, scaledBy: act.gelu.data, n: n,
                                inFeatures: h4, outFeatures: d)
            linearInputBackward(dinp: g.ln2.data, roundedOutputGradient: rounded, weight: fc.matrix, n: n,
                                inFeatures: d, outFeatures: h4)
        } else {
            linearInputBackward(dinp: g.gelu.data, dout: dx, weight: proj.matrix, n: n, inFeatures: h4,
                                outFeatures: d, accumulate: false)
            quickGeluBackward(dinp: g.fc.data, dout: g.gelu.data, inp: act.fc.data, out: act.gelu.data, n: n * h4,
                              accumulate: false)
            linearInputBackward(dinp: g.ln2.data, dout: g.fc.data, weight: fc.matrix, n: n, inFeatures: d,
                                outFeatures: h4, accumulate: false)
        }
        layerNormBackward(dinp: dx, dweight: nil, dbias: nil, dout: g.ln2.data,
                          inp: act.residual1.data, weight: ln2.weight.data,
                          mean: act.ln2Mean.data, rstd: act.ln2Rstd.data, n: n, c: d)
        // Attention branch: out_proj, attention, in_proj, ln_1, accumulating into dx.
        linearInputBackward(dinp: g.attn.data, dout: dx, weight: attnOut.matrix, n: n, inFeatures: d,
                            outFeatures: d, accumulate: false)
        g.qkv.zero()
        layout.backward(dqkv: g.qkv.data, scratch: g.scratch.data, dout: g.attn.data,
                        probs: act.probs.data, qkv: act.qkv.data, width: d, heads: heads)
        linearInputBackward(dinp: g.ln1.data, dout: g.qkv.data, weight: attnIn.matrix, n: n, inFeatures: d,
                            outFeatures: 3 * d, accumulate: false)
        layerNormBackward(dinp: dx, dweight: nil, dbias: nil, dout: g.ln1.data,
                          inp: act.input.data, weight: ln1.weight.data,
                          mean: act.ln1Mean.data, rstd: act.ln1Rstd.data, n: n, c: d)
    }
}
