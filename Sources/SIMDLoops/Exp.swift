import Foundation

// e^x for the element-wise kernels (softmax, QuickGELU).
//
// libm's expf is accurate but a call per element, so a loop over it never vectorises.
// `kernelExp` for Float is a branch-free polynomial the compiler turns into SIMD code:
//   x = n ln2 + r, |r| <= ln2 / 2   (n = round(x / ln2), r by Cody-Waite in two parts)
//   e^r ~ sum_{k<=7} r^k / k!       (truncation error < 3e-9 relative)
//   e^x = e^r * 2^(n1) * 2^(n2)     (n split in two so both factors stay normal)
// Every lane runs the same operations (no fused multiply-add: the package targets
// baseline x86-64), so a value's result does not depend on where a loop's SIMD body
// ends and its scalar remainder begins. Maximum error about 1.2 ulp over the whole
// float range, subnormal results included; +inf above 88.72, 0 below -103.97.

// MARK: - The element type

/// The element types of the loops here: `Float` (training) and `Double` (finite-difference
/// gradient checks).
public protocol LoopFloat: BinaryFloatingPoint, SIMDScalar {
    /// e^x as softmax and QuickGELU compute it: for Float ``Float/vectorizableExp(_:)``
    /// (about 1.2 ulp, vectorises), for Double libm's exp.
    static func kernelExp(_ x: Self) -> Self
    /// The square root.
    static func kernelSqrt(_ x: Self) -> Self
}

extension Double: LoopFloat {
    @inlinable @inline(__always)
    public static func kernelExp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable @inline(__always)
    public static func kernelSqrt(_ x: Double) -> Double { x.squareRoot() }
}

// MARK: - Float

extension Float: LoopFloat {
    @inlinable @inline(__always)
    public static func kernelExp(_ x: Float) -> Float { vectorizableExp(x) }
    @inlinable @inline(__always)
    public static func kernelSqrt(_ x: Float) -> Float { x.squareRoot() }
}

extension Float {
    /// e^x to about 1.2 ulp, branch-free so that loops over it vectorise (see the file header).
    @inlinable @inline(__always)
    public static func vectorizableExp(_ x0: Float) -> Float {
        let x = Swift.min(Swift.max(x0, -104), 89)
        let magic: Float = 12_582_912            // 1.5 * 2^23: adding it rounds to an integer
        let t = x * 1.442_695_04 + magic         // round(x / ln 2), kept in t's low bits
        let n = t - magic
        var r = x - n * 0.693_145_751_953_125    // ln 2, high part (exact product for |n| < 2^9)
        r = r - n * 1.428_606_765_330_187e-06    // ln 2, low part
        var p: Float = 1.984_127_011_382_952_3e-4   // 1/7!
        p = p * r + 1.388_888_922_519_981_9e-3      // 1/6!
        p = p * r + 8.333_333_767_950_535e-3        // 1/5!
        p = p * r + 4.166_666_790_843_01e-2         // 1/4!
        p = p * r + 0.166_666_671_633_720_4         // 1/3!
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let ni = Int32(bitPattern: t.bitPattern) &- Int32(bitPattern: magic.bitPattern)
        let n1 = ni &>> 1, n2 = ni &- n1
        let s1 = Float(bitPattern: UInt32(bitPattern: (n1 &+ 127) &<< 23))
        let s2 = Float(bitPattern: UInt32(bitPattern: (n2 &+ 127) &<< 23))
        var y = p * s1 * s2
        y = x0 > 88.722_839 ? .infinity : y
        y = x0 < -103.972_08 ? 0 : y
        return y
    }
}
