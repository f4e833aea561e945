import Foundation

// MARK: - Finding the built binary

/// Locates the `cocoop` executable built alongside this test bundle.
enum CocoopBinary {
    /// The package root, from this file's path (Tests/DistributedTests/ProcessRunner.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$COCOOP_BINARY` if set; else `cocoop` beside the running test executable (same
    /// configuration); else the newest of `.build/debug/cocoop` and `.build/release/cocoop`.
    static func locate() throws -> URL {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["COCOOP_BINARY"] {
            return URL(fileURLWithPath: explicit)
        }
        var besideTests: [URL] = []
        if let exe = Bundle.main.executableURL { besideTests.append(exe.deletingLastPathComponent()) }
        besideTests.append(Bundle.main.bundleURL)
        besideTests.append(Bundle.main.bundleURL.deletingLastPathComponent())
        besideTests.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for dir in besideTests {
            let candidate = dir.appendingPathComponent("cocoop")
            if fm.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        let built = ["debug", "release"]
            .map { packageRoot.appendingPathComponent(".build/\($0)/cocoop") }
            .filter { fm.isExecutableFile(atPath: $0.path) }
        let newest = built.max { a, b in
            let da = (try? fm.attributesOfItem(atPath: a.path)[.modificationDate] as? Date) ?? .distantPast
            let db = (try? fm.attributesOfItem(atPath: b.path)[.modificationDate] as? Date) ?? .distantPast
            return da < db
        }
        guard let newest else {
            throw RunnerError("cocoop binary not found beside \(besideTests.map(\.path)) nor in \(packageRoot.path)/.build/{debug,release}")
        }
        return newest
    }
}

/// A test-harness failure (not a product error).
struct RunnerError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

// MARK: - Running a process with a deadline

/// The result of a finished (or killed) process.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double
    var timedOut: Bool
    /// Standard output and error, for failure messages.
    var transcript: String { "exit \(status)\(timedOut ? " (killed after timeout)" : "")\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// A child process whose output is collected while it runs; never outlives its deadline.
final class RunningProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var out = Data(), err = Data()
    private let readers = DispatchGroup()
    private let exited = DispatchSemaphore(value: 0)
    private let started = DispatchTime.now()

    /// Starts `executable args` with the environment of this process plus `environment`,
    /// minus any inherited OMPI_*/PMIX_* variables (so a test run under mpirun stays clean).
    init(_ executable: URL, _ args: [String], environment: [String: String] = [:]) throws {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_") }
        env.merge(environment) { _, new in new }
        process.executableURL = executable
        process.arguments = args
        process.environment = env
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
        for (handle, isOut) in [(outPipe.fileHandleForReading, true), (errPipe.fileHandleForReading, false)] {
            readers.enter()
            DispatchQueue.global().async { [self] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    lock.lock()
                    if isOut { out.append(chunk) } else { err.append(chunk) }
                    lock.unlock()
                }
                readers.leave()
            }
        }
    }

    /// Standard output so far.
    var stdoutSoFar: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: out, as: UTF8.self)
    }

    /// The process id.
    var pid: Int32 { process.processIdentifier }

    /// Waits until standard output contains `text`; false if the process ended or
    /// `timeout` seconds passed first.
    func waitForOutput(containing text: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stdoutSoFar.contains(text) { return true }
            if !process.isRunning { return stdoutSoFar.contains(text) }
            usleep(20_000)
        }
        return false
    }

    /// Waits for the process to end; after `timeout` seconds it gets SIGTERM, then SIGKILL.
    func wait(timeout: Double) -> ProcessResult {
        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if exited.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                _ = exited.wait(timeout: .now() + 5)
            }
        }
        // Orphaned grandchildren could keep the pipes open: do not wait for them forever.
        _ = readers.wait(timeout: .now() + 5)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        lock.lock(); defer { lock.unlock() }
        return ProcessResult(status: process.isRunning ? -1 : process.terminationStatus,
                             stdout: String(decoding: out, as: UTF8.self),
                             stderr: String(decoding: err, as: UTF8.self),
                             seconds: seconds, timedOut: timedOut)
    }
}

/// Runs a process to completion (at most `timeout` seconds).
func runProcess(_ executable: URL, _ args: [String], environment: [String: String] = [:],
                timeout: Double = 60) throws -> ProcessResult {
    try RunningProcess(executable, args, environment: environment).wait(timeout: timeout)
}

// MARK: - mpirun

/// How the tests start MPI jobs: shared memory on this machine, oversubscribed, as root if need be.
enum MPIRun {
    static let env = URL(fileURLWithPath: "/usr/bin/env")
    static let environment = ["OPENBLAS_NUM_THREADS": "1"]

    /// `mpirun` arguments for `np` ranks running `cocoop args...`.
    static func arguments(np: Int, _ args: [String], extraMCA: [(String, String)] = []) throws -> [String] {
        var a = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,vader"]
        for (k, v) in extraMCA { a += ["--mca", k, v] }
        return a + ["-np", "\(np)", try CocoopBinary.locate().path] + args
    }

    /// Runs `mpirun -np np cocoop args...` with a 60 s deadline.
    static func run(np: Int, _ args: [String], timeout: Double = 60) throws -> ProcessResult {
        try runProcess(env, arguments(np: np, args), environment: environment, timeout: timeout)
    }
}
