import Distributed
import Foundation
import Training

/// Hands out the task indices of one sweep phase, each to exactly one group leader, in
/// order of asking: `next()` returns `0, 1, 2, ...` across all leaders, then `count` and
/// above once every task is taken.
protocol SweepDealer {
    /// The next task index (only group leaders call this).
    func next() throws -> Int
    /// Releases what the dealer holds; collective over the world.
    func finish() throws
}

// MARK: - MPI-3 fetch-and-add (the normal case)

/// The shared counter of the world (`MPI_Fetch_and_op` on a window of world rank 0).
final class CounterDealer: SweepDealer {
    let counter: SharedCounter
    init(_ counter: SharedCounter) { self.counter = counter }
    func next() throws -> Int { try counter.next() }
    func finish() throws { try counter.free() }
}

// MARK: - Claim files (when MPI has no one-sided windows)

/// Claims tasks by creating `<dir>/<index>` with O_CREAT|O_EXCL, which exactly one caller
/// wins (atomic on local and POSIX file systems, and on NFS v3 and later). Used when
/// `MPI_Win_allocate` fails, e.g. OpenMPI 4.1 over plain TCP between hosts (no UCX): the
/// trials need a file system shared by all ranks anyway.
final class ClaimFileDealer: SweepDealer {
    let directory: URL
    let count: Int
    private var cursor = 0

    init(directory: URL, count: Int) {
        self.directory = directory
        self.count = count
    }

    func next() throws -> Int {
        while cursor < count {
            let path = directory.appendingPathComponent("\(cursor)").path
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                close(fd)
                cursor += 1
                return cursor - 1
            }
            guard errno == EEXIST else {
                throw OutputError(path: path, operation: "create the claim file",
                                  reason: String(cString: strerror(errno)))
            }
            cursor += 1
        }
        return count
    }

    func finish() throws {}
}

// MARK: - Choosing

enum SweepDealers {
    /// A dealer for a phase of `count` tasks; collective over `world`. Uses the MPI counter
    /// unless a rank cannot make it (or COCOOP_SWEEP_DEALER=files asks for claim files);
    /// then every rank switches to claim files under `claims/phase<phase>`.
    static func make(world: Communicator, phase: Int, count: Int, claims: URL,
                     say: (String) -> Void) throws -> SweepDealer {
        let forceFiles = ProcessInfo.processInfo.environment["COCOOP_SWEEP_DEALER"] == "files"
        var counter: SharedCounter?
        var failure = "COCOOP_SWEEP_DEALER=files"
        if !forceFiles {
            do { counter = try world.makeSharedCounter() } catch { failure = "\(error)" }
        }
        let anyFailed = try world.allReduceMax(Int64(counter == nil ? 1 : 0)) > 0
        if !anyFailed, let counter { return CounterDealer(counter) }
        // A rank whose window was made keeps it until MPI_Finalize: freeing is collective
        // and the ranks that failed have no window to free.
        let directory = claims.appendingPathComponent("phase\(phase)")
        if world.isRoot {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            if phase == 0 {
                say("sweep: no MPI one-sided counter here (\(failure)); handing out trials through claim files in "
                    + "\(claims.path) (needs a file system shared by all ranks)")
            }
        }
        try world.barrier()
        return ClaimFileDealer(directory: directory, count: count)
    }
}
