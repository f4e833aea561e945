import Foundation

/// The signal number that asked the run to stop (0 = none). Written only by the handler.
nonisolated(unsafe) private var pendingStopSignal: sig_atomic_t = 0

private func recordStopSignal(_ signal: Int32) { pendingStopSignal = signal }

/// SIGTERM, SIGUSR1 and SIGINT (Slurm pre-emption, `scancel`, Ctrl-C) set a flag that the
/// training loop reads between steps: the current step finishes, every rank agrees to stop
/// (the flag travels with the gradient all-reduce), rank 0 writes a checkpoint.
public enum StopSignals {
    /// Installs the handlers (idempotent).
    public static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGTERM, SIGUSR1, SIGINT] {
            signal(s, recordStopSignal)
            sigaddset(&set, s)
        }
        // A launcher may hand us these signals blocked; unblock them, or the flag never rises.
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The pending signal, or 0.
    public static var pending: Int32 { Int32(pendingStopSignal) }
}

/// Ends the process when no training step completes for `limit` seconds: a rank that
/// died or a link that was cut leaves the others blocked in an all-reduce that MPI may
/// never report. The exit makes mpirun end the whole job.
public final class Watchdog: @unchecked Sendable {
    private let limit: TimeInterval
    private let lock = NSLock()
    private var last = Date()
    private var what = "starting"
    private var stopped = false
    private let onTimeout: @Sendable (String) -> Void

    /// Starts watching; `limit <= 0` disables it.
    public init(limit: TimeInterval, rank: Int, onTimeout: @escaping @Sendable (String) -> Void = { message in
        FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
        exit(ExitStatus.watchdog)
    }) {
        self.limit = limit
        self.onTimeout = onTimeout
        guard limit > 0 else { return }
        let t = Thread { [weak self] in
            while let self, !self.isStopped {
                Thread.sleep(forTimeInterval: min(1, limit / 4))
                self.check(rank: rank)
            }
        }
        t.name = "watchdog"
        t.start()
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    private func check(rank: Int) {
        lock.lock()
        let idle = Date().timeIntervalSince(last), doing = what, done = stopped
        lock.unlock()
        if !done && idle > limit {
            onTimeout("cocoop: watchdog on rank \(rank): nothing completed for \(Int(idle)) s (last: \(doing)); "
                      + "a rank probably died or the network hangs. Aborting; rerun the same command to resume.")
        }
    }

    /// Records progress (call after each step and around long phases).
    public func beat(_ activity: String) {
        lock.lock(); last = Date(); what = activity; lock.unlock()
    }

    /// Stops watching.
    public func stop() { lock.lock(); stopped = true; lock.unlock() }
}
