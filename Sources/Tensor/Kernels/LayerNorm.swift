// LayerNorm over the last dimension: biased variance, eps inside the square root.
// Rows are independent and split over ``KernelThreads``.

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
    let invC = 1 / T(c)
    parallelFor(n, grain: Swift.max(1, elementwiseGrain / Swift.max(c, 1))) { rows in
        for r in rows {
            let x = inp + r * c
            let m = rowSum(c) { x[$0] } * invC
            let v = rowSum(c) { let d = x[$0] - m; return d * d }
            let rs = 1 / T.sqrt(v * invC + eps)
            let y = out + r * c
            for i in 0..<c { y[i] = (x[i] - m) * rs * weight[i] + bias[i] }
            mean[r] = m
            rstd[r] = rs
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
    let invC = 1 / T(c)
    // dweight and dbias sum over rows: only a frozen LayerNorm (both nil) runs in parallel.
    let grain = dweight == nil && dbias == nil ? Swift.max(1, elementwiseGrain / Swift.max(c, 1)) : n
    parallelFor(n, grain: grain) { rows in
        for r in rows {
            let x = inp + r * c, dy = dout + r * c, dx = dinp + r * c
            let m = mean[r], rs = rstd[r]
            let gMean = rowSum(c) { dy[$0] * weight[$0] } * invC
            let gxMean = rowSum(c) { dy[$0] * weight[$0] * ((x[$0] - m) * rs) } * invC
            for i in 0..<c {
                let xhat = (x[i] - m) * rs
                let g = dy[i] * weight[i]
                dx[i] += rs * (g - gMean - xhat * gxMean)
                if let dweight { dweight[i] += dy[i] * xhat }
                if let dbias { dbias[i] += dy[i] }
            }
        }
    }
}
