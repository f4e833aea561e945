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
