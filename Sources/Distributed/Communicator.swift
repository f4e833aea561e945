// MARK: - Element types and operations

/// The element types a communicator can reduce and broadcast.
public enum ReductionElementKind: Sendable {
    case float32, float64, int64
}

/// A scalar type that collectives can reduce: `Float`, `Double` and `Int64`.
public protocol ReducibleElement {
    /// Which MPI datatype carries this type.
    static var reductionKind: ReductionElementKind { get }
}

extension Float: ReducibleElement { public static var reductionKind: ReductionElementKind { .float32 } }
extension Double: ReducibleElement { public static var reductionKind: ReductionElementKind { .float64 } }
extension Int64: ReducibleElement { public static var reductionKind: ReductionElementKind { .int64 } }

/// An element-wise reduction.
public enum ReductionOp: Sendable {
    case sum, max, min
}

// MARK: - Communicator

/// A group of cooperating processes: the MPI one (`MPICommunicator`) or a single process
/// (`SingleProcessCommunicator`), so that training code runs and tests the same either way.
///
/// Every method except `rank`, `size` and `abort` is collective: all ranks of the
/// communicator must call it in the same order with matching arguments.
public protocol Communicator: AnyObject {
    /// This process's rank in `0..<size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }

    /// Reduces `count` elements in place on every rank (MPI_Allreduce with MPI_IN_PLACE).
    func allReduce<T: ReducibleElement>(_ buffer: UnsafeMutablePointer<T>, count: Int, op: ReductionOp) throws

    /// Copies `bytes` bytes from `root`'s buffer into every other rank's buffer.
    func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws

    /// Waits until every rank has reached the barrier.
    func barrier() throws

    /// Every rank's `value`, indexed by rank.
    func allGather(_ value: Int64) throws -> [Int64]

    /// Every rank's `count` elements at `send`, concatenated in rank order into `receive`
    /// (`size * count` elements) on every rank (MPI_Allgather).
    func allGather<T: ReducibleElement>(_ send: UnsafePointer<T>, count: Int,
                                        into receive: UnsafeMutablePointer<T>) throws

    /// Splits into sub-communicators: ranks with the same `color` (>= 0) form one, ordered
    /// by `key` (ties by old rank).
    func split(color: Int, key: Int) throws -> Communicator

    /// A counter on this communicator that hands out `start, start+1, ...`, each value to
    /// exactly one caller of `next()` on any rank. Collective.
    func makeSharedCounter(start: Int) throws -> SharedCounter

    /// Ends every process of the job with `code` (MPI_Abort); for unrecoverable errors.
    func abort(code: Int32) -> Never
}

// MARK: - Conveniences

extension Communicator {
    /// Whether this is rank 0.
    public var isRoot: Bool { rank == 0 }

    /// Sums `count` elements in place across ranks.
    public func allReduceSum<T: ReducibleElement>(_ buffer: UnsafeMutablePointer<T>, count: Int) throws {
        try allReduce(buffer, count: count, op: .sum)
    }

    /// Element-wise maximum of `count` elements in place across ranks.
    public func allReduceMax<T: ReducibleElement>(_ buffer: UnsafeMutablePointer<T>, count: Int) throws {
        try allReduce(buffer, count: count, op: .max)
    }

    /// Element-wise minimum of `count` elements in place across ranks.
    public func allReduceMin<T: ReducibleElement>(_ buffer: UnsafeMutablePointer<T>, count: Int) throws {
        try allReduce(buffer, count: count, op: .min)
    }

    /// Reduces every element of `array` in place across ranks (same count on every rank).
    public func allReduce<T: ReducibleElement>(_ array: inout [T], op: ReductionOp) throws {
        let count = array.count
        try array.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            try allReduce(base, count: count, op: op)
        }
    }

    /// The reduction of one scalar across ranks.
    public func allReduce<T: ReducibleElement>(_ value: T, op: ReductionOp) throws -> T {
        var v = value
        try allReduce(&v, count: 1, op: op)
        return v
    }

    /// The sum of one scalar across ranks.
    public func allReduceSum<T: ReducibleElement>(_ value: T) throws -> T { try allReduce(value, op: .sum) }
    /// The maximum of one scalar across ranks.
    public func allReduceMax<T: ReducibleElement>(_ value: T) throws -> T { try allReduce(value, op: .max) }
    /// The minimum of one scalar across ranks.
    public func allReduceMin<T: ReducibleElement>(_ value: T) throws -> T { try allReduce(value, op: .min) }

    /// `root`'s array on every rank; other ranks' arrays may have any length.
    public func broadcast<T: ReducibleElement>(_ array: [T], root: Int) throws -> [T] {
        var count = Int64(array.count)
        try broadcast(&count, bytes: MemoryLayout<Int64>.size, root: root)
        guard count >= 0 else { throw DistributedError.invalidCount(Int(count)) }
        var result = rank == root ? array : [T](unsafeUninitializedCapacity: Int(count)) { buffer, initialized in
            // Filled with zero bytes until the broadcast overwrites them (T is a plain scalar).
            if let base = buffer.baseAddress {
                UnsafeMutableRawPointer(base).initializeMemory(as: UInt8.self, repeating: 0,
                                                               count: Int(count) * MemoryLayout<T>.stride)
            }
            initialized = Int(count)
        }
        try result.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            try broadcast(base, bytes: bytes.count, root: root)
        }
        return result
    }

    /// `root`'s string on every rank (sent as UTF-8 bytes).
    public func broadcast(_ string: String, root: Int) throws -> String {
        var count = Int64(rank == root ? string.utf8.count : 0)
        try broadcast(&count, bytes: MemoryLayout<Int64>.size, root: root)
        guard count >= 0 else { throw DistributedError.invalidCount(Int(count)) }
        var bytes = rank == root ? Array(string.utf8) : [UInt8](repeating: 0, count: Int(count))
        try bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            try broadcast(base, bytes: raw.count, root: root)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Broadcasts `count` elements from `root` into `buffer` on every other rank.
    public func broadcast<T: ReducibleElement>(_ buffer: UnsafeMutablePointer<T>, count: Int, root: Int) throws {
        guard count >= 0 else { throw DistributedError.invalidCount(count) }
        try broadcast(UnsafeMutableRawPointer(buffer), bytes: count * MemoryLayout<T>.stride, root: root)
    }

    /// A shared counter starting at 0.
    public func makeSharedCounter() throws -> SharedCounter { try makeSharedCounter(start: 0) }
}
