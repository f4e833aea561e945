// The inner loops of the element-wise kernels, written once: generic and always inlined, so
// that every module that calls them compiles them for its own target. Tensor compiles them
// for baseline x86-64 (SSE2, four float lanes); SIMDLoopsAVX2 and SIMDLoopsAVX512 compile
// the same code for AVX2 (eight lanes) and AVX-512 (sixteen), and Tensor calls the richest
// copy the CPU runs (``SIMDLevel``). Each lane does the same operations in the same order (no
// fused multiply-add is formed), so every copy gives bitwise the same results. The kernels in Tensor split the work over
// threads; a loop here sees one contiguous range.

// MARK: - QuickGELU: u * sigmoid(1.702 u)

/// `out[i] = x / (1 + e^(-1.702 x))`, `x = inp[i]`, for `i < count`.
@inlinable @inline(__always)
public func quickGeluForwardLoop<T: LoopFloat>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, count: Int) {
    for i in 0..<count {
        let x = inp[i]
        out[i] = x / (1 + T.kernelExp(-1.702 * x))
    }
}

/// `dinp[i] (+)= dout[i] * (s + 1.702 x s (1 - s))`, `s = sigmoid(1.702 x)`, for `i < count`.
@inlinable @inline(__always)
public func quickGeluBackwardLoop<T: LoopFloat>(dinp: UnsafeMutablePointer<T>, dout: UnsafePointer<T>,
                                                inp: UnsafePointer<T>, count: Int, accumulate: Bool) {
    quickGeluBackwardLoop(dinp: dinp, dout: dout, inp: inp, count: count, accumulate: accumulate) { i, x in
        1 / (1 + T.kernelExp(-1.702 * x))
    }
}

/// ``quickGeluBackwardLoop(dinp:dout:inp:count:accumulate:)`` given the forward's output
/// `out` as well: `s = out / x` (1/2 at x = 0) is the forward's sigmoid to two roundings,
/// without a second exponential.
@inlinable @inline(__always)
public func quickGeluBackwardLoop<T: LoopFloat>(dinp: UnsafeMutablePointer<T>, dout: UnsafePointer<T>,
                                                inp: UnsafePointer<T>, out: UnsafePointer<T>, count: Int,
                                                accumulate: Bool) {
    quickGeluBackwardLoop(dinp: dinp, dout: dout, inp: inp, count: count, accumulate: accumulate) { i, x in
        x == 0 ? 0.5 : out[i] / x
    }
}

/// QuickGELU's derivative at x given `s = sigmoid(1.702 x)`: `s + 1.702 x s (1 - s)`.
@inlinable @inline(__always)
func quickGeluSlope<T: LoopFloat>(_ x: T, sigmoid s: T) -> T { s + 1.702 * x * s * (1 - s) }

/// ``quickGeluForwardLoop(out:inp:count:)`` that also writes QuickGELU's derivative at each
/// `x` into `slope`, its sigmoid recovered from the output as the backward given `out` does
/// (``quickGeluBackwardLoop(dinp:dout:inp:out:count:accumulate:)``): `dout[i] * slope[i]` is
/// that backward's gradient, bit for bit.
@inlinable @inline(__always)
public func quickGeluForwardLoop<T: LoopFloat>(out: UnsafeMutablePointer<T>, slope: UnsafeMutablePointer<T>,
                                               inp: UnsafePointer<T>, count: Int) {
    for i in 0..<count {
        let x = inp[i], y = x / (1 + T.kernelExp(-1.702 * x))
        out[i] = y
        slope[i] = quickGeluSlope(x, sigmoid: x == 0 ? 0.5 : y / x)
    }
}

/// The two backwards' loop, with `sigmoid(i, x)` giving sigmoid(1.702 x) for element i.
@inlinable @inline(__always)
func quickGeluBackwardLoop<T: LoopFloat>(dinp: UnsafeMutablePointer<T>, dout: UnsafePointer<T>,
                                         inp: UnsafePointer<T>, count: Int, accumulate: Bool,
                                         sigmoid: (Int, T) -> T) {
    @inline(__always) func grad(_ i: Int) -> T {
        let x = inp[i]
        return dout[i] * quickGeluSlope(x, sigmoid: sigmoid(i, x))
    }
    if accumulate {
        for i in 0..<count { dinp[i] += grad(i) }
    } else {
        for i in 0..<count { dinp[i] = grad(i) }
    }
}

// MARK: - Softmax rows

/// One row: `y[j] = e^(scale x[j] - max) / sum` for `j < visible`, 0 for `visible <= j < cols`
/// (y may be x).
@inlinable @inline(__always)
public func softmaxRowLoop<T: LoopFloat>(out y: UnsafeMutablePointer<T>, inp x: UnsafePointer<T>,
                                         visible: Int, cols: Int, scale: T) {
    var mx = -T.infinity
    if scale > 0 {
        mx = scale * rowMax(x, visible)   // rounding is monotonic: the same as max(scale * x)
    } else {
        for j in 0..<visible { mx = Swift.max(mx, scale * x[j]) }
    }
    // In place gets its own loop: the compiler's overlap check would send it to scalar code.
    if UnsafePointer(y) == x {
        for j in 0..<visible { y[j] = T.kernelExp(scale * y[j] - mx) }
    } else {
        for j in 0..<visible { y[j] = T.kernelExp(scale * x[j] - mx) }
    }
    let s = rowSum(visible) { y[$0] }
    let inv = visible > 0 ? 1 / s : 0
    for j in 0..<visible { y[j] *= inv }
    for j in visible..<cols { y[j] = 0 }
}

/// One row of the softmax backward: `dx[j] += scale y[j] (dy[j] - sum_j dy y)`, `j < visible`.
@inlinable @inline(__always)
public func softmaxBackwardRowLoop<T: LoopFloat>(dinp dx: UnsafeMutablePointer<T>, dout dy: UnsafePointer<T>,
                                                 out y: UnsafePointer<T>, visible: Int, scale: T) {
    let dot = rowSum(visible) { dy[$0] * y[$0] }
    for j in 0..<visible { dx[j] += scale * y[j] * (dy[j] - dot) }
}

// MARK: - LayerNorm rows

/// One row of `c` values: `y = (x - mean) rstd weight + bias`, biased variance; returns
/// (mean, rstd).
@inlinable @inline(__always)
public func layerNormRowLoop<T: LoopFloat>(out y: UnsafeMutablePointer<T>, inp x: UnsafePointer<T>,
                                           weight: UnsafePointer<T>, bias: UnsafePointer<T>,
                                           c: Int, eps: T) -> (mean: T, rstd: T) {
    let invC = 1 / T(c)
    let m = rowSum(c) { x[$0] } * invC
    let v = rowSum(c) { let d = x[$0] - m; return d * d }
    let rs = 1 / T.kernelSqrt(v * invC + eps)
    for i in 0..<c { y[i] = (x[i] - m) * rs * weight[i] + bias[i] }
    return (m, rs)
}

/// One row of the LayerNorm backward with `g = dy weight`:
/// `dx += rstd (g - mean(g) - xhat mean(g xhat))`, and, when given, `dweight += dy xhat`,
/// `dbias += dy`.
@inlinable @inline(__always)
public func layerNormBackwardRowLoop<T: LoopFloat>(dinp dx: UnsafeMutablePointer<T>,
                                                   dweight: UnsafeMutablePointer<T>?,
                                                   dbias: UnsafeMutablePointer<T>?,
                                                   dout dy: UnsafePointer<T>, inp x: UnsafePointer<T>,
                                                   weight: UnsafePointer<T>, mean m: T, rstd rs: T, c: Int) {
    let invC = 1 / T(c)
    let gMean = rowSum(c) { dy[$0] * weight[$0] } * invC
    let gxMean = rowSum(c) { dy[$0] * weight[$0] * ((x[$0] - m) * rs) } * invC
    if dweight == nil && dbias == nil {
        for i in 0..<c {
            let xhat = (x[i] - m) * rs
            dx[i] += rs * (dy[i] * weight[i] - gMean - xhat * gxMean)
        }
        return
    }
    for i in 0..<c {
        let xhat = (x[i] - m) * rs
        let g = dy[i] * weight[i]
        dx[i] += rs * (g - gMean - xhat * gxMean)
        if let dweight { dweight[i] += dy[i] * xhat }
        if let dbias { dbias[i] += dy[i] }
    }
}

// MARK: - bfloat16 rounding

/// `x` rounded to the nearest bfloat16 (ties to even), as its bit pattern; NaN stays NaN.
@inlinable @inline(__always)
public func bfloat16Bits(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }  // quiet NaN
    return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
}

/// Rounds `count` floats to bfloat16 bit patterns, to nearest with ties to even (NaN stays a
/// quiet NaN), sixteen lanes at a time.
@inlinable @inline(__always)
public func bfloat16RoundLoop(_ out: UnsafeMutablePointer<UInt16>, _ inp: UnsafePointer<Float>, count: Int) {
    typealias Lanes = SIMD16<UInt32>
    let half = Lanes(repeating: 0x7FFF), one = Lanes(repeating: 1), magnitude = Lanes(repeating: 0x7FFF_FFFF)
    let infinity = Lanes(repeating: 0x7F80_0000), quiet = Lanes(repeating: 0x40)
    let raw = UnsafeRawPointer(inp)
    var c = 0
    while c + 16 <= count {
        let bits = (raw + c * 4).loadUnaligned(as: Lanes.self)
        var rounded = (bits &+ half &+ ((bits &>> 16) & one)) &>> 16
        rounded.replace(with: (bits &>> 16) | quiet, where: (bits & magnitude) .> infinity)
        UnsafeMutableRawPointer(out + c).storeBytes(of: SIMD16<UInt16>(truncatingIfNeeded: rounded),
                                                    toByteOffset: 0, as: SIMD16<UInt16>.self)
        c += 16
    }
    while c < count {
        out[c] = bfloat16Bits(inp[c])
        c += 1
    }
}

// MARK: - Small matrix products

/// `C[m, n] = alpha op(A) op(B) + beta C`, row-major with row strides as stored (BLAS's
/// meaning: beta 0 overwrites C), for products so small that a BLAS call costs more than its
/// arithmetic (attention over a few tokens: 5 x 5 x 64). With B transposed each element is a
/// dot product along contiguous rows, four columns at a time (``dotProducts(_:_:_:_:_:count:)``);
/// otherwise each row of C accumulates rows of B scaled by A's elements, eight columns at a time.
@inlinable @inline(__always)
public func smallGemmLoop<T: LoopFloat>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: T,
                                        a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
                                        beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
    if transB && !transA {
        for i in 0..<m {
            let ai = a + i * lda, ci = c + i * ldc
            @inline(__always) func store(_ j: Int, _ s: T) { ci[j] = beta == 0 ? alpha * s : alpha * s + beta * ci[j] }
            var j = 0
            while j + 4 <= n {
                let s = dotProducts(ai, b + j * ldb, b + (j + 1) * ldb, b + (j + 2) * ldb, b + (j + 3) * ldb, count: k)
                store(j, s.0); store(j + 1, s.1); store(j + 2, s.2); store(j + 3, s.3)
                j += 4
            }
            while j < n {
                store(j, dotProducts(ai, b + j * ldb, b + j * ldb, b + j * ldb, b + j * ldb, count: k).0)
                j += 1
            }
        }
        return
    }
    for i in 0..<m {
        let ci = c + i * ldc
        if transB {
            for j in 0..<n {
                let bj = b + j * ldb
                let s = rowSum(k) { a[$0 * lda + i] * bj[$0] }
                ci[j] = beta == 0 ? alpha * s : alpha * s + beta * ci[j]
            }
        } else {
            // Eight columns at a time held in registers while p runs; the tail the same way
            // one by one: every element is beta C (or 0) plus its terms in order p = 0, 1, ...
            typealias V = SIMD8<T>
            var j = 0
            while j + 8 <= n {
                var acc = beta == 0 ? V() : UnsafeRawPointer(ci + j).loadUnaligned(as: V.self)
                if beta != 0 && beta != 1 { acc *= beta }
                for p in 0..<k {
                    let x = alpha * (transA ? a[p * lda + i] : a[i * lda + p])
                    acc += x * UnsafeRawPointer(b + p * ldb + j).loadUnaligned(as: V.self)
                }
                UnsafeMutableRawPointer(ci + j).storeBytes(of: acc, as: V.self)
                j += 8
            }
            while j < n {
                var acc = beta == 0 ? 0 : beta == 1 ? ci[j] : ci[j] * beta
                for p in 0..<k { acc += alpha * (transA ? a[p * lda + i] : a[i * lda + p]) * b[p * ldb + j] }
                ci[j] = acc
                j += 1
            }
        }
    }
}

/// `sum_p x[p] y_q[p]` for q = 0 ..< 4, `p < count`: four independent accumulators of eight
/// lanes (term p in lane p % 8, the tail in lane 0), each combined in the same fixed tree, so
/// a result depends only on its two rows.
@inlinable @inline(__always)
public func dotProducts<T: LoopFloat>(_ x: UnsafePointer<T>, _ y0: UnsafePointer<T>, _ y1: UnsafePointer<T>,
                                      _ y2: UnsafePointer<T>, _ y3: UnsafePointer<T>, count: Int) -> (T, T, T, T) {
    typealias V = SIMD8<T>
    @inline(__always) func load(_ p: UnsafePointer<T>, _ i: Int) -> V {
        UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
    }
    var s0 = V(), s1 = V(), s2 = V(), s3 = V()
    var i = 0
    while i + 8 <= count {
        let xv = load(x, i)
        s0 += xv * load(y0, i); s1 += xv * load(y1, i); s2 += xv * load(y2, i); s3 += xv * load(y3, i)
        i += 8
    }
    while i < count {
        s0[0] += x[i] * y0[i]; s1[0] += x[i] * y1[i]; s2[0] += x[i] * y2[i]; s3[0] += x[i] * y3[i]
        i += 1
    }
    @inline(__always) func total(_ v: V) -> T { ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7])) }
    return (total(s0), total(s1), total(s2), total(s3))
}
