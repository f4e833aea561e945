import COpenBLAS
import Foundation
@_exported import SIMDLoops

/// The element types the kernels are written for: `Float` for training, `Double`
/// for finite-difference gradient checks. Every kernel is generic over it and is
/// pre-specialised for `Float` so callers in other modules get the fast path.
public protocol KernelFloat: LoopFloat {
    static func exp(_ x: Self) -> Self
    static func sqrt(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    /// Row-major GEMM through CBLAS (see ``gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``).
    static func cblasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE,
                          _ m: Int32, _ n: Int32, _ k: Int32, _ alpha: Self,
                          _ a: UnsafePointer<Self>, _ lda: Int32,
                          _ b: UnsafePointer<Self>, _ ldb: Int32, _ beta: Self,
                          _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
}

extension Float: KernelFloat {
    public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    public static func sqrt(_ x: Float) -> Float { x.squareRoot() }
    public static func log(_ x: Float) -> Float { Foundation.log(x) }
    public static func cblasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE,
                                 _ m: Int32, _ n: Int32, _ k: Int32, _ alpha: Float,
                                 _ a: UnsafePointer<Float>, _ lda: Int32,
                                 _ b: UnsafePointer<Float>, _ ldb: Int32, _ beta: Float,
                                 _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_sgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

extension Double: KernelFloat {
    public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    public static func sqrt(_ x: Double) -> Double { x.squareRoot() }
    public static func log(_ x: Double) -> Double { Foundation.log(x) }
    public static func cblasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE,
                                 _ m: Int32, _ n: Int32, _ k: Int32, _ alpha: Double,
                                 _ a: UnsafePointer<Double>, _ lda: Int32,
                                 _ b: UnsafePointer<Double>, _ ldb: Int32, _ beta: Double,
                                 _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}
