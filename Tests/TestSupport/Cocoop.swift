import Foundation

// MARK: - The built binary and the package's folders

/// The built `cocoop` binary and the package's folders, for tests that run the CLI.
public enum Cocoop {
    /// The package root, from this file's path (Tests/TestSupport/Cocoop.swift).
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Tests/Fixtures: the small reference fixtures kept in the repository.
    public static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
    /// ../shared/fixtures beside the package: the large ones (float32 tiny-CLIP weights).
    public static let sharedFixtures = packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures")

    /// ``locateBinary()``, or `.build/debug/cocoop` when it finds none (running that then
    /// fails, naming the path).
    public static var binary: URL {
        (try? locateBinary()) ?? packageRoot.appendingPathComponent(".build/debug/cocoop")
    }

    /// `$COCOOP_BINARY` if set; else `cocoop` beside the running test bundle (the test
    /// targets that run it depend on it, so it is built in the same configuration); else
    /// the newest of `.build/debug/cocoop` and `.build/release/cocoop`.
    public static func locateBinary() throws -> URL {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["COCOOP_BINARY"] {
            return URL(fileURLWithPath: explicit)
        }
        var besideTests: [URL] = []
        if let exe = Bundle.main.executableURL { besideTests.append(exe.deletingLastPathComponent()) }
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            besideTests.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        besideTests.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for dir in besideTests {
            let candidate = dir.appendingPathComponent("cocoop")
            if fm.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        let built = ["debug", "release"]
            .map { packageRoot.appendingPathComponent(".build/\($0)/cocoop") }
            .filter { fm.isExecutableFile(atPath: $0.path) }
        func modified(_ url: URL) -> Date {
            (try? fm.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
        }
        guard let newest = built.max(by: { modified($0) < modified($1) }) else {
            throw RunnerError("cocoop binary not found beside \(besideTests.map(\.path)) "
                              + "nor in \(packageRoot.path)/.build/{debug,release}")
        }
        return newest
    }

    // MARK: - Running

    /// `environment` with `COCOOP_WEIGHT_CACHE` set, unless it is, to a folder of this test
    /// process's under the temporary directory: the programs the tests start never write
    /// bfloat16 weight caches into the default /dev/shm folder.
    public static func withTestWeightCache(_ environment: [String: String]) -> [String: String] {
        var environment = environment
        if environment["COCOOP_WEIGHT_CACHE"] == nil {
            environment["COCOOP_WEIGHT_CACHE"] = FileManager.default.temporaryDirectory
                .appendingPathComponent("cocoop-tests-weight-cache-\(getpid())").path
        }
        return environment
    }

    /// Runs `executable` (default: the cocoop binary) with `arguments` in `directory`
    /// (default: this process's), `environment` over this process's, and waits for it; after
    /// `timeout` seconds it is stopped (see ``RunningProcess/wait(timeout:)``).
    public static func run(_ arguments: [String], executable: URL? = nil, environment: [String: String] = [:],
                           directory: URL? = nil, timeout: TimeInterval = 120,
                           isolatedFromMPI: Bool = false) throws -> ProcessResult {
        try RunningProcess(executable ?? locateBinary(), arguments, environment: environment,
                           directory: directory, isolatedFromMPI: isolatedFromMPI).wait(timeout: timeout)
    }

    /// Starts `executable` with `arguments` in the background, `environment` over this
    /// process's, output appended to `log` (discarded when nil). SIGTERM, SIGUSR1 and SIGINT
    /// are unblocked for the child: test threads (libdispatch workers) block them, a child
    /// inherits the mask, and mpirun, unlike cocoop, does not unblock them itself, so it
    /// would never forward them.
    public static func start(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                             directory: URL? = nil, log: URL? = nil) throws -> Process {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        p.environment = withTestWeightCache(ProcessInfo.processInfo.environment.merging(environment) { _, new in new })
        var output = FileHandle.nullDevice
        if let log {
            if !FileManager.default.fileExists(atPath: log.path) {
                _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            }
            output = try FileHandle(forWritingTo: log)
            output.seekToEndOfFile()
        }
        p.standardOutput = output
        p.standardError = output
        var set = sigset_t(), old = sigset_t()
        sigemptyset(&set)
        for s in [SIGTERM, SIGUSR1, SIGINT] { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        try p.run()
        return p
    }
}

// MARK: - mpirun

/// How the tests start MPI jobs: shared memory on this machine, oversubscribed, as root if
/// need be, one OpenBLAS thread per rank.
public enum MPIRun {
    /// `mpirun` from PATH (`/usr/bin/mpirun` when PATH has none).
    public static let executable: URL = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "/usr/bin/mpirun")
    }()

    /// The environment the tests give MPI jobs.
    public static let environment = ["OPENBLAS_NUM_THREADS": "1"]

    /// mpirun's options for `np` ranks, passing the environment variables named in
    /// `exporting` on to the ranks (`-x`); the program and its arguments follow them.
    public static func options(np: Int, extraMCA: [(String, String)] = [], exporting: [String] = []) -> [String] {
        var a = ["--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,vader"]
        for (k, v) in extraMCA { a += ["--mca", k, v] }
        a += ["-np", "\(np)"]
        for name in exporting { a += ["-x", name] }
        return a
    }

    /// mpirun's arguments for `np` ranks running `cocoop args...`.
    public static func arguments(np: Int, _ args: [String], extraMCA: [(String, String)] = [],
                                 exporting: [String] = []) throws -> [String] {
        options(np: np, extraMCA: extraMCA, exporting: exporting) + [try Cocoop.locateBinary().path] + args
    }

    /// Runs `mpirun -np np cocoop args...` (inherited MPI variables dropped) with a deadline.
    public static func run(np: Int, _ args: [String], timeout: Double = 60) throws -> ProcessResult {
        try Cocoop.run(arguments(np: np, args), executable: executable, environment: environment,
                       timeout: timeout, isolatedFromMPI: true)
    }
}
