import CMPI
#if canImport(Glibc)
import Glibc
#endif

/// The one layer through which every MPI routine is called.
///
/// Each wrapper calls one routine and turns a return code other than `MPI_SUCCESS` into an
/// `MPIError` naming the routine. Counts above `Int32.max` are split into several calls.
/// Nothing outside this file calls an `MPI_*` function.
enum MPICalls {
    // MARK: - Checking

    /// Throws `MPIError` when `code` is not `MPI_SUCCESS`.
    @inline(__always)
    static func check(_ routine: String, _ code: Int32) throws {
        if code != cmpi_success() { throw MPIError(routine: routine, code: code) }
    }

    /// `MPI_Error_string` for `code` (usable before `MPI_Init` and after `MPI_Finalize`).
    static func errorString(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(code, &buffer, &length) == cmpi_success() else {
            return "unknown MPI error code \(code)"
        }
        return String(cString: buffer)
    }

    /// The largest element count passed to one MPI call (counts are C `int`).
    static let maxCountPerCall = Int(Int32.max)

    // MARK: - Environment

    /// `MPI_Get_library_version` (callable before `MPI_Init`); "unknown" if it fails.
    static func libraryVersion() -> String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_library_version_string()) + 1)
        var length: Int32 = 0
        guard MPI_Get_library_version(&buffer, &length) == cmpi_success() else { return "unknown" }
        return String(cString: buffer)
    }

    /// `MPI_Get_version`: (major, minor) of the MPI standard implemented.
    static func standardVersion() -> (Int, Int) {
        var major: Int32 = 0, minor: Int32 = 0
        _ = MPI_Get_version(&major, &minor)
        return (Int(major), Int(minor))
    }

    /// `MPI_Initialized`.
    static func isInitialized() throws -> Bool {
        var flag: Int32 = 0
        try check("MPI_Initialized", MPI_Initialized(&flag))
        return flag != 0
    }

    /// `MPI_Finalized`.
    static func isFinalized() throws -> Bool {
        var flag: Int32 = 0
        try check("MPI_Finalized", MPI_Finalized(&flag))
        return flag != 0
    }

    /// `MPI_Init_thread(NULL, NULL, required, &provided)`; returns the provided level.
    static func initThread(required: Int32) throws -> Int32 {
        var provided: Int32 = 0
        try check("MPI_Init_thread", MPI_Init_thread(nil, nil, required, &provided))
        return provided
    }

    /// `MPI_Finalize`.
    static func finalize() throws {
        try check("MPI_Finalize", MPI_Finalize())
    }

    /// `MPI_Abort`; does not return.
    static func abort(_ comm: MPI_Comm, code: Int32) -> Never {
        _ = MPI_Abort(comm, code)
        exit(code)
    }

    // MARK: - Communicators

    /// `MPI_Comm_rank`.
    static func rank(_ comm: MPI_Comm) throws -> Int {
        var value: Int32 = 0
        try check("MPI_Comm_rank", MPI_Comm_rank(comm, &value))
        return Int(value)
    }

    /// `MPI_Comm_size`.
    static func size(_ comm: MPI_Comm) throws -> Int {
        var value: Int32 = 0
        try check("MPI_Comm_size", MPI_Comm_size(comm, &value))
        return Int(value)
    }

    /// `MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN)`.
    static func setErrorsReturn(_ comm: MPI_Comm) throws {
        try check("MPI_Comm_set_errhandler", MPI_Comm_set_errhandler(comm, cmpi_errors_return()))
    }

    /// `MPI_Comm_split`.
    static func split(_ comm: MPI_Comm, color: Int32, key: Int32) throws -> MPI_Comm {
        var newComm: MPI_Comm? = cmpi_comm_null()
        try check("MPI_Comm_split", MPI_Comm_split(comm, color, key, &newComm))
        return newComm!
    }

    /// `MPI_Comm_free`.
    static func free(_ comm: MPI_Comm) throws {
        var handle: MPI_Comm? = comm
        try check("MPI_Comm_free", MPI_Comm_free(&handle))
    }

    // MARK: - Collectives

    /// In-place `MPI_Allreduce` of `count` elements of `elementSize` bytes.
    static func allReduceInPlace(_ buffer: UnsafeMutableRawPointer, count: Int, elementSize: Int,
                                 type: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) throws {
        var done = 0
        while done < count {
            let n = min(count - done, maxCountPerCall)
            try check("MPI_Allreduce", MPI_Allreduce(UnsafeRawPointer(cmpi_in_place()), buffer + done * elementSize,
                                                     Int32(n), type, op, comm))
            done += n
        }
    }

    /// `MPI_Bcast` of `bytes` bytes from `root`.
    static func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int, comm: MPI_Comm) throws {
        var done = 0
        while done < bytes {
            let n = min(bytes - done, maxCountPerCall)
            try check("MPI_Bcast", MPI_Bcast(buffer + done, Int32(n), cmpi_uint8(), Int32(root), comm))
            done += n
        }
    }

    /// `MPI_Barrier`.
    static func barrier(_ comm: MPI_Comm) throws {
        try check("MPI_Barrier", MPI_Barrier(comm))
    }

    /// `MPI_Allgather` of one 64-bit integer per rank.
    static func allGather(_ value: Int64, size: Int, comm: MPI_Comm) throws -> [Int64] {
        var mine = value
        var all = [Int64](repeating: 0, count: size)
        try all.withUnsafeMutableBytes { out in
            try check("MPI_Allgather", MPI_Allgather(&mine, 1, cmpi_int64(), out.baseAddress, 1, cmpi_int64(), comm))
        }
        return all
    }

    /// `MPI_Allgather` of `count` elements of `type` per rank.
    static func allGather(_ send: UnsafeRawPointer, into receive: UnsafeMutableRawPointer, count: Int,
                          type: MPI_Datatype, comm: MPI_Comm) throws {
        guard count <= maxCountPerCall else { throw DistributedError.invalidCount(count) }
        try check("MPI_Allgather", MPI_Allgather(send, Int32(count), type, receive, Int32(count), type, comm))
    }

    // MARK: - One-sided (RMA) windows

    /// `MPI_Win_allocate` of `bytes` bytes with displacement unit `unit`; returns the
    /// window and its local memory.
    static func allocateWindow(bytes: Int, unit: Int, comm: MPI_Comm) throws -> (MPI_Win, UnsafeMutableRawPointer?) {
        var base: UnsafeMutableRawPointer? = nil
        var window: MPI_Win? = cmpi_win_null()
        try withUnsafeMutablePointer(to: &base) { basePointer in
            try check("MPI_Win_allocate", MPI_Win_allocate(MPI_Aint(bytes), Int32(unit), cmpi_info_null(), comm,
                                                           UnsafeMutableRawPointer(basePointer), &window))
        }
        return (window!, base)
    }

    /// `MPI_Win_set_errhandler(window, MPI_ERRORS_RETURN)`.
    static func setErrorsReturn(window: MPI_Win) throws {
        try check("MPI_Win_set_errhandler", MPI_Win_set_errhandler(window, cmpi_errors_return()))
    }

    /// `MPI_Win_lock` (shared or exclusive) on `rank`.
    static func lock(_ window: MPI_Win, rank: Int, exclusive: Bool) throws {
        let type = exclusive ? cmpi_lock_exclusive() : cmpi_lock_shared()
        try check("MPI_Win_lock", MPI_Win_lock(type, Int32(rank), 0, window))
    }

    /// `MPI_Win_unlock` on `rank`.
    static func unlock(_ window: MPI_Win, rank: Int) throws {
        try check("MPI_Win_unlock", MPI_Win_unlock(Int32(rank), window))
    }

    /// `MPI_Fetch_and_op` with `MPI_SUM` on one `Int64` at displacement 0 of `rank`;
    /// returns the value before the addition.
    static func fetchAndAdd(_ window: MPI_Win, rank: Int, increment: Int64) throws -> Int64 {
        var operand = increment
        var result: Int64 = 0
        try check("MPI_Fetch_and_op", MPI_Fetch_and_op(&operand, &result, cmpi_int64(), Int32(rank), 0,
                                                       cmpi_op_sum(), window))
        return result
    }

    /// `MPI_Win_free`.
    static func free(window: MPI_Win) throws {
        var handle: MPI_Win? = window
        try check("MPI_Win_free", MPI_Win_free(&handle))
    }
}
