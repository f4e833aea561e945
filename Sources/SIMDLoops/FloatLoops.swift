// The Float loops as one set of functions, so that Tensor can pick a compiled copy of them
// once (SIMDLoopsAVX2's, SIMDLoopsAVX512's) and call it without naming the module.

/// The Float loops of this module in one compiled copy (`CompiledLoops` of SIMDLoopsAVX2 and
/// SIMDLoopsAVX512): each requirement is the loop of the same name here.
public protocol FloatLoops {
    static func quickGeluForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int)
    static func quickGeluForward(out: UnsafeMutablePointer<Float>, slope: UnsafeMutablePointer<Float>,
        inp: UnsafePointer<Float>, count: Int)
    static func quickGeluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
        inp: UnsafePointer<Float>, count: Int, accumulate: Bool)
    static func quickGeluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
        inp: UnsafePointer<Float>, out: UnsafePointer<Float>, count: Int,
        accumulate: Bool)
    static func softmaxRow(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
        visible: Int, cols: Int, scale: Float)
    static func softmaxBackwardRow(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
        out: UnsafePointer<Float>, visible: Int, scale: Float)
    static func layerNormRow(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        c: Int, eps: Float) -> (mean: Float, rstd: Float)
    static func layerNormBackwardRow(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>?,
        dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        mean: Float, rstd: Float, c: Int)
    static func bfloat16Round(_ out: UnsafeMutablePointer<UInt16>, _ inp: UnsafePointer<Float>, count: Int)
    static func smallGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int)
    static func attentionRowsForward(_ a: AttentionRows<Float>, out: UnsafeMutablePointer<Float>, ldo: Int,
        probs: UnsafeMutablePointer<Float>)
    static func attentionRowsBackward(_ a: AttentionRows<Float>, _ g: AttentionRowGradients<Float>,
        dout: UnsafePointer<Float>, lddo: Int, probs: UnsafePointer<Float>,
        scratch: UnsafeMutablePointer<Float>)
}
