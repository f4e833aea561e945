import SIMDLoops

// The loops of SIMDLoops compiled for one target, for Tensor to call where the CPU runs it
// (``SIMDLevel``). This one file is compiled twice (Package.swift): as SIMDLoopsAVX2 for AVX2
// (`-target-cpu haswell`) and, through a link, as SIMDLoopsAVX512 for AVX-512 with 512-bit
// vectors. Never inlined into a caller, so that no instruction of the target leaks into code
// built for the baseline. Every copy gives the baseline's bits: no fused multiply-add is
// formed, and each lane does the same operations in the same order.

/// The Float loops compiled for this module's target.
public enum CompiledLoops: FloatLoops {
    @inline(never)
    public static func quickGeluForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        quickGeluForwardLoop(out: out, inp: inp, count: count)
    }

    @inline(never)
    public static func quickGeluForward(out: UnsafeMutablePointer<Float>, slope: UnsafeMutablePointer<Float>,
                                        inp: UnsafePointer<Float>, count: Int) {
        quickGeluForwardLoop(out: out, slope: slope, inp: inp, count: count)
    }

    @inline(never)
    public static func quickGeluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                         inp: UnsafePointer<Float>, count: Int, accumulate: Bool) {
        quickGeluBackwardLoop(dinp: dinp, dout: dout, inp: inp, count: count, accumulate: accumulate)
    }

    @inline(never)
    public static func quickGeluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                         inp: UnsafePointer<Float>, out: UnsafePointer<Float>, count: Int,
                                         accumulate: Bool) {
        quickGeluBackwardLoop(dinp: dinp, dout: dout, inp: inp, out: out, count: count, accumulate: accumulate)
    }

    @inline(never)
    public static func softmaxRow(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                  visible: Int, cols: Int, scale: Float) {
        softmaxRowLoop(out: out, inp: inp, visible: visible, cols: cols, scale: scale)
    }

    @inline(never)
    public static func softmaxBackwardRow(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                          out: UnsafePointer<Float>, visible: Int, scale: Float) {
        softmaxBackwardRowLoop(dinp: dinp, dout: dout, out: out, visible: visible, scale: scale)
    }

    @inline(never)
    public static func layerNormRow(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                    c: Int, eps: Float) -> (mean: Float, rstd: Float) {
        layerNormRowLoop(out: out, inp: inp, weight: weight, bias: bias, c: c, eps: eps)
    }

    @inline(never)
    public static func layerNormBackwardRow(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>?,
                                            dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                            inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                            mean: Float, rstd: Float, c: Int) {
        layerNormBackwardRowLoop(dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: weight,
                                 mean: mean, rstd: rstd, c: c)
    }

    @inline(never)
    public static func bfloat16Round(_ out: UnsafeMutablePointer<UInt16>, _ inp: UnsafePointer<Float>, count: Int) {
        bfloat16RoundLoop(out, inp, count: count)
    }

    @inline(never)
    public static func smallGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        smallGemmLoop(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                      beta: beta, c: c, ldc: ldc)
    }

    @inline(never)
    public static func attentionRowsForward(_ a: AttentionRows<Float>, out: UnsafeMutablePointer<Float>, ldo: Int,
                                            probs: UnsafeMutablePointer<Float>) {
        attentionRowsForwardLoop(a, out: out, ldo: ldo, probs: probs)
    }

    @inline(never)
    public static func attentionRowsBackward(_ a: AttentionRows<Float>, _ g: AttentionRowGradients<Float>,
                                             dout: UnsafePointer<Float>, lddo: Int, probs: UnsafePointer<Float>,
                                             scratch: UnsafeMutablePointer<Float>) {
        attentionRowsBackwardLoop(a, g, dout: dout, lddo: lddo, probs: probs, scratch: scratch)
    }
}
