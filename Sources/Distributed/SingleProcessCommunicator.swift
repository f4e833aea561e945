#if canImport(Glibc)
import Glibc
#endif

/// A communicator of one process: reductions leave buffers unchanged, broadcasts from rank 0
/// do nothing. Lets everything run and be tested without MPI.
public final class SingleProcessCommunicator: Communicator {
    public let rank = 0
    public let size = 1

    /// A fresh single-process communicator.
    public init() {}

    public func allReduce<T: ReducibleElement>(_ buffer: UnsafeMutablePointer<T>, count: Int, op: ReductionOp) throws {
        guard count >= 0 else { throw DistributedError.invalidCount(count) }
    }

    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {
        guard root == 0 else { throw DistributedError.invalidRoot(root: root, size: 1) }
        guard bytes >= 0 else { throw DistributedError.invalidCount(bytes) }
    }

    public func barrier() throws {}

    public func allGather(_ value: Int64) throws -> [Int64] { [value] }

    public func allGather<T: ReducibleElement>(_ send: UnsafePointer<T>, count: Int,
                                               into receive: UnsafeMutablePointer<T>) throws {
        guard count >= 0 else { throw DistributedError.invalidCount(count) }
        receive.update(from: send, count: count)
    }

    public func split(color: Int, key: Int) throws -> Communicator {
        guard color >= 0 else { throw DistributedError.invalidColor(color) }
        return SingleProcessCommunicator()
    }

    public func makeSharedCounter(start: Int) throws -> SharedCounter {
        LocalSharedCounter(start: start)
    }

    public func abort(code: Int32) -> Never {
        exit(code)
    }
}
