
// Element-wise activations and the residual connection. The large ones (QuickGELU,
// residual) split their elements over ``KernelThreads`` (see Parallel.swift); QuickGELU's
// loops are SIMDLoops' (for Float, the richest compiled copy the CPU runs: ``SIMDLevel``).

// MARK: - QuickGELU: u * sigmoid(1.702 u)

/// `out = inp * sigmoid(1.702 * inp)` (OpenAI CLIP's activation). - Parameters: n elements.
@_specialize(exported: true, where T == Float)
public func quickGeluForward<T: KernelFloat>(out: UnsafeMutablePointer<T>,
                                             inp: UnsafePointer<T>, n: Int) {
    parallelFor(n, grain: elementwiseGrain) { range in
        let lo = range.lowerBound
        if let fast = SIMDLevel.loops(for: T.self) {
            fast.quickGeluForward(out: floats(out) + lo, inp: floats(inp) + lo, count: range.count)
        } else {
            quickGeluForwardLoop(out: out + lo, inp: inp + lo, count: range.count)
        }
    }
}

/// Accumulates `dinp += dout * (s + 1.702 * x * s * (1 - s))`, `s = sigmoid(1.702 x)`
/// (with `accumulate: false`, `dinp =`: no need to zero a fresh buffer). Given the forward's
/// output `out`, s is recovered as `out / x` instead of from a second exponential.
@_specialize(exported: true, where T == Float)
public func quickGeluBackward<T: KernelFloat>(dinp: UnsafeMutablePointer<T>,
                                              dout: UnsafePointer<T>, inp: UnsafePointer<T>,
                                              out: UnsafePointer<T>? = nil, n: Int, accumulate: Bool = true) {
    parallelFor(n, grain: elementwiseGrain) { range in
        let lo = range.lowerBound
        switch (out, SIMDLevel.loops(for: T.self)) {
        case let (out?, fast?):
            fast.quickGeluBackward(dinp: floats(dinp) + lo, dout: floats(dout) + lo, inp: floats(inp) + lo,
                                   out: floats(out) + lo, count: range.count, accumulate: accumulate)
        case let (out?, nil):
            quickGeluBackwardLoop(dinp: dinp + lo, dout: dout + lo, inp: inp + lo, out: out + lo, count: range.count,
                                  accumulate: accumulate)
        case let (nil, fast?):
            fast.quickGeluBackward(dinp: floats(dinp) + lo, dout: floats(dout) + lo, inp: floats(inp) + lo,
                                   count: range.count, accumulate: accumulate)
        case (nil, nil):
            quickGeluBackwardLoop(dinp: dinp + lo, dout: dout + lo, inp: inp + lo, count: range.count,
                                  accumulate: accumulate)
        }
    }
}

// MARK: - QuickGELU with its result rounded for a bfloat16 product

/// QuickGELU for a bfloat16 product, with what its backward needs kept: `rounded` gets the
/// result rounded to bfloat16 (the next product's operand: the bits
/// ``convertToBFloat16(_:from:rows:columns:sourceStride:)`` gives of ``quickGeluForward(out:inp:n:)``'s
/// result; no float32 copy is written), `slope` the derivative at each input, so that the
/// gradient at the input is `dout * slope`: the bits of
/// ``quickGeluBackward(dinp:dout:inp:out:n:accumulate:)`` given the float32 result, without
/// reading the input or the result again (the backward fuses it into a product:
/// ``linearInputBackward(roundedDinp:dout:weight:scaledBy:n:inFeatures:outFeatures:)``).
public func quickGeluForward(rounded: UnsafeMutablePointer<UInt16>, slope: UnsafeMutablePointer<Float>,
                             inp: UnsafePointer<Float>, n: Int) {
    parallelFor(n, grain: elementwiseGrain) { range in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: roundingPiece) { piece in
            let out = piece.baseAddress!
            var lo = range.lowerBound
            while lo < range.upperBound {   // a piece's results are rounded while in the first-level cache
                let count = Swift.min(roundingPiece, range.upperBound - lo)
                if let fast = SIMDLevel.loops {
                    fast.quickGeluForward(out: out, slope: slope + lo, inp: inp + lo, count: count)
                } else {
                    quickGeluForwardLoop(out: out, slope: slope + lo, inp: inp + lo, count: count)
                }
                convertToBFloat16(rounded + lo, from: out, rows: 1, columns: count, sourceStride: count)
                lo += count
            }
        }
    }
}

/// Elements per piece of ``quickGeluForward(rounded:slope:inp:n:)``.
let roundingPiece = 1024

// MARK: - ReLU

/// `out = max(inp, 0)`.
@_specialize(exported: true, where T == Float)
public func reluForward<T: KernelFloat>(out: UnsafeMutablePointer<T>,
                                        inp: UnsafePointer<T>, n: Int) {
    for i in 0..<n { out[i] = inp[i] > 0 ? inp[i] : 0 }
}

/// Accumulates `dinp += dout` where `inp > 0` (the subgradient at 0 is 0, as PyTorch).
@_specialize(exported: true, where T == Float)
public func reluBackward<T: KernelFloat>(dinp: UnsafeMutablePointer<T>,
                                         dout: UnsafePointer<T>, inp: UnsafePointer<T>,
                                         n: Int) {
    for i in 0..<n where inp[i] > 0 { dinp[i] += dout[i] }
}

// MARK: - Residual add

/// `out = a + b` (out may alias a or b).
@_specialize(exported: true, where T == Float)
public func residualForward<T: KernelFloat>(out: UnsafeMutablePointer<T>,
                                            a: UnsafePointer<T>, b: UnsafePointer<T>, n: Int) {
    parallelFor(n, grain: 4 * elementwiseGrain) { range in
        for i in range { out[i] = a[i] + b[i] }
    }
}

/// Accumulates `da += dout` and `db += dout`.
@_specialize(exported: true, where T == Float)
public func residualBackward<T: KernelFloat>(da: UnsafeMutablePointer<T>,
                                             db: UnsafeMutablePointer<T>,
                                             dout: UnsafePointer<T>, n: Int) {
    parallelFor(n, grain: 4 * elementwiseGrain) { range in
        for i in range { da[i] += dout[i]; db[i] += dout[i] }
    }
}
