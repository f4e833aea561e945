// Row softmax with an optional causal mask, as used by attention.
//
// Row r of a [rows, cols] score matrix may see the first `visibleColumns(r)` columns:
// all of them without a mask, `min(cols, causalOffset + r + 1)` with one. The offset
// lets a block of queries that starts `causalOffset` positions into a sequence attend
// to every earlier key (a shared prompt prefix) plus its own causal part. Masked
// entries of the output are exactly zero.

/// Which columns of each row the softmax may use.
public enum SoftmaxMask: Sendable, Equatable {
    /// Every column.
    case none
    /// Row r sees columns 0 ... offset + r (clamped to the row length).
    case causal(offset: Int)

    /// Number of visible columns in `row` of a matrix with `cols` columns.
    @inline(__always)
    public func visibleColumns(row: Int, cols: Int) -> Int {
        switch self {
        case .none: return cols
        case .causal(let offset): return min(cols, max(0, offset + row + 1))
        }
    }
}

// MARK: - Softmax

/// `out[r, j] = exp(scale * inp[r, j] - max) / sum` over the visible columns, 0 elsewhere.
/// - Parameters: out (rows, cols); inp (rows, cols); `ld` is the row stride of both.
@_specialize(exported: true, where T == Float)
public func softmaxForward<T: KernelFloat>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>,
                                           rows: Int, cols: Int, ld: Int? = nil,
                                           scale: T = 1, mask: SoftmaxMask = .none) {
    let ld = ld ?? cols
    for r in 0..<rows {
        let x = inp + r * ld, y = out + r * ld
        let visible = mask.visibleColumns(row: r, cols: cols)
        var mx = -T.infinity
        if scale > 0 {
            mx = scale * rowMax(x, visible)   // rounding is monotonic: the same as max(scale * x)
        } else {
            for j in 0..<visible { mx = max(mx, scale * x[j]) }
        }
        scaledExp(y, x, visible, scale: scale, shift: mx)
        let s = rowSum(visible) { y[$0] }
        let inv = visible > 0 ? 1 / s : 0
        for j in 0..<visible { y[j] *= inv }
        for j in visible..<cols { y[j] = 0 }
    }
}

/// `y[j] = exp(scale * x[j] - shift)` for `j < n`. In place (y == x) gets its own loop: the
/// compiler's overlap check would otherwise send it to the scalar version.
@inline(__always)
func scaledExp<T: KernelFloat>(_ y: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>, _ n: Int,
                               scale: T, shift: T) {
    if UnsafePointer(y) == x {
        for j in 0..<n { y[j] = T.kernelExp(scale * y[j] - shift) }
    } else {
        for j in 0..<n { y[j] = T.kernelExp(scale * x[j] - shift) }
    }
}

/// Accumulates `dinp += scale * out * (dout - sum_j dout * out)` on the visible columns.
/// - Parameters: dinp (rows, cols); dout (rows, cols); out: the forward's output.
@_specialize(exported: true, where T == Float)
public func softmaxBackward<T: KernelFloat>(dinp: UnsafeMutablePointer<T>,
                                            dout: UnsafePointer<T>, out: UnsafePointer<T>,
                                            rows: Int, cols: Int, ld: Int? = nil,
                                            scale: T = 1, mask: SoftmaxMask = .none) {
    let ld = ld ?? cols
    for r in 0..<rows {
        let y = out + r * ld, dy = dout + r * ld, dx = dinp + r * ld
        let visible = mask.visibleColumns(row: r, cols: cols)
        let dot = rowSum(visible) { dy[$0] * y[$0] }
        for j in 0..<visible { dx[j] += scale * y[j] * (dy[j] - dot) }
    }
}
