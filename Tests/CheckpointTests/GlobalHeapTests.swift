import HDF5
import Checkpoint
import Foundation
import Testing
import TestSupport

/// A global heap collection HDF5 would spin on forever (found by fuzzing the checkpoint
/// reader) is refused before HDF5 parses it.
@Suite("Damaged global heaps")
struct GlobalHeapTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory("cocoop-gcol-tests") }

    /// The byte offsets of the file's first collection and of its free-space object (index 0).
    func freeSpaceObject(_ bytes: [UInt8]) throws -> (collection: Int, object: Int) {
        let gcol = try #require((0..<bytes.count - 4).first { Array(bytes[$0..<$0 + 4]) == Array("GCOL".utf8) })
        func int(_ at: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        var p = gcol + 16
        while int(p, 2) != 0 { p += 16 + (int(p + 8, 8) + 7) / 8 * 8 }
        return (gcol, p)
    }

    /// Loads `url` on another thread; nil when it has not returned within `seconds` (a hang).
    func load(_ url: URL, seconds: Double = 20) -> Result<CheckpointContents, Error>? {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<CheckpointContents, Error>?
        Thread.detachNewThread {
            result = Result { try Checkpoint.load(from: url) }
            done.signal()
        }
        return done.wait(timeout: .now() + seconds) == .timedOut ? nil : result
    }

    @Test("A free-space object of size 0 is refused at load, naming the file and offset")
    func zeroSizedFreeSpaceIsRefused() throws {
        let url = dir.file("gcol.h5")
        try Checkpoint.save(sampleContents(), to: url)
        var bytes = [UInt8](try Data(contentsOf: url))
        let (gcol, at) = try freeSpaceObject(bytes)
        for i in 8..<16 { bytes[at + i] = 0 }
        try Data(bytes).write(to: url)

        let outcome = try #require(load(url), "Checkpoint.load hung on a zero-sized global heap object")
        guard case .failure(let error) = outcome else { Issue.record("damaged checkpoint loaded"); return }
        #expect(error as? HDF5Error == .corruptGlobalHeap(file: url.path, offset: gcol,
                                                         reason: "the free-space object at byte \(at) has size 0"))
        #expect("\(error)".contains(url.path) && "\(error)".contains("global heap"))
    }

    @Test("An intact checkpoint passes the check")
    func intactFilePasses() throws {
        let url = dir.file("ok.h5")
        try Checkpoint.save(sampleContents(), to: url)
        try HDF5File.checkGlobalHeaps(atPath: url.path)
        #expect(try Checkpoint.load(from: url).epoch == 3)
    }
}
