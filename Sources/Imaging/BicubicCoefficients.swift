import Foundation

// MARK: - Filter

/// Pillow's bicubic kernel (Resample.c `bicubic_filter`, a = -0.5), support 2.
@inline(__always)
func bicubicKernel(_ value: Double) -> Double {
    let a = -0.5
    let x = value < 0 ? -value : value
    if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
    if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
    return 0.0
}

/// Fixed-point precision of Pillow's 8-bit resampling (`PRECISION_BITS = 32 - 8 - 2`).
let resamplePrecisionBits: Int32 = 22

// MARK: - BicubicAxis

/// One axis of Pillow's 8-bit bicubic resampling: for every output index the first input
/// index, the number of taps and their fixed-point weights.
///
/// Mirrors `precompute_coeffs` + `normalize_coeffs_8bpc` (Pillow src/libImaging/Resample.c)
/// operation for operation in double precision, so the integer weights are identical:
/// `scale = in / out`, `filterscale = max(scale, 1)`, `support = 2 * filterscale`,
/// `center = (i + 0.5) * scale`, window `[Int(center - support + 0.5), Int(center + support + 0.5))`
/// clipped to the input, weights `k(x) = cubic((x - center + 0.5) * (1 / filterscale))`
/// divided by their sum, then `Int(k * 2^22 ± 0.5)`.
struct BicubicAxis: Sendable {
    /// Input length along this axis.
    let inSize: Int
    /// Output length along this axis.
    let outSize: Int
    /// Stride of `weights` per output index (Pillow's `ksize`).
    let taps: Int
    /// First input index read by each output index.
    let starts: [Int32]
    /// Number of input indices read by each output index (at most `taps`).
    let counts: [Int32]
    /// `outSize * taps` fixed-point weights (unused tail entries are 0).
    let weights: [Int32]

    /// Computes the table for resampling `inSize` samples to `outSize`.
    init(inSize: Int, outSize: Int) {
        precondition(inSize > 0 && outSize > 0, "BicubicAxis: sizes must be positive (\(inSize) -> \(outSize))")
        self.inSize = inSize
        self.outSize = outSize
        // Pillow: `(double)(in1 - in0) / outSize` with float box edges in0 = 0, in1 = inSize.
        let scale = Double(Float(inSize) - Float(0)) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = 2.0 * filterScale
        let taps = Int(support.rounded(.up)) * 2 + 1
        self.taps = taps
        let inverseScale = 1.0 / filterScale

        var starts = [Int32](repeating: 0, count: outSize)
        var counts = [Int32](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * taps)
        var kernel = [Double](repeating: 0, count: taps)
        let unit = Double(1 << resamplePrecisionBits)
        for xx in 0..<outSize {
            let center = 0.0 + (Double(xx) + 0.5) * scale
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inSize) - xmin
            var sum = 0.0
            for x in 0..<xmax {
                let w = bicubicKernel((Double(x + xmin) - center + 0.5) * inverseScale)
                kernel[x] = w
                sum += w
            }
            for x in 0..<xmax {
                let k = sum != 0.0 ? kernel[x] / sum : kernel[x]
                weights[xx * taps + x] = k < 0 ? Int32(-0.5 + k * unit) : Int32(0.5 + k * unit)
            }
            starts[xx] = Int32(xmin)
            counts[xx] = Int32(xmax)
        }
        self.starts = starts
        self.counts = counts
        self.weights = weights
    }

    /// The input range `[lower, upper)` read by output indices `range`.
    func inputSpan(of range: Range<Int>) -> Range<Int> {
        let first = Int(starts[range.lowerBound])
        let last = range.upperBound - 1
        return first..<(Int(starts[last]) + Int(counts[last]))
    }
}

// MARK: - Cache

/// Coefficient tables shared across threads, keyed by (input size, output size).
///
/// Datasets repeat a few image sizes, so test-time resizing mostly hits the cache; the
/// table is bounded and simply emptied when full.
final class BicubicAxisCache: @unchecked Sendable {
    static let shared = BicubicAxisCache()

    private struct Key: Hashable {
        let inSize: Int
        let outSize: Int
    }

    private let lock = NSLock()
    private var tables: [Key: BicubicAxis] = [:]
    private let capacity = 1024

    /// The table for `inSize -> outSize`, computed on first use.
    func axis(inSize: Int, outSize: Int) -> BicubicAxis {
        let key = Key(inSize: inSize, outSize: outSize)
        lock.lock()
        if let found = tables[key] {
            lock.unlock()
            return found
        }
        lock.unlock()
        let made = BicubicAxis(inSize: inSize, outSize: outSize)
        lock.lock()
        if tables.count >= capacity { tables.removeAll(keepingCapacity: true) }
        tables[key] = made
        lock.unlock()
        return made
    }
}
