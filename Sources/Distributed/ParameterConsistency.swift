/// A cheap fingerprint of a flat Float buffer: a 64-bit hash of the bit patterns, plus the
/// sum and sum of squares (in Double) to make a mismatch readable.
public struct ParameterChecksum: Equatable, CustomStringConvertible, Sendable {
    /// FNV-1a-style 64-bit hash over the 32-bit patterns (so +0 and -0, or two NaNs with
    /// different payloads, differ).
    public var hash: UInt64
    /// The sum of the values, in Double.
    public var sum: Double
    /// The sum of the squared values, in Double.
    public var sumOfSquares: Double
    /// The number of values.
    public var count: Int

    public var description: String {
        "hash 0x\(String(hash, radix: 16)), count \(count), sum \(sum), sum of squares \(sumOfSquares)"
    }
}

/// Checks that every rank holds bit-identical parameters (data-parallel SGD keeps them equal;
/// a difference means a bug or a hardware fault and must stop the run).
public enum ParameterConsistency {
    // MARK: - Checksum

    /// The checksum of `values`.
    public static func checksum(_ values: UnsafeBufferPointer<Float>) -> ParameterChecksum {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var sum = 0.0, sumOfSquares = 0.0
        for v in values {
            hash = (hash ^ UInt64(v.bitPattern)) &* 0x0000_0100_0000_01b3
            let d = Double(v)
            sum += d
            sumOfSquares += d * d
        }
        return ParameterChecksum(hash: hash, sum: sum, sumOfSquares: sumOfSquares, count: values.count)
    }

    /// The checksum of `values`.
    public static func checksum(_ values: [Float]) -> ParameterChecksum {
        values.withUnsafeBufferPointer { checksum($0) }
    }

    // MARK: - Verification

    /// Gathers every rank's checksum of `values` and throws
    /// `DistributedError.parameterMismatch` naming the ranks that differ from rank 0.
    /// Collective; every rank throws the same error.
    /// - Parameters:
    ///   - values: this rank's flat parameter buffer.
    ///   - communicator: the ranks that must agree.
    ///   - label: names the buffer in the error, e.g. "parameters".
    public static func verify(_ values: UnsafeBufferPointer<Float>, on communicator: Communicator,
                              label: String = "parameters") throws {
        let mine = checksum(values)
        let hashes = try communicator.allGather(Int64(bitPattern: mine.hash))
        let counts = try communicator.allGather(Int64(mine.count))
        let sums = try communicator.allGather(Int64(bitPattern: mine.sum.bitPattern))
        let squares = try communicator.allGather(Int64(bitPattern: mine.sumOfSquares.bitPattern))
        let differing = (0..<communicator.size).filter { hashes[$0] != hashes[0] || counts[$0] != counts[0] }
        guard !differing.isEmpty else { return }
        func describe(_ r: Int) -> String {
            ParameterChecksum(hash: UInt64(bitPattern: hashes[r]), sum: Double(bitPattern: UInt64(bitPattern: sums[r])),
                              sumOfSquares: Double(bitPattern: UInt64(bitPattern: squares[r])),
                              count: Int(counts[r])).description
        }
        let details = ["rank 0: \(describe(0))"] + differing.map { "rank \($0): \(describe($0))" }
        throw DistributedError.parameterMismatch(label: label, ranks: differing, details: details)
    }

    /// `verify` for an array.
    public static func verify(_ values: [Float], on communicator: Communicator, label: String = "parameters") throws {
        try values.withUnsafeBufferPointer { try verify($0, on: communicator, label: label) }
    }
}
