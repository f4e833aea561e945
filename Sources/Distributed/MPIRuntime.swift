import CMPI
import Foundation

/// Start and end of MPI in this process.
///
/// `initialize()` may be called any number of times; the first call runs
/// `MPI_Init_thread(MPI_THREAD_FUNNELED)`. A binary started without `mpirun` becomes an
/// MPI singleton (a world of size 1). Call MPI only from the thread that initialised it.
public enum MPIRuntime {
    // MARK: - State

    private static let lock = NSLock()
    nonisolated(unsafe) private static var providedLevel: Int32?

    nonisolated(unsafe) private static var launchedAtInit: Bool?

    /// Whether this process was started by a launcher: OpenMPI's `mpirun` (sets
    /// OMPI_COMM_WORLD_SIZE) or a PMI/PMIx launcher such as Slurm's `srun` (PMIX_RANK,
    /// PMI_RANK). Judged from the environment as it was before `MPI_Init` (a singleton's
    /// `MPI_Init` sets PMIx variables itself).
    public static var isUnderMPIRun: Bool {
        lock.lock(); defer { lock.unlock() }
        return launchedAtInit ?? launchedByEnvironment()
    }

    private static func launchedByEnvironment() -> Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil || env["PMI_RANK"] != nil
    }

    /// Whether MPI is initialised and not yet finalised.
    public static var isActive: Bool {
        ((try? MPICalls.isInitialized()) ?? false) && !((try? MPICalls.isFinalized()) ?? true)
    }

    /// Whether the MPI library granted at least `MPI_THREAD_FUNNELED` (nil before `initialize()`).
    public static var hasFunneledThreadSupport: Bool? {
        lock.lock(); defer { lock.unlock() }
        return providedLevel.map { $0 >= cmpi_thread_funneled() }
    }

    // MARK: - Lifecycle

    /// Initialises MPI once (MPI_THREAD_FUNNELED); later calls do nothing.
    /// - Throws: `DistributedError.alreadyFinalized` after `finalize()`, `MPIError` on failure.
    public static func initialize() throws {
        lock.lock(); defer { lock.unlock() }
        if try MPICalls.isFinalized() { throw DistributedError.alreadyFinalized }
        if try MPICalls.isInitialized() { return }
        launchedAtInit = launchedByEnvironment()
        providedLevel = try MPICalls.initThread(required: cmpi_thread_funneled())
        try MPICalls.setErrorsReturn(cmpi_comm_world())
        try MPICalls.setErrorsReturn(cmpi_comm_self())
    }

    /// Finalises MPI if it is active; does nothing otherwise. Collective over the world.
    public static func finalize() throws {
        lock.lock(); defer { lock.unlock() }
        guard try MPICalls.isInitialized(), !(try MPICalls.isFinalized()) else { return }
        try MPICalls.finalize()
    }
}
