
// LayerNorm over the last dimension: biased variance, eps inside the square root.
// Rows are independent and split over ``KernelThreads``; the row loops are SIMDLoops'.

// MARK: - LayerNorm

/// `out = (inp - mean) * rstd * weight + bias` per row; saves mean and rstd for the backward.
/// - Parameters: out (N, C); mean, rstd (N); inp (N, C); weight, bias (C).
@_specialize(exported: true, where T == Float)
public func layerNormForward<T: KernelFloat>(out: UnsafeMutablePointer<T>,
                                             mean: UnsafeMutablePointer<T>,
                                             rstd: UnsafeMutablePointer<T>,
                                             inp: UnsafePointer<T>,
                                             weight: UnsafePointer<T>, bias: UnsafePointer<T>,
                                             n: Int, c: Int, eps: T = 1e-5) {
    let fast = SIMDLevel.loops(for: T.self)
    parallelFor(n, grain: Swift.max(1, elementwiseGrain / Swift.max(c, 1))) { rows in
        for r in rows {
            if let fast {
                let (m, rs) = fast.layerNormRow(out: floats(out + r * c), inp: floats(inp + r * c),
                                                weight: floats(weight), bias: floats(bias), c: c, eps: Float(eps))
                floats(mean)[r] = m
                floats(rstd)[r] = rs
            } else {
                (mean[r], rstd[r]) = layerNormRowLoop(out: out + r * c, inp: inp + r * c, weight: weight, bias: bias,
                                                      c: c, eps: eps)
            }
        }
    }
}

/// ``layerNormForward(out:mean:rstd:inp:weight:bias:n:c:eps:)`` with the output written only
/// in bfloat16 (`rounded`, N x C), as the next product reads it: each row normalised into a
/// float32 scratch in cache, then rounded (the bits of rounding the float32 output; the
/// backward needs only the input and the statistics).
public func layerNormForward(rounded: UnsafeMutablePointer<UInt16>, mean: UnsafeMutablePointer<Float>,
                             rstd: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                             bias: UnsafePointer<Float>, n: Int, c: Int, eps: Float = 1e-5) {
    parallelFor(n, grain: Swift.max(1, elementwiseGrain / Swift.max(c, 1))) { rows in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: Swift.max(c, 1)) { row in
            for r in rows {
                layerNormForward(out: row.baseAddress!, mean: mean + r, rstd: rstd + r, inp: inp + r * c,
                                 weight: weight, bias: bias, n: 1, c: c, eps: eps)
                convertToBFloat16(rounded + r * c, from: row.baseAddress!, rows: 1, columns: c, sourceStride: c)
            }
        }
    }
}

/// Accumulates the gradients of ``layerNormForward``:
/// `dinp += rstd * (g - mean(g) - xhat * mean(g * xhat))` with `g = dout * weight`,
/// `dweight += sum dout * xhat`, `dbias += sum dout` (nil when the LayerNorm is frozen).
/// - Parameters: dinp (N, C); dweight, dbias (C) or nil; dout, inp (N, C); weight (C); mean, rstd (N).
@_specialize(exported: true, where T == Float)
public func layerNormBackward<T: KernelFloat>(dinp: UnsafeMutablePointer<T>,
                                              dweight: UnsafeMutablePointer<T>?,
                                              dbias: UnsafeMutablePointer<T>?,
                                              dout: UnsafePointer<T>, inp: UnsafePointer<T>,
                                              weight: UnsafePointer<T>,
                                              mean: UnsafePointer<T>, rstd: UnsafePointer<T>,
                                              n: Int, c: Int) {
    let fast = SIMDLevel.loops(for: T.self)
    // dweight and dbias sum over rows: only a frozen LayerNorm (both nil) runs in parallel.
    let grain = dweight == nil && dbias == nil ? Swift.max(1, elementwiseGrain / Swift.max(c, 1)) : n
    parallelFor(n, grain: grain) { rows in
        for r in rows {
            let o = r * c
            if let fast {
                fast.layerNormBackwardRow(dinp: floats(dinp + o), dweight: dweight.map(floats),
                                          dbias: dbias.map(floats), dout: floats(dout + o), inp: floats(inp + o),
                                          weight: floats(weight), mean: Float(mean[r]), rstd: Float(rstd[r]), c: c)
            } else {
                layerNormBackwardRowLoop(dinp: dinp + o, dweight: dweight, dbias: dbias, dout: dout + o,
                                         inp: inp + o, weight: weight, mean: mean[r], rstd: rstd[r], c: c)
            }
        }
    }
}
