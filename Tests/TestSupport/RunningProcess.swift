import Foundation

// MARK: - Results and errors

/// The result of a finished (or killed) process.
public struct ProcessResult: Sendable {
    /// The exit status (the signal number when a signal ended it; -1 if it never ended).
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Wall time from start to the end of the wait.
    public var seconds: Double
    /// Whether the deadline passed and the process was killed.
    public var timedOut: Bool

    /// Standard output followed by standard error (for tools whose messages go to either).
    public var output: String { stdout + stderr }

    /// Status, standard output and error, for failure messages.
    public var transcript: String {
        "exit \(status)\(timedOut ? " (killed after timeout)" : "")\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
    }
}

/// A test-harness failure (not a product error).
public struct RunnerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

// MARK: - RunningProcess

/// A child process whose standard output and error are read concurrently while it runs (a
/// chatty child never blocks on a full pipe); ``wait(timeout:)`` never outlives its deadline.
public final class RunningProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var out = Data(), err = Data()
    private let readers = DispatchGroup()
    private let exited = DispatchSemaphore(value: 0)
    private let started = DispatchTime.now()

    /// Starts `executable arguments` in `directory` (default: this process's) with this
    /// process's environment overlaid by `environment`. With `isolatedFromMPI`, inherited
    /// OMPI_* and PMIX_* variables are dropped first, so a test run under mpirun still starts
    /// clean jobs. A bfloat16 weight cache folder of the tests' is set unless one is given.
    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                directory: URL? = nil, isolatedFromMPI: Bool = false) throws {
        var env = ProcessInfo.processInfo.environment
        if isolatedFromMPI { env = env.filter { !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_") } }
        env.merge(environment) { _, new in new }
        env = Cocoop.withTestWeightCache(env)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
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
    public var stdoutSoFar: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: out, as: UTF8.self)
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }

    /// Waits until standard output contains `text`; false if the process ended or
    /// `timeout` seconds passed first.
    public func waitForOutput(containing text: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stdoutSoFar.contains(text) { return true }
            if !process.isRunning { return stdoutSoFar.contains(text) }
            usleep(20_000)
        }
        return false
    }

    /// Waits for the process to end; after `timeout` seconds it gets SIGTERM, then SIGKILL.
    public func wait(timeout: Double) -> ProcessResult {
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

// MARK: - Tools on PATH

/// Runs a command-line tool found on PATH (`args[0]`) with a deadline.
public func runTool(_ args: [String], timeout: Double = 30) throws -> ProcessResult {
    try RunningProcess(URL(fileURLWithPath: "/usr/bin/env"), args).wait(timeout: timeout)
}
