// Row reductions (sums, maxima) for the element-wise kernels.
//
// A plain `s += f(i)` loop is one long dependency chain that the compiler may not
// reorder, so it runs at one add per floating-point latency. `rowSum` keeps eight
// partial sums, term i going to partial i % 8, and combines them in a fixed tree: the
// compiler turns that into SIMD code, and the result depends only on the row (never on
// threads or alignment).

// MARK: - Reductions

/// `sum_{i < n} term(i)`: eight interleaved partial sums combined pairwise.
@inlinable @inline(__always)
public func rowSum<T: LoopFloat>(_ n: Int, _ term: (Int) -> T) -> T {
    var s0: T = 0, s1: T = 0, s2: T = 0, s3: T = 0, s4: T = 0, s5: T = 0, s6: T = 0, s7: T = 0
    var i = 0
    while i + 8 <= n {
        s0 += term(i); s1 += term(i + 1); s2 += term(i + 2); s3 += term(i + 3)
        s4 += term(i + 4); s5 += term(i + 5); s6 += term(i + 6); s7 += term(i + 7)
        i += 8
    }
    while i < n { s0 += term(i); i += 1 }
    return ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7))
}

/// `max_{i < n} x[i]` (`-inf` for n = 0); four partial maxima (exact in any order).
@inlinable @inline(__always)
public func rowMax<T: LoopFloat>(_ x: UnsafePointer<T>, _ n: Int) -> T {
    var m0 = -T.infinity, m1 = -T.infinity, m2 = -T.infinity, m3 = -T.infinity
    var i = 0
    while i + 4 <= n {
        m0 = Swift.max(m0, x[i]); m1 = Swift.max(m1, x[i + 1])
        m2 = Swift.max(m2, x[i + 2]); m3 = Swift.max(m3, x[i + 3])
        i += 4
    }
    while i < n { m0 = Swift.max(m0, x[i]); i += 1 }
    return Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
}

/// The index of the first largest of `x[0..<n]` (PyTorch's and NumPy's `argmax`); 0 for
/// n <= 1. A comparison with NaN is false: a NaN is never chosen over an earlier entry,
/// and a NaN in front stays chosen.
@inlinable @inline(__always)
public func argmax<T: Comparable>(_ x: UnsafePointer<T>, _ n: Int) -> Int {
    var best = 0
    for j in stride(from: 1, to: n, by: 1) where x[j] > x[best] { best = j }
    return best
}
