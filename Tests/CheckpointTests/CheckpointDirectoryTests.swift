import HDF5
import Checkpoint
import Foundation
import Testing
import TestSupport

/// Naming, listing, fallback to the previous valid checkpoint, retention and failed saves.
@Suite("CheckpointDirectory")
struct CheckpointDirectoryTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory("cocoop-ckpt-tests") }

    var folder: CheckpointDirectory { CheckpointDirectory(dir.url.appendingPathComponent("checkpoints")) }

    @Test("File names encode epoch and step; other names are ignored")
    func names() {
        #expect(CheckpointDirectory.fileName(epoch: 3, step: 120) == "ckpt-e0003-s000120.h5")
        #expect(CheckpointDirectory.parse(fileName: "ckpt-e0003-s000120.h5")! == (3, 120))
        #expect(CheckpointDirectory.parse(fileName: "ckpt-e12345-s1234567.h5")! == (12345, 1_234_567))
        for bad in ["ckpt-e0003-s000120.h5.tmp", "ckpt-e0003.h5", "ckpt-e-1-s2.h5", "ckpt-ex-s1.h5",
                    "best.h5", "ckpt-e0003-s000120-old.h5", "ckpt-e٣-s1.h5"] {
            #expect(CheckpointDirectory.parse(fileName: bad) == nil, "\(bad)")
        }
    }

    @Test("Listing is newest first by (epoch, step) and skips temporary and foreign files")
    func listing() throws {
        #expect(try folder.entries().isEmpty) // folder not created yet
        for (e, s) in [(0, 40), (1, 80), (0, 10), (2, 120), (1, 100)] {
            try folder.save(sampleContents(epoch: e, step: s))
        }
        try "x".write(to: folder.url.appendingPathComponent("ckpt-e0009-s000999.h5.tmp"), atomically: false,
                      encoding: .utf8)
        try "x".write(to: folder.url.appendingPathComponent("notes.txt"), atomically: false, encoding: .utf8)
        #expect(try folder.entries().map(\.name) == ["ckpt-e0002-s000120.h5", "ckpt-e0001-s000100.h5",
                                                     "ckpt-e0001-s000080.h5", "ckpt-e0000-s000040.h5",
                                                     "ckpt-e0000-s000010.h5"])
        #expect(try folder.removeStaleTemporaries().map(\.lastPathComponent) == ["ckpt-e0009-s000999.h5.tmp"])
    }

    @Test("loadNewestValid falls back past truncated and corrupt files, naming them")
    func fallback() throws {
        let oldest = try folder.save(sampleContents(epoch: 1, step: 10, salt: 1))
        let good = try folder.save(sampleContents(epoch: 1, step: 20, salt: 2))
        let corrupt = try folder.save(sampleContents(epoch: 2, step: 30, salt: 3))
        let truncated = try folder.save(sampleContents(epoch: 2, step: 40, salt: 4))
        _ = oldest

        var result = try folder.loadNewestValid()
        #expect(result.loaded?.entry.url == truncated && result.skipped.isEmpty)

        // Cut the newest in half, flip a byte inside the second newest's momentum.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: truncated.path)[.size] as? Int)
        let handle = try FileHandle(forWritingTo: truncated)
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()
        let momentum = try #require(sampleContents(salt: 3).momentum("meta_net/linear1/weight"))
        let hits = try offsets(of: littleEndianBytes(Array(momentum.values[0..<8])), in: corrupt)
        try #require(hits.count == 1)
        try flipByte(in: corrupt, at: hits[0] + 9)

        result = try folder.loadNewestValid()
        #expect(result.loaded?.entry.url == good)
        #expect(result.loaded?.contents.step == 20)
        #expect(result.loaded?.contents.param("ctx")?.values.first == 1000.5 + 2)
        #expect(result.skipped.map(\.entry.url) == [truncated, corrupt])
        #expect(result.warnings.count == 2)
        #expect(result.warnings[0].contains(truncated.path) && result.warnings[0].contains("truncated file"),
                "\(result.warnings[0])")
        #expect(result.warnings[1].contains(corrupt.path)
                && result.warnings[1].contains("/optimizer/momentum/meta_net/linear1/weight")
                && result.warnings[1].contains("Fletcher32"), "\(result.warnings[1])")
    }

    @Test("Nothing valid: no checkpoint, every file reported")
    func nothingValid() throws {
        #expect(try folder.loadNewestValid().loaded == nil)
        try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
        try "not hdf5".write(to: folder.url.appendingPathComponent("ckpt-e0001-s000001.h5"), atomically: false,
                             encoding: .utf8)
        let result = try folder.loadNewestValid()
        #expect(result.loaded == nil)
        #expect(result.warnings.count == 1 && result.warnings[0].contains("ckpt-e0001-s000001.h5"))
    }

    @Test("Retention keeps the newest K plus the named files")
    func retention() throws {
        for s in 1...6 { try folder.save(sampleContents(epoch: s / 2, step: s * 10)) }
        let names = try folder.entries().map(\.name)
        // Newest first: s60 e3, s50 e2, s40 e2, s30 e1, s20 e1, s10 e0.
        let keepBest = "ckpt-e0001-s000020.h5"
        let removed = try folder.prune(keepNewest: 2, keeping: [keepBest, "ckpt-e0099-s000001.h5"])
        #expect(Set(removed.map(\.lastPathComponent)) == Set([names[2], names[3], names[5]]))
        #expect(try folder.entries().map(\.name) == [names[0], names[1], keepBest])
        #expect(try folder.prune(keepNewest: 2, keeping: [keepBest]).isEmpty)
        #expect(try folder.prune(keepNewest: 0).count == 3)
        #expect(try folder.entries().isEmpty)
    }

    @Test("A save that fails half-way leaves the previous file intact and no temporary file")
    func failedSave() throws {
        let first = sampleContents(epoch: 4, step: 200, salt: 1)
        let url = try folder.save(first)
        let before = try Data(contentsOf: url)

        // Same name; the config holds a NUL, which only the HDF5 layer rejects, after the
        // tensors are already in the temporary file.
        var second = sampleContents(epoch: 4, step: 200, salt: 2)
        second.extraAttributes["late"] = .string("bad\0value")
        #expect(throws: HDF5Error.self) { try folder.save(second) }

        func temporaries() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
                .filter { $0.hasSuffix(".tmp") }.sorted()
        }
        #expect(try Data(contentsOf: url) == before)
        #expect(try temporaries() == [])
        var expected = first
        expected.params.sort { $0.name < $1.name }
        expected.momentum.sort { $0.name < $1.name }
        #expect(try Checkpoint.load(from: url) == expected)

        // A stale temporary file from a crash does not disturb the next save, which never
        // writes through it (a planted link of that name would have its target overwritten).
        try "junk".write(toFile: url.path + ".tmp", atomically: false, encoding: .utf8)
        try folder.save(second.withoutExtra("late"))
        #expect(try Checkpoint.load(from: url).param("ctx")?.values.first == 1000.5 + 2)
        #expect(try temporaries() == [url.lastPathComponent + ".tmp"])
        #expect(try String(contentsOfFile: url.path + ".tmp", encoding: .utf8) == "junk")
    }
}

extension CheckpointContents {
    /// A copy without the extra attribute `name`.
    func withoutExtra(_ name: String) -> CheckpointContents {
        var c = self
        c.extraAttributes[name] = nil
        return c
    }
}
