/// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011):
/// a stateless generator mapping a 128-bit counter and a 64-bit key to 128 random bits.
///
/// Every random choice of the input pipeline is a pure function of (seed, purpose, epoch,
/// index, draw), so any rank can compute any sample's randomness without shared state,
/// and a resumed run needs only (epoch, step).
public struct Philox4x32: Sendable, Hashable {
    /// The key: the run's seed.
    public let key: (UInt32, UInt32)

    /// A generator keyed by a 64-bit seed (low word first).
    public init(seed: UInt64) {
        key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    /// Equality by key.
    public static func == (a: Philox4x32, b: Philox4x32) -> Bool { a.key == b.key }
    /// Hashes the key.
    public func hash(into h: inout Hasher) { h.combine(key.0); h.combine(key.1) }

    /// The 10-round Philox-4x32 block function for `counter` (c0, c1, c2, c3).
    public func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        Self.block(counter, key: key)
    }

    /// The block function with an explicit key (for known-answer tests).
    public static func block(_ counter: (UInt32, UInt32, UInt32, UInt32),
                             key: (UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        let m0: UInt64 = 0xD251_1F53, m1: UInt64 = 0xCD9E_8D57
        let w0: UInt32 = 0x9E37_79B9, w1: UInt32 = 0xBB67_AE85
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for round in 0..<10 {
            if round > 0 { k0 &+= w0; k1 &+= w1 }
            let p0 = m0 &* UInt64(c0), p1 = m1 &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        }
        return (c0, c1, c2, c3)
    }
}

/// What a stream of counter-based randomness is for; part of the counter so that streams
/// for different purposes never overlap.
public enum RandomPurpose: UInt32, Sendable {
    /// The per-epoch permutation of the training set.
    case permutation = 1
    /// Per-sample augmentation (crop, flip).
    case augmentation = 2
    /// Free for other users (e.g. dropout-like choices, tests).
    case other = 3
}

/// A sequence of random draws at one (seed, purpose, epoch, index) point: draw d reads the
/// Philox block with counter (d, index, epoch, purpose). Cheap to create; copying it
/// replays the same draws.
public struct CounterStream: Sendable {
    private let philox: Philox4x32
    private let index: UInt32, epoch: UInt32, purpose: UInt32
    /// The next block number to read.
    public private(set) var draw: UInt32

    /// The stream for (seed, purpose, epoch, index), starting at block `startDraw`.
    /// `epoch` and `index` must fit in 32 bits.
    public init(seed: UInt64, purpose: RandomPurpose, epoch: Int, index: Int, startDraw: UInt32 = 0) {
        precondition(epoch >= 0 && epoch <= Int(UInt32.max) && index >= 0 && index <= Int(UInt32.max),
                     "epoch and index must fit in 32 bits")
        philox = Philox4x32(seed: seed)
        self.epoch = UInt32(epoch)
        self.index = UInt32(index)
        self.purpose = purpose.rawValue
        draw = startDraw
    }

    /// The next 64 random bits (the first two words of the next block).
    public mutating func nextUInt64() -> UInt64 {
        let r = philox.block((draw, index, epoch, purpose))
        draw &+= 1
        return UInt64(r.0) << 32 | UInt64(r.1)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(nextUInt64() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A uniform double in [a, b) (torch's `uniform_(a, b)` semantics: a + (b - a) u).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double {
        a + (b - a) * nextDouble()
    }

    /// A uniform integer in 0..<n without bias (Lemire's multiply-and-reject). n > 0.
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0, "nextInt(below:) needs n > 0")
        let bound = UInt64(n)
        var product = nextUInt64().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = nextUInt64().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// A uniform integer in lo...hi (torch.randint(lo, hi + 1)). Requires lo <= hi.
    public mutating func nextInt(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + nextInt(below: range.upperBound - range.lowerBound + 1)
    }
}
