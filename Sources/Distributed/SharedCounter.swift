import CMPI
import Foundation

/// A counter shared by the ranks of a communicator that hands out consecutive integers,
/// each to exactly one caller; used to hand sweep trials to groups of ranks dynamically.
public protocol SharedCounter: AnyObject {
    /// The next value (`start`, `start + 1`, ... in order of arrival across ranks).
    func next() throws -> Int
    /// Releases the counter's resources; collective over the communicator that made it.
    /// Further `next()` calls throw `DistributedError.counterFreed`.
    func free() throws
}

// MARK: - MPI (one-sided fetch-and-add)

/// An MPI-3 RMA counter: one `Int64` in a window allocated on rank 0 of the communicator;
/// `next()` is `MPI_Fetch_and_op(+1, MPI_SUM)` inside a shared lock epoch on rank 0, so
/// rank 0 need not take part while other ranks draw values.
public final class MPISharedCounter: SharedCounter {
    private let window: MPI_Win
    private var isFreed = false

    /// Allocates the counter (collective over `communicator`) and sets it to `start`.
    public init(communicator: MPICommunicator, start: Int = 0) throws {
        let isHost = communicator.rank == 0
        let bytes = isHost ? MemoryLayout<Int64>.size : 0
        let (window, base) = try MPICalls.allocateWindow(bytes: bytes, unit: MemoryLayout<Int64>.size,
                                                         comm: communicator.handle)
        self.window = window
        try MPICalls.setErrorsReturn(window: window)
        if isHost, let base {
            // Local store inside an exclusive epoch on our own memory (MPI's unified model).
            try MPICalls.lock(window, rank: 0, exclusive: true)
            base.storeBytes(of: Int64(start), as: Int64.self)
            try MPICalls.unlock(window, rank: 0)
        }
        try MPICalls.barrier(communicator.handle)
    }

    deinit {
        // MPI_Win_free is collective: freeing here on one rank only could hang, so a counter
        // that was not freed explicitly is left to MPI_Finalize.
    }

    public func next() throws -> Int {
        guard !isFreed else { throw DistributedError.counterFreed }
        try MPICalls.lock(window, rank: 0, exclusive: false)
        let value: Int64
        do {
            value = try MPICalls.fetchAndAdd(window, rank: 0, increment: 1)
        } catch {
            try? MPICalls.unlock(window, rank: 0)
            throw error
        }
        try MPICalls.unlock(window, rank: 0)
        return Int(value)
    }

    public func free() throws {
        guard !isFreed else { return }
        isFreed = true
        try MPICalls.free(window: window)
    }
}

// MARK: - Single process

/// The single-process counter: a plain integer behind a lock.
public final class LocalSharedCounter: SharedCounter {
    private let lock = NSLock()
    private var value: Int
    private var isFreed = false

    /// A counter whose first `next()` returns `start`.
    public init(start: Int = 0) { value = start }

    public func next() throws -> Int {
        lock.lock(); defer { lock.unlock() }
        guard !isFreed else { throw DistributedError.counterFreed }
        defer { value += 1 }
        return value
    }

    public func free() throws {
        lock.lock(); defer { lock.unlock() }
        isFreed = true
    }
}
