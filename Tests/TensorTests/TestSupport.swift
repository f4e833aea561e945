import Testing
import TestSupport
@testable import Tensor

/// Central finite differences of `loss` at `x` (step h), one coordinate at a time.
func finiteDifferenceGradient(_ x: [Double], h: Double = 1e-6, _ loss: ([Double]) -> Double) -> [Double] {
    var g = [Double](repeating: 0, count: x.count)
    var xp = x
    for i in x.indices {
        xp[i] = x[i] + h; let up = loss(xp)
        xp[i] = x[i] - h; let down = loss(xp)
        xp[i] = x[i]
        g[i] = (up - down) / (2 * h)
    }
    return g
}

/// `sum(a * b)`.
func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

/// Runs `body` with mutable pointers to copies of the arrays and returns the copies.
func withPointers(_ arrays: inout [[Double]], _ body: ([UnsafeMutablePointer<Double>]) -> Void) {
    let bufs = arrays.map { a -> UnsafeMutablePointer<Double> in
        let p = UnsafeMutablePointer<Double>.allocate(capacity: max(a.count, 1))
        p.initialize(repeating: 0, count: max(a.count, 1))
        a.withUnsafeBufferPointer { if let base = $0.baseAddress { p.update(from: base, count: a.count) } }
        return p
    }
    body(bufs)
    for i in arrays.indices {
        arrays[i] = Array(UnsafeBufferPointer(start: bufs[i], count: arrays[i].count))
        bufs[i].deallocate()
    }
}

/// Checks a kernel's backward against central finite differences in Double.
///
/// The scalar tested is `L(inputs) = sum(forward(inputs) * R)` with a fixed random `R`;
/// `backward(inputs, R)` must return dL/d(input) for each input (an empty array skips
/// that input, e.g. labels or saved values). Returns the normwise error per input.
func gradientCheck(_ inputs: [[Double]], seed: UInt64 = 99,
                   forward: ([[Double]]) -> [Double],
                   backward: ([[Double]], [Double]) -> [[Double]]) -> [Double] {
    var rng = TestRNG(seed: seed)
    let r = rng.doubles(forward(inputs).count)
    let analytic = backward(inputs, r)
    var errors: [Double] = []
    for (i, g) in analytic.enumerated() where !g.isEmpty {
        let fd = finiteDifferenceGradient(inputs[i]) { xi in
            var perturbed = inputs
            perturbed[i] = xi
            return dot(forward(perturbed), r)
        }
        errors.append(normwiseError(g, fd))
    }
    return errors
}

/// Allocates a zeroed Double buffer of `n` elements for a kernel's output; returns its contents.
func output(_ n: Int, _ body: (UnsafeMutablePointer<Double>) -> Void) -> [Double] {
    var a = [Double](repeating: 0, count: n)
    a.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    return a
}
