// Linear layers in PyTorch's layout: weight [out, in], y = x W^T + b.
// Frozen CLIP weights need only the input gradient (one GEMM); the Meta-Net's
// trainable layers also ask for dW and db, each an optional output.

// MARK: - Linear

/// `out[n, o] = sum_i inp[n, i] * weight[o, i] + bias[o]`.
/// - Parameters: out (N, outF); inp (N, inF); weight (outF, inF); bias (outF) or nil.
@_specialize(exported: true, where T == Float)
public func linearForward<T: KernelFloat>(out: UnsafeMutablePointer<T>,
                                          inp: UnsafePointer<T>,
                                          weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                          n: Int, inFeatures: Int, outFeatures: Int) {
    broadcastBias(out: out, bias: bias, n: n, outFeatures: outFeatures)
    gemm(.none, .transpose, m: n, n: outFeatures, k: inFeatures,
         a: inp, lda: inFeatures, b: weight, ldb: inFeatures,
         beta: bias == nil ? 0 : 1, c: out, ldc: outFeatures)
}

/// Copies `bias` into every row of `out` (N rows of outF, `ldc` apart), which the product
/// then accumulates into.
@inline(__always)
func broadcastBias<T>(out: UnsafeMutablePointer<T>, bias: UnsafePointer<T>?, n: Int, outFeatures: Int,
                      ldc: Int? = nil) {
    guard let bias else { return }
    for r in 0..<n { (out + r * (ldc ?? outFeatures)).update(from: bias, count: outFeatures) }
}

/// Accumulates the gradients of ``linearForward``: `dinp += dout W`, `dweight += dout^T inp`,
/// `dbias += sum_n dout`. Pass nil for any gradient that is not wanted (frozen weights).
/// With `accumulate: false`, dinp is overwritten instead (saves zeroing a fresh buffer).
/// - Parameters: dinp (N, inF); dweight (outF, inF); dbias (outF); dout (N, outF);
///   inp (N, inF), needed only for dweight; weight (outF, inF), needed only for dinp.
@_specialize(exported: true, where T == Float)
public func linearBackward<T: KernelFloat>(dinp: UnsafeMutablePointer<T>?,
                                           dweight: UnsafeMutablePointer<T>?,
                                           dbias: UnsafeMutablePointer<T>?,
                                           dout: UnsafePointer<T>,
                                           inp: UnsafePointer<T>?, weight: UnsafePointer<T>?,
                                           n: Int, inFeatures: Int, outFeatures: Int,
                                           accumulate: Bool = true) {
    if let dinp {
        gemm(.none, .none, m: n, n: inFeatures, k: outFeatures,
             a: dout, lda: outFeatures, b: weight!, ldb: inFeatures,
             beta: accumulate ? 1 : 0, c: dinp, ldc: inFeatures)
    }
    if let dweight {
        gemm(.transpose, .none, m: outFeatures, n: inFeatures, k: n,
             a: dout, lda: outFeatures, b: inp!, ldb: inFeatures,
             beta: 1, c: dweight, ldc: inFeatures)
    }
    if let dbias {
        for r in 0..<n {
            let row = dout + r * outFeatures
            for o in 0..<outFeatures { dbias[o] += row[o] }
        }
    }
}

// MARK: - Projection (no bias, weight stored [in, out])

/// `out = inp @ proj` for CLIP's projection matrices, stored [in, out].
/// - Parameters: out (N, outF); inp (N, inF); proj (inF, outF).
@_specialize(exported: true, where T == Float)
public func projectionForward<T: KernelFloat>(out: UnsafeMutablePointer<T>,
                                              inp: UnsafePointer<T>, proj: UnsafePointer<T>,
                                              n: Int, inFeatures: Int, outFeatures: Int) {
    gemm(.none, .none, m: n, n: outFeatures, k: inFeatures,
         a: inp, lda: inFeatures, b: proj, ldb: outFeatures, c: out, ldc: outFeatures)
}

/// Accumulates `dinp += dout @ proj^T` (the projection is frozen).
@_specialize(exported: true, where T == Float)
public func projectionBackward<T: KernelFloat>(dinp: UnsafeMutablePointer<T>,
                                               dout: UnsafePointer<T>, proj: UnsafePointer<T>,
                                               n: Int, inFeatures: Int, outFeatures: Int) {
    gemm(.none, .transpose, m: n, n: inFeatures, k: outFeatures,
         a: dout, lda: outFeatures, b: proj, ldb: outFeatures, beta: 1, c: dinp, ldc: inFeatures)
}

// MARK: - Frozen weights (float32 or bfloat16 products)

/// ``linearForward(out:inp:weight:bias:n:inFeatures:outFeatures:)`` for a frozen layer,
/// whose product runs at the weight's precision (bfloat16 when it has a bfloat16 copy).
/// The bias, and with `activation` the activation of the layer's output, are fused into the
/// product where oneDNN runs it.
public func linearForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                          weight: FrozenMatrix, bias: UnsafePointer<Float>?,
                          n: Int, inFeatures: Int, outFeatures: Int, activation: FusedActivation? = nil) {
    gemm(.none, .transpose, m: n, n: outFeatures, k: inFeatures, a: inp, lda: inFeatures, b: weight,
         ldb: inFeatures, c: out, ldc: outFeatures, bias: bias, activation: activation)
}

/// The input gradient of a frozen layer, `dinp (+)= dout W`, at the weight's precision.
public func linearInputBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                weight: FrozenMatrix, n: Int, inFeatures: Int, outFeatures: Int,
                                accumulate: Bool = true) {
    gemm(.none, .none, m: n, n: inFeatures, k: outFeatures, a: dout, lda: outFeatures, b: weight,
         ldb: inFeatures, beta: accumulate ? 1 : 0, c: dinp, ldc: inFeatures)
}

/// ``linearForward(out:inp:weight:bias:n:inFeatures:outFeatures:activation:)`` on an input
/// already rounded to bfloat16 (`weight` must hold a bfloat16 matrix).
public func linearForward(out: UnsafeMutablePointer<Float>, roundedInput inp: UnsafePointer<UInt16>,
                          weight: FrozenMatrix, bias: UnsafePointer<Float>?, n: Int, inFeatures: Int,
                          outFeatures: Int, activation: FusedActivation? = nil) {
    gemm(.transpose, m: n, n: outFeatures, k: inFeatures, roundedA: inp, b: weight, ldb: inFeatures, c: out,
         ldc: outFeatures, bias: bias, activation: activation)
}

/// ``linearInputBackward(dinp:dout:weight:n:inFeatures:outFeatures:accumulate:)`` (overwriting)
/// on an output gradient already rounded to bfloat16 (`weight` must hold a bfloat16 matrix).
public func linearInputBackward(dinp: UnsafeMutablePointer<Float>, roundedOutputGradient dout: UnsafePointer<UInt16>,
                                weight: FrozenMatrix, n: Int, inFeatures: Int, outFeatures: Int) {
    gemm(.none, m: n, n: inFeatures, k: outFeatures, roundedA: dout, b: weight, ldb: inFeatures, c: dinp,
         ldc: inFeatures)
}

/// The input gradient of a frozen layer scaled element-wise by `factor` (n x inFeatures) and
/// rounded to bfloat16, `roundedDinp = bfloat16((dout W) * factor)` in one pass (`weight`
/// must hold a bfloat16 matrix): the gradient at an activation's input given its slope, as
/// the next product's operand.
public func linearInputBackward(roundedDinp: UnsafeMutablePointer<UInt16>, dout: UnsafePointer<Float>,
                                weight: FrozenMatrix, scaledBy factor: UnsafePointer<Float>, n: Int,
                                inFeatures: Int, outFeatures: Int) {
    gemm(.none, m: n, n: inFeatures, k: outFeatures, a: dout, lda: outFeatures, b: weight, ldb: inFeatures,
         scaledBy: factor, roundedC: roundedDinp)
}

/// ``projectionForward(out:inp:proj:n:inFeatures:outFeatures:)`` at the projection's precision.
public func projectionForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, proj: FrozenMatrix,
                              n: Int, inFeatures: Int, outFeatures: Int) {
    gemm(.none, .none, m: n, n: outFeatures, k: inFeatures, a: inp, lda: inFeatures, b: proj,
         ldb: outFeatures, c: out, ldc: outFeatures)
}

/// ``projectionBackward(dinp:dout:proj:n:inFeatures:outFeatures:)`` at the projection's precision.
public func projectionBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, proj: FrozenMatrix,
                               n: Int, inFeatures: Int, outFeatures: Int) {
    gemm(.none, .transpose, m: n, n: inFeatures, k: outFeatures, a: dout, lda: outFeatures, b: proj,
         ldb: outFeatures, beta: 1, c: dinp, ldc: inFeatures)
}
