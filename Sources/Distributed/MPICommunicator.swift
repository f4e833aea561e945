import CMPI
import Foundation

/// A communicator over MPI: `MPI_COMM_WORLD` or a communicator split from it.
///
/// Errors are returned (MPI_ERRORS_RETURN) and thrown as `MPIError`. A split communicator
/// is freed by `free()` or, failing that, when the object is released while MPI is active.
public final class MPICommunicator: Communicator {
    // MARK: - State

    /// The MPI handle; used only by this module.
    let handle: MPI_Comm
    private let ownsHandle: Bool
    private var isFreed = false

    public let rank: Int
    public let size: Int

    nonisolated(unsafe) private static var worldInstance: MPICommunicator?
    private static let worldLock = NSLock()

    private init(handle: MPI_Comm, ownsHandle: Bool) throws {
        self.handle = handle
        self.ownsHandle = ownsHandle
        try MPICalls.setErrorsReturn(handle)
        rank = try MPICalls.rank(handle)
        size = try MPICalls.size(handle)
    }

    deinit {
        if ownsHandle && !isFreed && MPIRuntime.isActive { try? MPICalls.free(handle) }
    }

    // MARK: - Construction

    /// `MPI_COMM_WORLD`, initialising MPI first if needed (safe to call more than once; a
    /// process started without `mpirun` gets a world of size 1).
    public static func world() throws -> MPICommunicator {
        try MPIRuntime.initialize()
        worldLock.lock(); defer { worldLock.unlock() }
        if let world = worldInstance { return world }
        let world = try MPICommunicator(handle: cmpi_comm_world(), ownsHandle: false)
        worldInstance = world
        return world
    }

    /// Releases a split communicator now (no-op for the world). Collective.
    public func free() throws {
        guard ownsHandle, !isFreed else { return }
        isFreed = true
        try MPICalls.free(handle)
    }

    // MARK: - Communicator

    public func allReduce<T: ReducibleElement>(_ buffer: UnsafeMutablePointer<T>, count: Int, op: ReductionOp) throws {
        guard count >= 0 else { throw DistributedError.invalidCount(count) }
        try MPICalls.allReduceInPlace(UnsafeMutableRawPointer(buffer), count: count,
                                      elementSize: MemoryLayout<T>.stride,
                                      type: T.reductionKind.mpiDatatype, op: op.mpiOp, comm: handle)
    }

    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {
        guard (0..<size).contains(root) else { throw DistributedError.invalidRoot(root: root, size: size) }
        guard bytes >= 0 else { throw DistributedError.invalidCount(bytes) }
        try MPICalls.broadcast(buffer, bytes: bytes, root: root, comm: handle)
    }

    public func barrier() throws {
        try MPICalls.barrier(handle)
    }

    public func allGather(_ value: Int64) throws -> [Int64] {
        try MPICalls.allGather(value, size: size, comm: handle)
    }

    public func allGather<T: ReducibleElement>(_ send: UnsafePointer<T>, count: Int,
                                               into receive: UnsafeMutablePointer<T>) throws {
        guard count >= 0 else { throw DistributedError.invalidCount(count) }
        try MPICalls.allGather(UnsafeRawPointer(send), into: UnsafeMutableRawPointer(receive), count: count,
                               type: T.reductionKind.mpiDatatype, comm: handle)
    }

    public func split(color: Int, key: Int) throws -> Communicator {
        guard color >= 0, color <= Int(Int32.max) else { throw DistributedError.invalidColor(color) }
        let newHandle = try MPICalls.split(handle, color: Int32(color), key: Int32(clamping: key))
        return try MPICommunicator(handle: newHandle, ownsHandle: true)
    }

    public func makeSharedCounter(start: Int) throws -> SharedCounter {
        try MPISharedCounter(communicator: self, start: start)
    }

    public func abort(code: Int32) -> Never {
        MPICalls.abort(handle, code: code)
    }
}

// MARK: - Mapping to MPI handles

extension ReductionElementKind {
    /// The MPI datatype for this kind.
    var mpiDatatype: MPI_Datatype {
        switch self {
        case .float32: return cmpi_float()
        case .float64: return cmpi_double()
        case .int64: return cmpi_int64()
        }
    }
}

extension ReductionOp {
    /// The MPI operation for this reduction.
    var mpiOp: MPI_Op {
        switch self {
        case .sum: return cmpi_op_sum()
        case .max: return cmpi_op_max()
        case .min: return cmpi_op_min()
        }
    }
}
