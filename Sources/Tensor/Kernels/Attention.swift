
// Scaled dot-product attention, built from one head's GEMMs plus the masked softmax.
//
// The head-level pair works on strided views (row strides ld*), so it serves both the
// plain multi-head layer over a packed [tokens, 3D] q|k|v matrix and callers that
// gather keys and values from elsewhere (a prompt prefix shared by many suffixes).

// MARK: - One head

/// Keys and values of a block of positions that precede a head's own keys (a shared
/// prompt prefix), with row strides; in the backward, where their gradients go.
public struct KeyValueBlock<T: KernelFloat> {
    public var k: UnsafePointer<T>, ldk: Int
    public var v: UnsafePointer<T>, ldv: Int
    public var rows: Int
    public var dk: UnsafeMutablePointer<T>?, lddk: Int
    public var dv: UnsafeMutablePointer<T>?, lddv: Int

    public init(k: UnsafePointer<T>, ldk: Int, v: UnsafePointer<T>, ldv: Int, rows: Int,
                dk: UnsafeMutablePointer<T>? = nil, lddk: Int = 0,
                dv: UnsafeMutablePointer<T>? = nil, lddv: Int = 0) {
        self.k = k; self.ldk = ldk; self.v = v; self.ldv = ldv; self.rows = rows
        self.dk = dk; self.lddk = lddk; self.dv = dv; self.lddv = lddv
    }
}

/// One attention head: `probs = softmax(scale * q [kp; k]^T, mask)`, `out = probs [vp; v]`,
/// where the optional `prefix` supplies keys/values kp, vp that come before the head's own
/// (the mask's column index counts prefix columns first).
/// - Parameters: out (tq, hd) row stride ldo; probs (tq, tp + tk) saved for the backward;
///   q (tq, hd) stride ldq; k, v (tk, hd) strides ldk, ldv.
@_specialize(exported: true, where T == Float)
public func attentionHeadForward<T: KernelFloat>(out: UnsafeMutablePointer<T>, ldo: Int,
                                                 probs: UnsafeMutablePointer<T>,
                                                 q: UnsafePointer<T>, ldq: Int,
                                                 k: UnsafePointer<T>, ldk: Int,
                                                 v: UnsafePointer<T>, ldv: Int,
                                                 prefix: KeyValueBlock<T>? = nil,
                                                 tq: Int, tk: Int, headDim: Int,
                                                 scale: T, mask: SoftmaxMask) {
    let tp = prefix?.rows ?? 0, cols = tp + tk
    if let rows = AttentionRows(q: q, ldq: ldq, k: k, ldk: ldk, v: v, ldv: ldv, prefix: prefix, tq: tq, tk: tk,
                                headDim: headDim, scale: scale, mask: mask) {
        if let fast = SIMDLevel.loops(for: T.self) {
            fast.attentionRowsForward(unsafeBitCast(rows, to: AttentionRows<Float>.self), out: floats(out), ldo: ldo,
                                      probs: floats(probs))
        } else {
            attentionRowsForwardLoop(rows, out: out, ldo: ldo, probs: probs)
        }
        return
    }
    if let p = prefix {
        gemm(.none, .transpose, m: tq, n: tp, k: headDim, a: q, lda: ldq, b: p.k, ldb: p.ldk,
             c: probs, ldc: cols)
    }
    gemm(.none, .transpose, m: tq, n: tk, k: headDim, a: q, lda: ldq, b: k, ldb: ldk,
         c: probs + tp, ldc: cols)
    softmaxForward(out: probs, inp: probs, rows: tq, cols: cols, scale: scale, mask: mask)
    if let p = prefix {
        gemm(.none, .none, m: tq, n: headDim, k: tp, a: probs, lda: cols, b: p.v, ldb: p.ldv,
             c: out, ldc: ldo)
    }
    gemm(.none, .none, m: tq, n: headDim, k: tk, a: probs + tp, lda: cols, b: v, ldb: ldv,
         beta: tp > 0 ? 1 : 0, c: out, ldc: ldo)
}

/// Accumulates the gradients of ``attentionHeadForward`` into dq, dk, dv and, when the
/// prefix carries gradient pointers, into its dk, dv. `scratch` holds 2 * tq * (tp + tk).
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
                                                  prefix: KeyValueBlock<T>? = nil,
                                                  tq: Int, tk: Int, headDim: Int,
                                                  scale: T, mask: SoftmaxMask) {
    let tp = prefix?.rows ?? 0, cols = tp + tk
    if let rows = AttentionRows(q: q, ldq: ldq, k: k, ldk: ldk, v: v, ldv: ldv, prefix: prefix, tq: tq, tk: tk,
                                headDim: headDim, scale: scale, mask: mask) {
        let grads = AttentionRowGradients(dq: dq, lddq: lddq, dk: dk, lddk: lddk, dv: dv, lddv: lddv,
                                          dkp: prefix?.dk, lddkp: prefix?.lddk ?? 0,
                                          dvp: prefix?.dv, lddvp: prefix?.lddv ?? 0)
        if let fast = SIMDLevel.loops(for: T.self) {
            fast.attentionRowsBackward(unsafeBitCast(rows, to: AttentionRows<Float>.self),
                                       unsafeBitCast(grads, to: AttentionRowGradients<Float>.self),
                                       dout: floats(dout), lddo: lddo, probs: floats(probs), scratch: floats(scratch))
        } else {
            attentionRowsBackwardLoop(rows, grads, dout: dout, lddo: lddo, probs: probs, scratch: scratch)
        }
        return
    }
    let dprobs = scratch, dscores = scratch + tq * cols
    // dP = dO [vp; v]^T ; dv += P^T dO (per block)
    if let p = prefix {
        gemm(.none, .transpose, m: tq, n: tp, k: headDim, a: dout, lda: lddo, b: p.v, ldb: p.ldv,
             c: dprobs, ldc: cols)
        if let pdv = p.dv {
            gemm(.transpose, .none, m: tp, n: headDim, k: tq, a: probs, lda: cols, b: dout,
                 ldb: lddo, beta: 1, c: pdv, ldc: p.lddv)
        }
    }
    gemm(.none, .transpose, m: tq, n: tk, k: headDim, a: dout, lda: lddo, b: v, ldb: ldv,
         c: dprobs + tp, ldc: cols)
    gemm(.transpose, .none, m: tk, n: headDim, k: tq, a: probs + tp, lda: cols, b: dout,
         ldb: lddo, beta: 1, c: dv, ldc: lddv)
    // dS = softmax'(dP) (scale folded in)
    dscores.update(repeating: 0, count: tq * cols)
    softmaxBackward(dinp: dscores, dout: dprobs, out: probs, rows: tq, cols: cols,
                    scale: scale, mask: mask)
    // dq += dS [kp; k] ; dk += dS^T q (per block)
    if let p = prefix {
        gemm(.none, .none, m: tq, n: headDim, k: tp, a: dscores, lda: cols, b: p.k, ldb: p.ldk,
             beta: 1, c: dq, ldc: lddq)
        if let pdk = p.dk {
            gemm(.transpose, .none, m: tp, n: headDim, k: tq, a: dscores, lda: cols, b: q,
                 ldb: ldq, beta: 1, c: pdk, ldc: p.lddk)
        }
    }
    gemm(.none, .none, m: tq, n: headDim, k: tk, a: dscores + tp, lda: cols, b: k, ldb: ldk,
         beta: 1, c: dq, ldc: lddq)
    gemm(.transpose, .none, m: tk, n: headDim, k: tq, a: dscores + tp, lda: cols, b: q,
         ldb: ldq, beta: 1, c: dk, ldc: lddk)
}

extension AttentionRows where T: KernelFloat {
    /// One head's block in the row-by-row form, when every product of the GEMM formulation
    /// would be a small one (``GEMMRouting/smallWork``: the same arithmetic, in one pass); nil
    /// for larger blocks, which the products run faster.
    init?(q: UnsafePointer<T>, ldq: Int, k: UnsafePointer<T>, ldk: Int, v: UnsafePointer<T>, ldv: Int,
          prefix: KeyValueBlock<T>?, tq: Int, tk: Int, headDim: Int, scale: T, mask: SoftmaxMask) {
        let tp = prefix?.rows ?? 0
        guard tq * Swift.max(tp, tk, 1) * headDim <= GEMMRouting.smallWork else { return nil }
        let offset: Int?
        switch mask {
        case .none: offset = nil
        case .causal(let o): offset = o
        }
        self.init(q: q, ldq: ldq, k: k, ldk: ldk, v: v, ldv: ldv, kp: prefix?.k, ldkp: prefix?.ldk ?? 0,
                  vp: prefix?.v, ldvp: prefix?.ldv ?? 0, tq: tq, tk: tk, tp: tp, headDim: headDim, scale: scale,
                  causalOffset: offset)
    }
}

// MARK: - Multi-head over packed q|k|v

/// Heads per parallel range for sequences of `t` rows: enough that a range is worth a thread.
@inline(__always)
func headGrain(t: Int, headDim: Int) -> Int { Swift.max(1, (1 << 15) / Swift.max(1, t * t * headDim)) }

/// Multi-head self-attention over `batch` sequences of `t` tokens, the (sequence, head)
/// pairs split over ``KernelThreads`` (each pair writes its own columns and probabilities).
/// For Float layers large enough, both products instead run batched over all pairs in
/// oneDNN (AttentionProducts.swift), at `precision`; smaller ones, and Double, are float32.
/// Without `keepProbabilities` (an inference pass) `probs` may be left holding anything.
/// - Parameters: out (B, T, D); probs (B, H, T, T) saved; qkv (B, T, 3D) as produced by
///   the in-projection (q, k, v each D wide; head h owns features h*hd ..< (h+1)*hd).
@_specialize(exported: true, where T == Float)
public func multiHeadAttentionForward<T: KernelFloat>(out: UnsafeMutablePointer<T>,
                                                      probs: UnsafeMutablePointer<T>,
                                                      qkv: UnsafePointer<T>,
                                                      batch: Int, t: Int, width: Int, heads: Int,
                                                      causal: Bool, precision: MatmulPrecision = .float32,
                                                      keepProbabilities: Bool = true) {
    let hd = width / heads, ld = 3 * width
    if T.self == Float.self, usesBatchedAttention(batch: batch, heads: heads, t: t, headDim: hd, precision: precision),
       batchedAttentionForward(out: floats(out), probs: floats(probs), qkv: floats(qkv), batch: batch, t: t,
                               width: width, heads: heads, causal: causal, precision: precision,
                               keepProbabilities: keepProbabilities) {
        return
    }
    let scale = 1 / T.sqrt(T(hd))
    parallelFor(batch * heads, grain: headGrain(t: t, headDim: hd), singleThreadedBLAS: true) { items in
        for item in items {
            let b = item / heads, h = item % heads
            let base = qkv + b * t * ld
            attentionHeadForward(out: out + b * t * width + h * hd, ldo: width,
                                 probs: probs + item * t * t,
                                 q: base + h * hd, ldq: ld,
                                 k: base + width + h * hd, ldk: ld,
                                 v: base + 2 * width + h * hd, ldv: ld,
                                 tq: t, tk: t, headDim: hd, scale: scale,
                                 mask: causal ? .causal(offset: 0) : .none)
        }
    }
}

/// Accumulates the q|k|v gradient of ``multiHeadAttentionForward`` into dqkv (B, T, 3D).
/// `scratch` holds 2 * T * T elements (further threads allocate their own).
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
    parallelFor(batch * heads, grain: headGrain(t: t, headDim: hd), singleThreadedBLAS: true) { items in
        let own = rangeScratch(items, shared: scratch, count: 2 * t * t)
        defer { releaseScratch(own, shared: scratch) }
        for item in items {
            let b = item / heads, h = item % heads
            let base = qkv + b * t * ld, dbase = dqkv + b * t * ld
            attentionHeadBackward(dq: dbase + h * hd, lddq: ld,
                                  dk: dbase + width + h * hd, lddk: ld,
                                  dv: dbase + 2 * width + h * hd, lddv: ld,
                                  scratch: own,
                                  dout: dout + b * t * width + h * hd, lddo: width,
                                  probs: probs + item * t * t,
                                  q: base + h * hd, ldq: ld,
                                  k: base + width + h * hd, ldk: ld,
                                  v: base + 2 * width + h * hd, ldv: ld,
                                  tq: t, tk: t, headDim: hd, scale: scale,
                                  mask: causal ? .causal(offset: 0) : .none)
        }
    }
}
