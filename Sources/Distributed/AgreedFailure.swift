// MARK: - Failing together

/// The error the other ranks throw when one rank of their communicator failed in a section
/// they ran together (``Communicator/together(_:)``): it carries the lowest failing rank's
/// message, so every rank leaves the section at the same point and in agreement.
public struct PeerRankFailed: Error, CustomStringConvertible, Sendable {
    /// The rank (in the communicator) whose error this reports.
    public let rank: Int
    /// That rank's error, as text.
    public let message: String

    public init(rank: Int, message: String) {
        self.rank = rank
        self.message = message
    }

    public var description: String { "rank \(rank) failed: \(message)" }
}

extension Communicator {
    /// Runs `body`, which must make no collective call, then agrees with the other ranks
    /// on whether it failed anywhere (one all-reduce). If it threw on any rank, every rank
    /// throws: a failing rank its own error, the others ``PeerRankFailed`` with the lowest
    /// failing rank's message. Without this, a rank whose local work failed (an unreadable
    /// image in its share, a full disk on rank 0) would leave while the others wait in the
    /// next collective, or meet them in a different one.
    public func together<R>(_ body: () throws -> R) throws -> R {
        var result: R?
        var failure: Error?
        do { result = try body() } catch { failure = error }
        if try allReduceMax(Int64(failure == nil ? 0 : 1)) != 0 {
            try failTogether(failure)
        }
        return result!
    }

    /// For ranks that have learnt from a collective that some rank failed (a flag reduced
    /// with their data): agrees on the lowest failing rank, broadcasts its message, and
    /// throws — `local` where this rank failed, ``PeerRankFailed`` elsewhere. Collective.
    public func failTogether(_ local: Error?) throws -> Never {
        let speaker = Int(try allReduceMin(Int64(local == nil ? size : rank)))
        precondition(speaker < size, "failTogether: no rank reported a failure")
        let message = try broadcast(local.map { "\($0)" } ?? "", root: speaker)
        if let local { throw local }
        throw PeerRankFailed(rank: speaker, message: message)
    }
}
