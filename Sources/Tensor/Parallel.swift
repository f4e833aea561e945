import CDNNL
import COpenBLAS
import Dispatch
import Foundation

// Element-wise kernels (LayerNorm, QuickGELU, softmax, residual adds, attention heads)
// run between GEMMs; on one thread they leave the other cores idle while OpenBLAS's
// workers spin. They use as many threads as OpenBLAS does (one per rank under mpirun,
// where the ranks fill the cores). Work is split into contiguous, disjoint ranges of
// independent items (rows, elements, heads): nothing is ever reduced across threads, so
// results are bitwise the same for every thread count.

// MARK: - Thread count

/// How many threads the element-wise kernels use.
public enum KernelThreads {
    /// A thread count that replaces OpenBLAS's for the current task (tests use it to check
    /// that results do not depend on the thread count): `KernelThreads.$override.withValue(3) { ... }`.
    @TaskLocal public static var override: Int?

    /// ``override`` if set, else OpenBLAS's thread count (``BLASInfo/threads``), read on
    /// every call so that ``BLASInfo/setThreads(_:)`` governs both.
    public static var count: Int { max(1, override ?? Int(openblas_get_num_threads())) }
}

// MARK: - Parallel loop

/// Calls `body` on contiguous, disjoint ranges that together cover `0 ..< count`, one range
/// per thread on up to ``KernelThreads/count`` threads, each range at least `grain` items
/// long (so small loops run inline on the caller's thread).
///
/// `body` must treat every item independently of the range it arrives in; then the result
/// does not depend on the number of threads.
///
/// With `singleThreadedBLAS`, the ranges run inside ``BLASInfo/singleThreaded(_:)`` so
/// that GEMMs called from `body` run side by side, one thread each.
@inlinable
public func parallelFor(_ count: Int, grain: Int, singleThreadedBLAS: Bool = false,
                        _ body: (Range<Int>) -> Void) {
    let chunks = Swift.min(KernelThreads.count, count / Swift.max(grain, 1))
    if chunks <= 1 {
        if count > 0 { body(0 ..< count) }
        return
    }
    if singleThreadedBLAS {
        BLASInfo.singleThreaded { runChunks(chunks, of: count) { range in ParallelWorker.run { body(range) } } }
    } else {
        runChunks(chunks, of: count, body)
    }
}

/// Calls `body(index, range)` on `chunks` contiguous, disjoint ranges covering `0 ..< count`,
/// all at once, range `index` on its own thread (`chunks` <= 1: inline), so that `body` can
/// use a scratch buffer per range index. With `singleThreadedBLAS`, as ``parallelFor``.
public func parallelChunks(_ chunks: Int, of count: Int, singleThreadedBLAS: Bool = false,
                           _ body: (Int, Range<Int>) -> Void) {
    if chunks <= 1 || count <= 1 {
        if count > 0 { body(0, 0 ..< count) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let run = {
            runConcurrently(chunks) { c in
                let range = c * count / chunks ..< (c + 1) * count / chunks
                if singleThreadedBLAS { ParallelWorker.run { body(c, range) } } else { body(c, range) }
            }
        }
        if singleThreadedBLAS { BLASInfo.singleThreaded(run) } else { run() }
    }
}

/// Marks the threads running the ranges of a loop whose GEMMs run side by side, one thread
/// each (``parallelFor(_:grain:singleThreadedBLAS:_:)`` with `singleThreadedBLAS`): their
/// products stay with OpenBLAS (oneDNN's calls are serialised and use every thread). A mark
/// per thread, not a process-wide flag, so that which library a product goes to depends on
/// the code that calls it and never on what other threads happen to run at the time.
public enum ParallelWorker {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Whether the calling thread is running a range of such a loop.
    public static var isCurrent: Bool { pthread_getspecific(key) != nil }

    /// Runs `body` with the calling thread marked.
    @usableFromInline
    static func run(_ body: () -> Void) {
        let outer = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(key, outer) }
        body()
    }
}

/// Runs `body` on `chunks` contiguous ranges of `0 ..< count` at once.
@usableFromInline
func runChunks(_ chunks: Int, of count: Int, _ body: (Range<Int>) -> Void) {
    runConcurrently(chunks) { c in body(c * count / chunks ..< (c + 1) * count / chunks) }
}

/// Calls `body(c)` for every `c` in `0 ..< chunks`, at once on up to `chunks` threads: the
/// OpenMP team that oneDNN's products also run on (``KernelPool``), else Dispatch's.
func runConcurrently(_ chunks: Int, _ body: (Int) -> Void) {
    if KernelPool.usesOpenMP, KernelPool.runOnTeam(chunks, body) { return }
    DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
}

/// The threads of the element-wise kernels. One pool for everything: oneDNN runs its
/// products on OpenMP threads, which wait for the next parallel region spinning for a while;
/// kernels on a second pool (Dispatch's) between two products would compete with them for
/// the cores (measured: CPU time per CoCoOp step 3x the wall time on a loaded machine). So the
/// kernels run on the same OpenMP team when float32 products go to oneDNN (``GEMMRouting``).
/// When they go to OpenBLAS, whose own threads spin likewise, the kernels stay on Dispatch's
/// threads (measured: the OpenMP team made that step 2.9x slower, 0.87 s against 0.30 s).
/// `COCOOP_KERNEL_POOL=openmp` or `dispatch` in the environment chooses.
public enum KernelPool {
    /// Whether the kernels run on OpenMP's team (else on Dispatch's threads).
    public static let usesOpenMP: Bool = {
        switch ProcessInfo.processInfo.environment["COCOOP_KERNEL_POOL"] {
        case "openmp"?: return true
        case "dispatch"?: return false
        default: return GEMMRouting.float32 == .oneDNN
        }
    }()

    private struct Job {
        let chunks: Int
        let body: (Int) -> Void
    }

    /// Runs the chunks on a team of up to `chunks` OpenMP threads, each thread taking every
    /// team-size-th chunk from its own index (a smaller team, or a nested call, which runs as
    /// a team of one, still covers them all). False when no OpenMP runtime is loaded.
    static func runOnTeam(_ chunks: Int, _ body: (Int) -> Void) -> Bool {
        withoutActuallyEscaping(body) { body in
            var job = Job(chunks: chunks, body: body)
            return withUnsafeMutablePointer(to: &job) { pointer in
                cocoop_omp_parallel({ raw in
                    let job = raw!.assumingMemoryBound(to: Job.self).pointee
                    var index: Int32 = 0, size: Int32 = 1
                    cocoop_omp_team(&index, &size)
                    var c = Int(index)
                    while c < job.chunks {
                        job.body(c)
                        c += max(Int(size), 1)
                    }
                }, pointer, UInt32(chunks)) != 0
            }
        }
    }
}

/// A buffer of `count` elements for one parallel range: `shared` for the range that
/// starts at 0 (the caller's scratch), fresh memory for the others.
/// Pair with ``releaseScratch(_:shared:)``.
@inlinable
public func rangeScratch<T>(_ range: Range<Int>, shared: UnsafeMutablePointer<T>,
                            count: Int) -> UnsafeMutablePointer<T> {
    range.lowerBound == 0 ? shared : UnsafeMutablePointer<T>.allocate(capacity: Swift.max(count, 1))
}

/// Frees a buffer from ``rangeScratch(_:shared:count:)`` unless it is the shared one.
@inlinable
public func releaseScratch<T>(_ buffer: UnsafeMutablePointer<T>, shared: UnsafeMutablePointer<T>) {
    if buffer != shared { buffer.deallocate() }
}

/// Items per parallel range for element-wise loops costing a few nanoseconds per item:
/// about 10 µs of work, well above the cost of waking a thread.
public let elementwiseGrain = 1 << 14
