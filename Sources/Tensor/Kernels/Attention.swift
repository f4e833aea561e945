// Scaled dot-product attention, built from one head's GEMMs plus the masked softmax.
//
// The head-level pair works on strided views (row strides ld*), so it serves both the
// plain multi-head layer over a packed [tokens, 3D] q|k|v matrix and callers that
// gather keys and values from elsewhere (a prompt prefix shared by many suffixes).

// MARK: - One head

/// One attention head: `probs = softmax(scale * q k^T, mask)`, `out = probs v`.
/// - Parameters: out (tq, hd) row stride ldo; probs (tq, tk) saved for the backward;
///   q (tq, hd) stride ldq; k, v (tk, hd) strides ldk, ldv.
@_specialize(exported: true, where T == Float)
public func attentionHeadForward<T: KernelFloat>(out: UnsafeMutablePointer<T>, ldo: Int,
                                                 probs: UnsafeMutablePointer<T>,
                                                 q: UnsafePointer<T>, ldq: Int,
                                                 k: UnsafePointer<T>, ldk: Int,
                                                 v: UnsafePointer<T>, ldv: Int,
                                                 tq: Int, tk: Int, headDim: Int,
                                                 scale: T, mask: SoftmaxMask) {
    gemm(.none, .transpose, m: tq, n: tk, k: headDim, a: q, lda: ldq, b: k, ldb: ldk,
         c: probs, ldc: tk)
    softmaxForward(out: probs, inp: probs, rows: tq, cols: tk, scale: scale, mask: mask)
    gemm(.none, .none, m: tq, n: headDim, k: tk, a: probs, lda: tk, b: v, ldb: ldv,
         c: out, ldc: ldo)
}

/// Accumulates the gradients of ``attentionHeadForward`` into dq, dk, dv.
/// `scratch` holds 2 * tq * tk elements.
@_specialize(exported: true, where T == Float)
public func attentionHeadBackward<T: KernelFloat>(dq: UnsafeMutablePointer<T>, lddq: Int,
                                                  dk: UnsafeMutablePointer<T>, lddk: Int,
                                                  dv: UnsafeMutablePointer<T>, lddv: Int,
                                                  scratch: UnsafeMutablePointer<T>,
                                                  dout: UnsafePointer<T>, lddo: Int,
                                                  probs: UnsafePointer<T>,
                                                  q: UnsafePointer<T>, ldq: Int,
                                                  k: UnsafePointer<T>, ldk: Int,
                                                  v: UnsafePointer<T>, ldv: Int,
                                                  tq: Int, tk: Int, headDim: Int,
                                                  scale: T, mask: SoftmaxMask) {
    let dprobs = scratch, dscores = scratch + tq * tk
    // dP = dO v^T ; dv += P^T dO
    gemm(.none, .transpose, m: tq, n: tk, k: headDim, a: dout, lda: lddo, b: v, ldb: ldv,
         c: dprobs, ldc: tk)
    gemm(.transpose, .none, m: tk, n: headDim, k: tq, a: probs, lda: tk, b: dout, ldb: lddo,
         beta: 1, c: dv, ldc: lddv)
    // dS = softmax'(dP) (scale folded in)
    dscores.update(repeating: 0, count: tq * tk)
    softmaxBackward(dinp: dscores, dout: dprobs, out: probs, rows: tq, cols: tk,
                    scale: scale, mask: mask)
    // dq += dS k ; dk += dS^T q
    gemm(.none, .none, m: tq, n: headDim, k: tk, a: dscores, lda: tk, b: k, ldb: ldk,
         beta: 1, c: dq, ldc: lddq)
    gemm(.transpose, .none, m: tk, n: headDim, k: tq, a: dscores, lda: tk, b: q, ldb: ldq,
         beta: 1, c: dk, ldc: lddk)
}

// MARK: - Multi-head over packed q|k|v

/// Multi-head self-attention over `batch` sequences of `t` tokens.
/// - Parameters: out (B, T, D); probs (B, H, T, T) saved; qkv (B, T, 3D) as produced by
///   the in-projection (q, k, v each D wide; head h owns features h*hd ..< (h+1)*hd).
@_specialize(exported: true, where T == Float)
public func multiHeadAttentionForward<T: KernelFloat>(out: UnsafeMutablePointer<T>,
                                                      probs: UnsafeMutablePointer<T>,
                                                      qkv: UnsafePointer<T>,
                                                      batch: Int, t: Int, width: Int, heads: Int,
                                                      causal: Bool) {
    let hd = width / heads, ld = 3 * width
    let scale = 1 / T.sqrt(T(hd))
    for b in 0..<batch {
        let base = qkv + b * t * ld
        for h in 0..<heads {
            attentionHeadForward(out: out + b * t * width + h * hd, ldo: width,
                                 probs: probs + (b * heads + h) * t * t,
                                 q: base + h * hd, ldq: ld,
                                 k: base + width + h * hd, ldk: ld,
                                 v: base + 2 * width + h * hd, ldv: ld,
                                 tq: t, tk: t, headDim: hd, scale: scale,
                                 mask: causal ? .causal(offset: 0) : .none)
        }
    }
}

/// Accumulates the q|k|v gradient of ``multiHeadAttentionForward`` into dqkv (B, T, 3D).
/// `scratch` holds 2 * T * T elements.
@_specialize(exported: true, where T == Float)
public func multiHeadAttentionBackward<T: KernelFloat>(dqkv: UnsafeMutablePointer<T>,
                                                       scratch: UnsafeMutablePointer<T>,
                                                       dout: UnsafePointer<T>,
                                                       probs: UnsafePointer<T>,
                                                       qkv: UnsafePointer<T>,
                                                       batch: Int, t: Int, width: Int,
                                                       heads: Int, causal: Bool) {
    let hd = width / heads, ld = 3 * width
    let scale = 1 / T.sqrt(T(hd))
    for b in 0..<batch {
        let base = qkv + b * t * ld, dbase = dqkv + b * t * ld
        for h in 0..<heads {
            attentionHeadBackward(dq: dbase + h * hd, lddq: ld,
                                  dk: dbase + width + h * hd, lddk: ld,
                                  dv: dbase + 2 * width + h * hd, lddv: ld,
                                  scratch: scratch,
                                  dout: dout + b * t * width + h * hd, lddo: width,
                                  probs: probs + (b * heads + h) * t * t,
                                  q: base + h * hd, ldq: ld,
                                  k: base + width + h * hd, ldk: ld,
                                  v: base + 2 * width + h * hd, ldv: ld,
                                  tq: t, tk: t, headDim: hd, scale: scale,
                                  mask: causal ? .causal(offset: 0) : .none)
        }
    }
}
