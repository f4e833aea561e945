// MARK: - Accumulation

/// `y += alpha * x` over `n` elements (BLAS's axpy), the one way gradients are summed
/// into a buffer. With `alpha == 1` each element is exactly `y + x`.
@_specialize(exported: true, where T == Float)
public func axpy<T: KernelFloat>(_ n: Int, alpha: T = 1, x: UnsafePointer<T>, y: UnsafeMutablePointer<T>) {
    if alpha == 1 {
        for i in 0..<n { y[i] += x[i] }
    } else {
        for i in 0..<n { y[i] += alpha * x[i] }
    }
}
