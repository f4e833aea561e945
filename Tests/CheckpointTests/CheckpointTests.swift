import HDF5
import Checkpoint
import Foundation
import Testing
import TestSupport

/// A small CoCoOp-shaped checkpoint (M = 4, D = 8, E = 32, Meta-Net hidden 2) whose
/// values depend on `salt`; ctx starts with a distinctive pattern to find it in the file.
func sampleContents(epoch: Int = 3, step: Int = 120, salt: Float = 0) -> CheckpointContents {
    func tensor(_ name: String, _ shape: [Int], _ offset: Float) -> NamedTensor {
        NamedTensor(name: name, shape: shape,
                    values: (0..<shape.reduce(1, *)).map { Float($0) * 1.25 + 1000.5 + offset + salt })
    }
    let params = [tensor("ctx", [4, 8], 0), tensor("meta_net/linear1/weight", [2, 32], 100),
                  tensor("meta_net/linear1/bias", [2], 200), tensor("meta_net/linear2/weight", [8, 2], 300),
                  tensor("meta_net/linear2/bias", [8], 400)]
    let momentum = params.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values.map { -$0 * 1e-3 }) }
    return CheckpointContents(
        epoch: epoch, step: step, worldSize: 4, seed: 1,
        configYAML: "OPTIM:\n  LR: 0.002\n  MAX_EPOCH: 10\nTRAINER:\n  COCOOP:\n    N_CTX: 4\n",
        clipWeightsSHA256: String(repeating: "ab", count: 32), softwareVersion: "0.1.0",
        created: Date(timeIntervalSince1970: 1_764_000_000),
        params: params, momentum: momentum,
        classnames: ["abyssinian", "american bulldog", "ünïcode ✓"],
        metrics: ["train/loss": .series([2.5, 1.25, 0.75]), "val/accuracy": .scalar(0.875)],
        extraAttributes: ["step_in_epoch": .int64(12), "scheduler_last_lr": .double(0.0019),
                          "note": .string("resume test")])
}

/// The checkpoint schema v1: round trip, what h5dump sees, and corruption handling.
@Suite("Checkpoint")
struct CheckpointTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory("cocoop-ckpt-tests") }

    @Test("Every kind of value round-trips")
    func roundTrip() throws {
        let url = dir.file("ckpt.h5")
        let original = sampleContents()
        try Checkpoint.save(original, to: url)
        let loaded = try Checkpoint.load(from: url)
        // Tensors come back in name order (HDF5 lists links by name).
        var expected = original
        expected.params.sort { $0.name < $1.name }
        expected.momentum.sort { $0.name < $1.name }
        #expect(loaded == expected)
        #expect(loaded.param("meta_net/linear2/weight")?.shape == [8, 2])
        #expect(!FileManager.default.fileExists(atPath: url.path + ".tmp"))
    }

    @Test("Optional parts may be empty; created defaults to now")
    func minimal() throws {
        let url = dir.file("min.h5")
        var c = CheckpointContents(epoch: 0, step: 0, worldSize: 1, seed: 7, configYAML: "", clipWeightsSHA256: "",
                                   softwareVersion: "0.1.0")
        c.params = [NamedTensor(name: "ctx", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])]
        let before = Date().addingTimeInterval(-2)
        try Checkpoint.save(c, to: url)
        let loaded = try Checkpoint.load(from: url)
        #expect(loaded.momentum.isEmpty && loaded.classnames.isEmpty && loaded.metrics.isEmpty)
        #expect(loaded.extraAttributes.isEmpty)
        let created = try #require(loaded.created)
        #expect(created >= before && created <= Date().addingTimeInterval(2))
    }

    @Test("Invalid contents are refused before anything is written, naming the tensor")
    func invalidContents() throws {
        var c = sampleContents()
        c.params[1].values.removeLast()
        #expect(throws: CheckpointError.invalidContents(
            "tensor /params/meta_net/linear1/weight: shape [2, 32] needs 64 values, got 63")) {
            try Checkpoint.save(c, to: dir.file("bad.h5"))
        }
        c = sampleContents()
        c.momentum.removeLast()
        #expect(throws: CheckpointError.self) { try Checkpoint.save(c, to: dir.file("bad.h5")) }
        c = sampleContents()
        c.extraAttributes["epoch"] = .int64(1)
        #expect(throws: CheckpointError.invalidContents("extra attribute name 'epoch' is reserved by the schema")) {
            try Checkpoint.save(c, to: dir.file("bad.h5"))
        }
        c = sampleContents()
        c.params.append(NamedTensor(name: "ctx/inner", shape: [1], values: [0]))
        #expect(throws: CheckpointError.self) { try Checkpoint.save(c, to: dir.file("bad.h5")) }
        #expect(!FileManager.default.fileExists(atPath: dir.file("bad.h5").path))
    }

    @Test("h5dump -H shows the schema to a reader who never saw this code")
    func h5dumpHeader() throws {
        let url = dir.file("dump.h5")
        try Checkpoint.save(sampleContents(), to: url)
        let header = try runTool(["h5dump", "-H", "-p", url.path])
        let out = header.output
        #expect(header.status == 0, "\(out)")
        for needle in ["GROUP \"params\"", "GROUP \"meta_net\"", "GROUP \"linear1\"", "DATASET \"weight\"",
                       "DATASET \"ctx\"", "DATASPACE  SIMPLE { ( 4, 8 ) / ( 4, 8 ) }", "H5T_IEEE_F32LE",
                       "GROUP \"optimizer\"", "GROUP \"momentum\"", "DATASET \"classnames\"", "CSET H5T_CSET_UTF8",
                       "GROUP \"metrics\"", "DATASET \"accuracy\"", "DATASPACE  SCALAR", "H5T_IEEE_F64LE",
                       "CHECKSUM FLETCHER32", "CHUNKED",
                       "ATTRIBUTE \"format\"", "ATTRIBUTE \"format_version\"", "ATTRIBUTE \"created\"",
                       "ATTRIBUTE \"software_version\"", "ATTRIBUTE \"epoch\"", "ATTRIBUTE \"step\"",
                       "ATTRIBUTE \"world_size\"", "ATTRIBUTE \"seed\"", "ATTRIBUTE \"config_yaml\"",
                       "ATTRIBUTE \"clip_weights_sha256\"", "ATTRIBUTE \"tensors_digest\"",
                       "ATTRIBUTE \"step_in_epoch\"", "H5T_STD_I64LE"] {
            #expect(out.contains(needle), "h5dump -H lacks \(needle)")
        }
        // Values too: the format attribute and the class names.
        let dumped = try runTool(["h5dump", "-a", "/format", "-a", "/epoch", "-d", "/classnames", url.path])
        let values = dumped.output
        #expect(dumped.status == 0, "\(values)")
        #expect(values.contains("\"cocoop-checkpoint\""))
        #expect(values.contains("(0): 3"))
        #expect(values.contains("\"american bulldog\""))
        let ctxDump = try runTool(["h5dump", "-d", "/params/ctx", url.path])
        let ctx = ctxDump.output
        #expect(ctxDump.status == 0)
        #expect(ctx.contains("(0,0): 1000.5, 1001.75, 1003"), "\(ctx)")
    }

    @Test("A flipped byte inside a parameter's data is detected, naming the file and dataset")
    func corruptParameter() throws {
        let url = dir.file("corrupt.h5")
        let contents = sampleContents()
        try Checkpoint.save(contents, to: url)
        let ctx = try #require(contents.param("ctx"))
        let hits = try offsets(of: littleEndianBytes(Array(ctx.values[0..<8])), in: url)
        try #require(hits.count == 1, "ctx's bytes should occur once in the file")
        try flipByte(in: url, at: hits[0] + 4 * 17 + 2) // inside element 17 of /params/ctx
        do {
            _ = try Checkpoint.load(from: url)
            Issue.record("corrupt checkpoint loaded")
        } catch let error as HDF5Error {
            #expect(error == .callFailed(routine: "H5Dread", file: url.path, object: "/params/ctx",
                                         detail: "data error detected by Fletcher32 checksum"), "\(error)")
            #expect(error.description.contains(url.path) && error.description.contains("/params/ctx"))
        }
    }

    @Test("A truncated file is reported, naming the file")
    func truncated() throws {
        let url = dir.file("truncated.h5")
        try Checkpoint.save(sampleContents(), to: url)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()
        do {
            _ = try Checkpoint.load(from: url)
            Issue.record("truncated checkpoint loaded")
        } catch let error as HDF5Error {
            #expect(error.file == url.path)
            #expect(error.description.contains("truncated file"), "\(error)")
        }
    }

    @Test("A stored digest that does not match the tensors is a corrupt file")
    func digestMismatch() throws {
        let url = dir.file("digest.h5")
        try Checkpoint.save(sampleContents(), to: url)
        let file = try HDF5File.open(url.path, mode: .readWrite)
        try file.setAttribute("tensors_digest", .string("0123456789abcdef"))
        try file.close()
        #expect {
            try Checkpoint.load(from: url)
        } throws: { error in
            guard case let CheckpointError.digestMismatch(file, _, stored, _) = error else { return false }
            return file == url.path && stored == "0123456789abcdef"
        }
    }

    @Test("Other HDF5 files and newer schema versions are refused with a clear error")
    func notACheckpoint() throws {
        let other = dir.file("other.h5")
        let f = try HDF5File.create(other.path)
        try f.write([Float](arrayLiteral: 1), to: "/x")
        try f.close()
        #expect(throws: CheckpointError.notACheckpoint(file: other.path,
                                                       found: nil)) { try Checkpoint.load(from: other) }

        let newer = dir.file("newer.h5")
        try Checkpoint.save(sampleContents(), to: newer)
        let g = try HDF5File.open(newer.path, mode: .readWrite)
        try g.setAttribute("format_version", .int64(3))
        try g.close()
        #expect(throws: CheckpointError.unsupportedVersion(file: newer.path,
                                                           version: 3)) { try Checkpoint.load(from: newer) }
    }

    @Test("format_version 1 (no content_digest) is still read")
    func versionOneIsRead() throws {
        let url = dir.file("v1.h5")
        try Checkpoint.save(sampleContents(), to: url)
        let f = try HDF5File.open(url.path, mode: .readWrite)
        try f.removeAttribute("content_digest")
        try f.setAttribute("format_version", .int64(1))
        try f.close()
        let loaded = try Checkpoint.load(from: url)
        #expect(loaded.classnames == sampleContents().classnames && loaded.epoch == 3)
        // The same file claiming version 2 lacks its digest: refused.
        let g = try HDF5File.open(url.path, mode: .readWrite)
        try g.setAttribute("format_version", .int64(2))
        try g.close()
        #expect(throws: (any Error).self) { try Checkpoint.load(from: url) }
    }

    @Test("a changed class name, config or epoch is detected by content_digest")
    func contentDigestCoversAttributesAndClassNames() throws {
        let url = dir.file("content.h5")
        try Checkpoint.save(sampleContents(), to: url)
        for (name, value) in [("epoch", HDF5AttributeValue.int64(4)), ("config_yaml", .string("OPTIM:\n  LR: 9\n")),
                              ("step_in_epoch", .int64(11))] {
            let copy = dir.file("content-\(name).h5")
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.copyItem(at: url, to: copy)
            let f = try HDF5File.open(copy.path, mode: .readWrite)
            try f.setAttribute(name, value)
            try f.close()
            #expect(throws: CheckpointError.self, "\(name)") { try Checkpoint.load(from: copy) }
        }
    }

    /// Single-bit flips anywhere in the file: each one is detected (load throws) or leaves the
    /// contents exactly as written (a bit HDF5 never reads, e.g. free space).
    @Test("every single-bit flip is detected or harmless (seeded property test)")
    func bitFlips() throws {
        let url = dir.file("flips.h5")
        let original = sampleContents()
        try Checkpoint.save(original, to: url)
        let bytes = try Data(contentsOf: url)
        var rng = TestRNG(seed: 17)
        var detected = 0
        for trial in 0..<300 {
            var copy = bytes
            let bit = Int(rng.next() % UInt64(bytes.count * 8))
            copy[bit / 8] ^= UInt8(1 << (bit % 8))
            let flipped = dir.file("flip-\(trial).h5")
            try copy.write(to: flipped)
            defer { try? FileManager.default.removeItem(at: flipped) }
            do {
                let loaded = try Checkpoint.load(from: flipped)
                var expected = original
                expected.params.sort { $0.name < $1.name }
                expected.momentum.sort { $0.name < $1.name }
                #expect(loaded == expected, "bit \(bit) changed the contents undetected")
            } catch {
                detected += 1
            }
        }
        // Most of a small HDF5 file is padding and unused allocation that no reader looks at
        // (71 of these 300 flips land in checked bytes); the property is the one above.
        #expect(detected > 0, "no flip was detected: the test does not reach the checked bytes")
    }
}
