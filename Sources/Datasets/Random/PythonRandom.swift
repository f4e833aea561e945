import Foundation

/// CPython's `random.Random` (3.11): the MT19937 generator with `seed(int)`, `random()`,
/// `getrandbits(k)`, `_randbelow(n)`, `sample`, `shuffle` and `choices`, bit for bit.
///
/// CoOp's few-shot subsets are drawn with Python's global `random` right after
/// `random.seed(cfg.SEED)`; replaying the same calls here reproduces them exactly.
public struct PythonRandom: Sendable {
    // MARK: - State

    private static let n = 624
    private static let m = 397
    private var mt = [UInt32](repeating: 0, count: 624)
    private var index = 625

    /// Seeds as `random.seed(seed)` does for an int: the absolute value's 32-bit words,
    /// least significant first, go to `init_by_array` (0 gives the single word 0).
    public init(seed: Int) {
        let magnitude = seed.magnitude
        var words: [UInt32] = [UInt32(truncatingIfNeeded: magnitude)]
        if magnitude >> 32 != 0 { words.append(UInt32(truncatingIfNeeded: magnitude >> 32)) }
        self.init(seedWords: words)
    }

    /// Seeds with the 32-bit words of an arbitrary non-negative integer, least significant
    /// first (Python's `random.seed(n)` for any int n; high zero words must be dropped,
    /// and zero itself is `[0]`).
    public init(seedWords: [UInt32]) {
        initGenrand(19_650_218)
        let key = seedWords.isEmpty ? [0] : seedWords
        var i = 1, j = 0
        for _ in 0..<max(Self.n, key.count) {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30)
            mt[i] = (mt[i] ^ (prev &* 1_664_525)) &+ key[j] &+ UInt32(truncatingIfNeeded: j)
            i += 1; j += 1
            if i >= Self.n { mt[0] = mt[Self.n - 1]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<(Self.n - 1) {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30)
            mt[i] = (mt[i] ^ (prev &* 1_566_083_941)) &- UInt32(truncatingIfNeeded: i)
            i += 1
            if i >= Self.n { mt[0] = mt[Self.n - 1]; i = 1 }
        }
        mt[0] = 0x8000_0000
        index = Self.n
    }

    private mutating func initGenrand(_ s: UInt32) {
        mt[0] = s
        for i in 1..<Self.n {
            mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i)
        }
        index = Self.n
    }

    private mutating func twist() {
        mt.withUnsafeMutableBufferPointer { s in
            let upper: UInt32 = 0x8000_0000, lower: UInt32 = 0x7FFF_FFFF, matrixA: UInt32 = 0x9908_B0DF
            for k in 0..<Self.n {
                let y = (s[k] & upper) | (s[(k + 1) % Self.n] & lower)
                s[k] = s[(k + Self.m) % Self.n] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : matrixA)
            }
        }
        index = 0
    }

    // MARK: - Raw outputs

    /// The next tempered 32-bit output (`genrand_uint32`).
    public mutating func nextUInt32() -> UInt32 {
        if index >= Self.n { twist() }
        var y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `random.random()`: a double in [0, 1) from 53 bits (27 + 26 of two outputs).
    public mutating func random() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `random.getrandbits(k)` for 0 <= k <= 64.
    public mutating func getrandbits(_ k: Int) -> UInt64 {
        precondition((0...64).contains(k), "getrandbits(k) is implemented for 0 <= k <= 64")
        let words = getrandbitsWords(k)
        var v: UInt64 = 0
        for (i, w) in words.enumerated() { v |= UInt64(w) << (32 * UInt64(i)) }
        return v
    }

    /// `random.getrandbits(k)` for any k >= 0 as 32-bit words, least significant first:
    /// each word is one output, the last one shifted right to keep only its top bits.
    public mutating func getrandbitsWords(_ k: Int) -> [UInt32] {
        precondition(k >= 0, "getrandbits(k) needs k >= 0")
        if k == 0 { return [] }
        if k <= 32 { return [nextUInt32() >> UInt32(32 - k)] }
        var out: [UInt32] = []
        var left = k
        while left > 0 {
            var r = nextUInt32()
            if left < 32 { r >>= UInt32(32 - left) }
            out.append(r)
            left -= 32
        }
        return out
    }

    /// `random._randbelow(n)` (`_randbelow_with_getrandbits`): draws `n.bit_length()`
    /// bits until the value is below n. Requires n > 0.
    public mutating func randbelow(_ n: Int) -> Int {
        precondition(n > 0, "randbelow(n) needs n > 0")
        let k = Int.bitWidth - n.leadingZeroBitCount
        var r = Int(getrandbits(k))
        while r >= n { r = Int(getrandbits(k)) }
        return r
    }

    // MARK: - Sequences

    /// `random.sample(population, k)` (CPython 3.11): a pool-based partial shuffle when
    /// n <= setsize (21, plus 4^ceil(log4(3k)) for k > 5), otherwise rejection against a
    /// set of chosen indices. Requires 0 <= k <= population.count.
    public mutating func sample<T>(_ population: [T], _ k: Int) -> [T] {
        sampleIndices(population.count, k).map { population[$0] }
    }

    /// The indices `random.sample(range(n), k)` returns, in selection order.
    public mutating func sampleIndices(_ n: Int, _ k: Int) -> [Int] {
        precondition(0 <= k && k <= n, "Sample larger than population or is negative")
        var result: [Int] = []
        result.reserveCapacity(k)
        if n <= Self.sampleSetSize(k) {
            var pool = Array(0..<n)
            for i in 0..<k {
                let j = randbelow(n - i)
                result.append(pool[j])
                pool[j] = pool[n - i - 1]
            }
        } else {
            var selected = Set<Int>(minimumCapacity: k)
            for _ in 0..<k {
                var j = randbelow(n)
                while selected.contains(j) { j = randbelow(n) }
                selected.insert(j)
                result.append(j)
            }
        }
        return result
    }

    /// CPython's threshold between the two `sample` algorithms for k selections.
    static func sampleSetSize(_ k: Int) -> Int {
        var setsize = 21
        if k > 5 {
            // _ceil(_log(k * 3, 4)): math.log(x, base) is log(x) / log(base) in C doubles.
            let e = Int((Foundation.log(Double(k * 3)) / Foundation.log(4.0)).rounded(.up))
            var p = 1
            for _ in 0..<e { p *= 4 }
            setsize += p
        }
        return setsize
    }

    /// `random.shuffle(x)`: Fisher-Yates from the end with `_randbelow(i + 1)`.
    public mutating func shuffle<T>(_ x: inout [T]) {
        var i = x.count - 1
        while i >= 1 {
            let j = randbelow(i + 1)
            x.swapAt(i, j)
            i -= 1
        }
    }

    /// `random.choices(population, k=k)` without weights: `population[floor(random() * n)]`.
    public mutating func choices<T>(_ population: [T], k: Int) -> [T] {
        let n = Double(population.count)
        return (0..<k).map { _ in population[Int((random() * n).rounded(.down))] }
    }
}
