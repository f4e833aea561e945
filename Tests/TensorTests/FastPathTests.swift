import Foundation
import Testing
import TestSupport
@testable import Tensor

/// The pieces that make the Float kernels fast: the vectorisable exp against libm, and
/// the parallel kernels against themselves on one thread (bitwise).
@Suite struct FastPathTests {
    /// |a - exact| in units of the last place of the float nearest `exact`.
    static func ulps(_ a: Float, _ exact: Double) -> Double {
        let e = Float(exact)
        if e.isInfinite { return a == e ? 0 : .infinity }
        let unit = e == 0 ? Double(Float.leastNonzeroMagnitude) : Double(e.ulp)
        return abs(Double(a) - exact) / unit
    }

    @Test func vectorizableExpIsWithinOnePointTwoFiveUlp() {
        // A dense sweep over the whole domain where exp is finite and nonzero, plus the
        // reduction's edge cases (multiples of ln 2 / 2), against libm in Double.
        var worst = 0.0, at: Float = 0
        func check(_ x: Float) {
            let u = Self.ulps(Float.vectorizableExp(x), Foundation.exp(Double(x)))
            if u > worst { worst = u; at = x }
        }
        let n = 2_000_000
        for i in 0...n { check(-103.9 + 192.6 * Float(i) / Float(n)) }
        for k in -300...256 {
            let x = Float(Double(k) * log(2.0) / 2)
            for y in [x.nextDown, x, x.nextUp] where y > -103.9 && y < 88.72 { check(y) }
        }
        for x: Float in [0, -0.0, 1e-30, -1e-30, 1e-7, 0.5, 1, -1, 20, -20, 88.7, -87.3, -100] { check(x) }
        #expect(worst <= 1.25, "max error \(worst) ulp at \(at)")
    }

    @Test func vectorizableExpSpecialValues() {
        #expect(Float.vectorizableExp(0) == 1)
        #expect(Float.vectorizableExp(89) == .infinity && Float.vectorizableExp(.infinity) == .infinity)
        #expect(Float.vectorizableExp(-104) == 0 && Float.vectorizableExp(-.infinity) == 0)
        #expect(Float.vectorizableExp(.nan).isNaN)
        #expect(Float.vectorizableExp(88.72) == Float(Foundation.exp(Double(88.72 as Float))))
    }

    /// Runs `kernel` with 1 thread and with `threads` threads and returns whether the
    /// outputs are bitwise equal.
    static func sameBits(threads: Int, _ kernel: () -> [Float]) -> Bool {
        let one = KernelThreads.$override.withValue(1) { kernel() }
        let many = KernelThreads.$override.withValue(threads) { kernel() }
        return one.count == many.count && zip(one, many).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    @Test(arguments: [2, 3, 7])
    func elementwiseKernelsDoNotDependOnThreadCount(threads: Int) {
        var rng = TestRNG(seed: 5)
        let n = 3 * elementwiseGrain + 13, c = 96, rows = n / c
        let x = rng.floats(n, scale: 6), y = rng.floats(n), w = rng.floats(c), b = rng.floats(c)
        #expect(Self.sameBits(threads: threads) {
            var out = [Float](repeating: 0, count: n)
            quickGeluForward(out: &out, inp: x, n: n)
            return out
        })
        #expect(Self.sameBits(threads: threads) {
            var d = y
            quickGeluBackward(dinp: &d, dout: y, inp: x, n: n)
            return d
        })
        #expect(Self.sameBits(threads: threads) {
            var out = [Float](repeating: 0, count: rows * c), mean = [Float](repeating: 0, count: rows)
            var rstd = mean
            layerNormForward(out: &out, mean: &mean, rstd: &rstd, inp: x, weight: w, bias: b, n: rows, c: c)
            var dx = y
            layerNormBackward(dinp: &dx, dweight: nil, dbias: nil, dout: y, inp: x, weight: w,
                              mean: mean, rstd: rstd, n: rows, c: c)
            return out + mean + rstd + dx
        })
        #expect(Self.sameBits(threads: threads) {
            var out = [Float](repeating: 0, count: n), da = x, db = y
            residualForward(out: &out, a: x, b: y, n: n)
            residualBackward(da: &da, db: &db, dout: y, n: n)
            return out + da + db
        })
    }
}
