// L2 normalisation of rows (CLIP's feature normalisation) and the cross-entropy loss.

// MARK: - L2 normalisation

/// `out[r] = inp[r] / ||inp[r]||_2`; saves the norms.
/// - Parameters: out (N, C); norm (N); inp (N, C).
@_specialize(exported: true, where T == Float)
public func l2NormalizeForward<T: KernelFloat>(out: UnsafeMutablePointer<T>,
                                               norm: UnsafeMutablePointer<T>,
                                               inp: UnsafePointer<T>, n: Int, c: Int) {
    for r in 0..<n {
        let x = inp + r * c, y = out + r * c
        var s: T = 0
        for i in 0..<c { s += x[i] * x[i] }
        let nr = T.sqrt(s)
        norm[r] = nr
        let inv = 1 / nr
        for i in 0..<c { y[i] = x[i] * inv }
    }
}

/// Accumulates `dinp += (dout - out * <dout, out>) / norm`.
/// - Parameters: dinp (N, C); dout (N, C); out (N, C) and norm (N) from the forward.
@_specialize(exported: true, where T == Float)
public func l2NormalizeBackward<T: KernelFloat>(dinp: UnsafeMutablePointer<T>,
                                                dout: UnsafePointer<T>, out: UnsafePointer<T>,
                                                norm: UnsafePointer<T>, n: Int, c: Int) {
    for r in 0..<n {
        let y = out + r * c, dy = dout + r * c, dx = dinp + r * c
        var dot: T = 0
        for i in 0..<c { dot += dy[i] * y[i] }
        let inv = 1 / norm[r]
        for i in 0..<c { dx[i] += (dy[i] - y[i] * dot) * inv }
    }
}

// MARK: - Cross-entropy

/// Per-row `loss[r] = -log softmax(logits[r])[label[r]]`; saves the probabilities.
/// - Parameters: losses (N); probs (N, C); logits (N, C); labels (N), each in 0..<C.
@_specialize(exported: true, where T == Float)
public func crossEntropyForward<T: KernelFloat>(losses: UnsafeMutablePointer<T>,
                                                probs: UnsafeMutablePointer<T>,
                                                logits: UnsafePointer<T>,
                                                labels: UnsafePointer<Int32>, n: Int, c: Int) {
    softmaxForward(out: probs, inp: logits, rows: n, cols: c)
    for r in 0..<n {
        let x = logits + r * c
        var mx = -T.infinity
        for j in 0..<c { mx = max(mx, x[j]) }
        var s: T = 0
        for j in 0..<c { s += T.exp(x[j] - mx) }
        losses[r] = T.log(s) + mx - x[Int(labels[r])]   // log-sum-exp, stable for tiny probs
    }
}

/// Accumulates `dlogits[r] += dloss[r] * (probs[r] - onehot(label[r]))`.
/// For the batch mean, pass `dloss[r] = 1 / N`.
@_specialize(exported: true, where T == Float)
public func crossEntropyBackward<T: KernelFloat>(dlogits: UnsafeMutablePointer<T>,
                                                 dloss: UnsafePointer<T>,
                                                 probs: UnsafePointer<T>,
                                                 labels: UnsafePointer<Int32>, n: Int, c: Int) {
    for r in 0..<n {
        let p = probs + r * c, d = dlogits + r * c
        let g = dloss[r], label = Int(labels[r])
        for j in 0..<c { d[j] += g * (p[j] - (j == label ? 1 : 0)) }
    }
}
