
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
    let fast = SIMDLevel.loops(for: T.self)
    for r in 0..<rows {
        let x = inp + r * ld, y = out + r * ld
        let visible = mask.visibleColumns(row: r, cols: cols)
        if let fast {
            fast.softmaxRow(out: floats(y), inp: floats(x), visible: visible, cols: cols, scale: Float(scale))
        } else {
            softmaxRowLoop(out: y, inp: x, visible: visible, cols: cols, scale: scale)
        }
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
    let fast = SIMDLevel.loops(for: T.self)
    for r in 0..<rows {
        let y = out + r * ld, dy = dout + r * ld, dx = dinp + r * ld
        let visible = mask.visibleColumns(row: r, cols: cols)
        if let fast {
            fast.softmaxBackwardRow(dinp: floats(dx), dout: floats(dy), out: floats(y), visible: visible,
                                    scale: Float(scale))
        } else {
            softmaxBackwardRowLoop(dinp: dx, dout: dy, out: y, visible: visible, scale: scale)
        }
    }
}
