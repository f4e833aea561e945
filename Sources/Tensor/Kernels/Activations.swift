import SIMDLoopsAVX2

// Element-wise activations and the residual connection. The large ones (QuickGELU,
// residual) split their elements over ``KernelThreads`` (see Parallel.swift); QuickGELU's
// loops are SIMDLoops' (the AVX2 copy for Float where the CPU has it: ``SIMDLevel``).

// MARK: - QuickGELU: u * sigmoid(1.702 u)

/// `out = inp * sigmoid(1.702 * inp)` (OpenAI CLIP's activation). - Parameters: n elements.
@_specialize(exported: true, where T == Float)
public func quickGeluForward<T: KernelFloat>(out: UnsafeMutablePointer<T>,
                                             inp: UnsafePointer<T>, n: Int) {
    parallelFor(n, grain: elementwiseGrain) { range in
        let lo = range.lowerBound
        if T.self == Float.self, SIMDLevel.usesAVX2 {
            AVX2Loops.quickGeluForward(out: floats(out) + lo, inp: floats(inp) + lo, count: range.count)
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
        let lo = range.lowerBound, fast = T.self == Float.self && SIMDLevel.usesAVX2
        switch (out, fast) {
        case let (out?, true):
            AVX2Loops.quickGeluBackward(dinp: floats(dinp) + lo, dout: floats(dout) + lo, inp: floats(inp) + lo,
                                        out: floats(out) + lo, count: range.count, accumulate: accumulate)
        case let (out?, false):
            quickGeluBackwardLoop(dinp: dinp + lo, dout: dout + lo, inp: inp + lo, out: out + lo, count: range.count,
                                  accumulate: accumulate)
        case (nil, true):
            AVX2Loops.quickGeluBackward(dinp: floats(dinp) + lo, dout: floats(dout) + lo, inp: floats(inp) + lo,
                                        count: range.count, accumulate: accumulate)
        case (nil, false):
            quickGeluBackwardLoop(dinp: dinp + lo, dout: dout + lo, inp: inp + lo, count: range.count,
                                  accumulate: accumulate)
        }
    }
}

// MARK: - QuickGELU with its result rounded for a bfloat16 product

/// Elements per piece of the rounding variants: a piece's float32 results are rounded while
/// they are still in the first-level cache.
let roundingPiece = 1024

/// ``quickGeluForward(out:inp:n:)``, and its result rounded to bfloat16 into `rounded` in the
/// same pass (the next product's operand: the bits ``convertToBFloat16(_:from:rows:columns:sourceStride:)``
/// gives, without reading `out` again).
public func quickGeluForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int,
                             rounded: UnsafeMutablePointer<UInt16>) {
    parallelFor(n, grain: elementwiseGrain) { range in
        var lo = range.lowerBound
        while lo < range.upperBound {
            let count = Swift.min(roundingPiece, range.upperBound - lo)
            quickGeluForward(out: out + lo, inp: inp + lo, n: count)   // inline: under the piece's grain
            convertToBFloat16(rounded + lo, from: out + lo, rows: 1, columns: count, sourceStride: count)
            lo += count
        }
    }
}

/// ``quickGeluBackward(dinp:dout:inp:out:n:accumulate:)`` (overwriting) with the gradient
/// written only in bfloat16, as the next product reads it (the same bits as computing it in
/// float32 and rounding: each piece is rounded from a float32 scratch in cache).
public func quickGeluBackward(dinpBFloat16: UnsafeMutablePointer<UInt16>, dout: UnsafePointer<Float>,
                              inp: UnsafePointer<Float>, out: UnsafePointer<Float>, n: Int) {
    parallelFor(n, grain: elementwiseGrain) { range in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: roundingPiece) { piece in
            var lo = range.lowerBound
            while lo < range.upperBound {
                let count = Swift.min(roundingPiece, range.upperBound - lo)
                quickGeluBackward(dinp: piece.baseAddress!, dout: dout + lo, inp: inp + lo, out: out + lo, n: count,
                                  accumulate: false)
                convertToBFloat16(dinpBFloat16 + lo, from: piece.baseAddress!, rows: 1, columns: count,
                                  sourceStride: count)
                lo += count
            }
        }
    }
}

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
