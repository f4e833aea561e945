import Foundation

/// A fresh temporary directory, removed when the object goes away.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-ckpt-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// A path inside the directory.
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
}

/// Runs a command-line tool (found on PATH) with a deadline; returns (status, stdout+stderr).
func runTool(_ args: [String], timeout: Double = 30) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = args
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let done = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in done.signal() }
    try process.run()
    // Read concurrently so a large output cannot fill the pipe and stall the tool.
    final class Box: @unchecked Sendable { var data = Data() }
    let box = Box()
    let reader = DispatchGroup()
    reader.enter()
    DispatchQueue.global().async {
        box.data = pipe.fileHandleForReading.readDataToEndOfFile()
        reader.leave()
    }
    if done.wait(timeout: .now() + timeout) == .timedOut {
        process.terminate()
        _ = done.wait(timeout: .now() + 5)
    }
    _ = reader.wait(timeout: .now() + 5)
    return (process.isRunning ? -1 : process.terminationStatus, String(decoding: box.data, as: UTF8.self))
}

/// Byte offsets at which `needle` occurs in the file at `url`.
func offsets(of needle: [UInt8], in url: URL) throws -> [Int] {
    let bytes = [UInt8](try Data(contentsOf: url))
    guard needle.count <= bytes.count else { return [] }
    return (0...(bytes.count - needle.count)).filter { i in
        bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle
    }
}

/// XORs the byte at `offset` of the file at `url` with `mask`.
func flipByte(in url: URL, at offset: Int, mask: UInt8 = 0x5a) throws {
    var bytes = try Data(contentsOf: url)
    bytes[offset] ^= mask
    try bytes.write(to: url)
}

/// The little-endian bytes of `values`.
func littleEndianBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}
