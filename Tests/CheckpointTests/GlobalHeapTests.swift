import HDF5
import Checkpoint
import Foundation
import Testing
import TestSupport

/// What fuzzing the checkpoint and pack readers found HDF5 doing with damaged files, refused
/// before HDF5 gets there: a global heap collection it would spin on forever, a stored string
/// length it would allocate (up to 4 GB).
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

    /// Sets the size of the free-space object of `url`'s first collection to zero; returns
    /// the offsets of the collection and of the object.
    @discardableResult
    func damage(_ url: URL) throws -> (collection: Int, object: Int) {
        var bytes = [UInt8](try Data(contentsOf: url))
        let (gcol, at) = try freeSpaceObject(bytes)
        for i in 8..<16 { bytes[at + i] = 0 }
        try Data(bytes).write(to: url)
        return (gcol, at)
    }

    @Test("A free-space object of size 0 is refused at load, naming the file and offset")
    func zeroSizedFreeSpaceIsRefused() throws {
        let url = dir.file("gcol.h5")
        try Checkpoint.save(sampleContents(), to: url)
        let (gcol, at) = try damage(url)

        let outcome = try #require(load(url), "Checkpoint.load hung on a zero-sized global heap object")
        guard case .failure(let error) = outcome else { Issue.record("damaged checkpoint loaded"); return }
        #expect(error as? HDF5Error == .corruptGlobalHeap(file: url.path, offset: gcol,
                                                         reason: "the free-space object at byte \(at) has size 0"))
        #expect("\(error)".contains(url.path) && "\(error)".contains("global heap"))
    }

    @Test("Resuming skips a newest checkpoint with such a heap and takes the one before")
    func resumeSkipsIt() throws {
        let folder = CheckpointDirectory(dir.url.appendingPathComponent("checkpoints"))
        let older = try folder.save(sampleContents(epoch: 1, step: 10))
        let newest = try folder.save(sampleContents(epoch: 2, step: 20))
        try damage(newest)
        let result = try folder.loadNewestValid()
        #expect(result.loaded?.entry.url == older)
        #expect(result.skipped.map(\.entry.url) == [newest])
        #expect(result.skipped.first?.reason.contains("global heap") == true)
    }

    /// A file with the strings ["abc", "de"] in /names, its bytes, and the offset of the
    /// first stored element (length: 4 bytes, heap address: 8, object index: 4).
    func storedStrings(_ name: String) throws -> (url: URL, bytes: [UInt8], at: Int) {
        let url = dir.file(name)
        let file = try HDF5File.create(url.path)
        try file.write(["abc", "de"], to: "/names")
        try file.close()
        let bytes = [UInt8](try Data(contentsOf: url))
        func isPair(_ i: Int) -> Bool {
            let first: ArraySlice<UInt8> = bytes[i..<i + 4], second: ArraySlice<UInt8> = bytes[i + 16..<i + 20]
            let sameHeap: Bool = bytes[i + 4..<i + 12] == bytes[i + 20..<i + 28]
            return first == [3, 0, 0, 0] && second == [2, 0, 0, 0] && sameHeap
        }
        let found: Int? = (0..<bytes.count - 32).first(where: isPair)
        return (url, bytes, try #require(found))
    }

    @Test("A stored string length past the file is refused before HDF5 allocates it")
    func stringLengthPastTheFile() throws {
        var (url, bytes, at) = try storedStrings("length.h5")
        bytes[at + 3] = 0xF0  // about 4 GB, which HDF5 would allocate and fill
        try Data(bytes).write(to: url)
        let reader = try HDF5File.open(url.path)
        #expect(throws: HDF5Error.damagedDataset(file: url.path, object: "/names",
                                                 reason: "string 0 declares \(0xF000_0003) bytes, more than the "
                                                         + "file's \(bytes.count)")) {
            _ = try reader.readStrings("/names")
        }
    }

    @Test("A stored heap object index that does not exist is refused before HDF5 reads out of bounds")
    func heapIndexThatDoesNotExist() throws {
        var (url, bytes, at) = try storedStrings("index.h5")
        let index = Int(bytes[at + 12]) | Int(bytes[at + 13]) << 8
        bytes[at + 14] = 0x80  // index + 0x80_0000: HDF5 indexes its object table with it unchecked
        try Data(bytes).write(to: url)
        let reader = try HDF5File.open(url.path)
        do {
            _ = try reader.readStrings("/names")
            Issue.record("read a string through a heap index that does not exist")
        } catch let error as HDF5Error {
            guard case .damagedDataset(_, "/names", let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.hasPrefix("string 0: heap object \(0x80_0000 + index) does not exist"), "\(reason)")
        }
    }

    @Test("An intact checkpoint passes the check")
    func intactFilePasses() throws {
        let url = dir.file("ok.h5")
        try Checkpoint.save(sampleContents(), to: url)
        try HDF5File.checkGlobalHeaps(atPath: url.path)
        #expect(try Checkpoint.load(from: url).epoch == 3)
    }
}
