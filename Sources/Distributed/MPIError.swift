/// A failed MPI routine: its name, the return code and MPI's own text for that code.
///
/// Every communicator runs with `MPI_ERRORS_RETURN`, so an MPI failure reaches Swift as this
/// error instead of killing the process inside the library.
public struct MPIError: Error, CustomStringConvertible, Equatable {
    /// The MPI routine that failed, e.g. `MPI_Allreduce`.
    public let routine: String
    /// The return code of the routine.
    public let code: Int32
    /// `MPI_Error_string` of `code`.
    public let message: String

    /// Makes the error for `routine` failing with `code`, looking up MPI's text for the code.
    init(routine: String, code: Int32) {
        self.routine = routine
        self.code = code
        self.message = MPICalls.errorString(code)
    }

    public var description: String { "\(routine) failed with code \(code): \(message)" }
}

/// Errors of the distributed layer that are not failed MPI calls.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// MPI was already finalised in this process; it cannot be initialised again.
    case alreadyFinalized
    /// A root rank outside `0..<size`.
    case invalidRoot(root: Int, size: Int)
    /// A split colour that is negative (MPI_UNDEFINED is not supported by `split`).
    case invalidColor(Int)
    /// A negative element count.
    case invalidCount(Int)
    /// The shared counter was used after `free()`.
    case counterFreed
    /// Ranks hold different parameters: `label` names the buffer, `ranks` those that differ
    /// from rank 0, `details` one line per differing rank (checksum, sum, sum of squares).
    case parameterMismatch(label: String, ranks: [Int], details: [String])

    public var description: String {
        switch self {
        case .alreadyFinalized:
            return "MPI was already finalized in this process and cannot be initialized again"
        case let .invalidRoot(root, size):
            return "root rank \(root) is outside 0..<\(size)"
        case let .invalidColor(color):
            return "split colour \(color) is negative; colours must be >= 0"
        case let .invalidCount(count):
            return "element count \(count) is negative"
        case .counterFreed:
            return "shared counter used after free()"
        case let .parameterMismatch(label, ranks, details):
            let names = ranks.map(String.init).joined(separator: ", ")
            return "\(label) differ from rank 0 on rank(s) \(names): " + details.joined(separator: "; ")
        }
    }
}
