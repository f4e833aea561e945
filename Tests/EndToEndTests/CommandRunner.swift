import Foundation

/// Runs the built `cocoop` binary (the test target depends on it, so it sits in the same
/// build folder as the test bundle) and captures its output, with a time limit.
enum Cocoop {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let sharedFixtures = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// The binary beside the test bundle (debug or release, whichever built the tests).
    static var binary: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("cocoop")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/cocoop")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` (default: cocoop) with `arguments` in `directory` (default: this
    /// process's); kills it after `timeout` seconds.
    static func run(_ arguments: [String], executable: URL? = nil, environment: [String: String] = [:],
                    directory: URL? = nil, timeout: TimeInterval = 120) throws -> Result {
        let p = Process()
        p.executableURL = executable ?? binary
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let outData = DataCollector(out.fileHandleForReading), errData = DataCollector(err.fileHandleForReading)
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: outData.finish(), stderr: errData.finish())
    }

    /// Starts `executable` with `arguments` in the background, `environment` over this
    /// process's, output appended to `log` (discarded when nil). SIGTERM, SIGUSR1 and SIGINT
    /// are unblocked for the child: test threads (libdispatch workers) block them, a child
    /// inherits the mask, and mpirun, unlike cocoop, does not unblock them itself, so it
    /// would never forward them.
    static func start(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                      directory: URL? = nil, log: URL? = nil) throws -> Process {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        var output = FileHandle.nullDevice
        if let log {
            if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
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

/// Reads a pipe on a background thread so a chatty child never blocks on a full pipe.
final class DataCollector: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.lock(); data.append(chunk); lock.unlock()
            }
            done.signal()
        }
    }

    func finish() -> String {
        done.wait()
        lock.lock(); defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
