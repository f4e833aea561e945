import Foundation
import Support
import Testing
import TestSupport
@testable import TorchFormats

/// Files meant to harm or confuse the reader: each gives one error naming the file and the
/// culprit, never a crash, and nothing in them is ever executed.
@Suite("HostileTorchFiles")
struct HostileTorchFileTests {
    func error(_ path: String) -> TorchFormatError? {
        do {
            _ = try TorchStateDict(path: path)
            return nil
        } catch let error as TorchFormatError {
            return error
        } catch {
            Issue.record("not a TorchFormatError: \(error)")
            return nil
        }
    }

    @Test("A pickle that calls os.system is refused by name, naming the file")
    func osSystem() throws {
        let path = TorchFixtures.path("evil.pt")
        let failure = try #require(error(path))
        #expect(failure == .refusedGlobal(path: path, name: "posix.system"))
        #expect(failure.description.hasPrefix("refusing to load 'posix.system' from \(path): only torch tensors"))
    }

    @Test("builtins.eval by STACK_GLOBAL in a bare pickle is refused before any call")
    func stackGlobalEval() throws {
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("evil.pkl")
            func short(_ s: String) -> [UInt8] { [0x8c, UInt8(s.utf8.count)] + Array(s.utf8) }
            let body = short("builtins") + short("eval") + [0x93] + short("1+1") + [0x85, UInt8(ascii: "R")]
            try Data(TorchFixtures.pickle(body)).write(to: url)
            #expect(throws: TorchFormatError.refusedGlobal(path: url.path, name: "builtins.eval")) {
                try TorchFile(path: url.path)
            }
        }
    }

    @Test("Every truncation of a real archive is an error naming the file")
    func truncated() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: TorchFixtures.path("state_dict.pt")))
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("cut.pt")
            for length in stride(from: 0, to: whole.count, by: 37) {
                try whole.prefix(length).write(to: url)
                let failure = try #require(error(url.path), "cut at \(length) bytes loaded")
                #expect(failure.description.contains(url.path), "\(failure)")
            }
        }
    }

    @Test("Every truncation of a bare pickle is an error naming the file and the byte")
    func truncatedPickle() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: TorchFixtures.path("shot_1-seed_1.pkl")))
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("cut.pkl")
            for length in 1..<whole.count {
                try whole.prefix(length).write(to: url)
                #expect(throws: TorchFormatError.self, "cut at \(length)") {
                    try DasslFewShotCache.read(path: url.path)
                }
            }
        }
    }

    @Test("A flipped byte in data.pkl is caught by its CRC-32, naming the entry")
    func damagedPickle() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TorchFixtures.path("state_dict.pt"))))
        let archive = try ZipArchive(mapping: MappedFile(path: TorchFixtures.path("state_dict.pt")))
        let pickle = try archive.bytes(of: "state_dict/data.pkl")
        let offset = pickle.baseAddress! - archive.mapping.bytes.baseAddress! + 40
        bytes[offset] ^= 0x01
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("flipped.pt")
            try Data(bytes).write(to: url)
            let failure = try #require(error(url.path))
            guard case let .corruptArchive(path, entry, reason) = failure else {
                Issue.record("\(failure)")
                return
            }
            #expect(path == url.path && entry == "state_dict/data.pkl" && reason.hasPrefix("CRC-32 is"))
        }
    }

    @Test("A storage whose entry is shorter than numel x element size names the entry")
    func wrongStorageSize() throws {
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("short.pt")
            let body = TorchFixtures.tensorCall(numel: 10, sizes: [10], strides: [1])
            try TorchFixtures.archive(pickle: TorchFixtures.pickle(body), storages: [[UInt8](repeating: 0, count: 12)],
                                      at: url)
            let failure = try #require(error(url.path))
            #expect(failure.description.contains("'archive/data/0'"), "\(failure)")
            #expect(failure.description.contains("need 40 bytes, the entry holds 12"), "\(failure)")
        }
    }

    @Test("Views outside their storage, huge sizes and huge lengths are errors, not traps")
    func hugeSizes() throws {
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("huge.pt")
            let storage = [[UInt8](repeating: 0, count: 12)]
            let cases: [([UInt8], String)] = [
                (TorchFixtures.tensorCall(numel: 3, sizes: [1 << 40, 1 << 40], strides: [1, 1]), "overflow"),
                (TorchFixtures.tensorCall(numel: 3, sizes: [2, 2], strides: [2, 1]), "reach element 3"),
                (TorchFixtures.tensorCall(numel: 3, sizes: [3], strides: [1], offset: 1), "reach element 3"),
                (TorchFixtures.tensorCall(numel: 3, sizes: [3], strides: [-1]), "negative"),
                (TorchFixtures.tensorCall(numel: 1 << 62, sizes: [1], strides: [1]), "more than Int.max"),
                ([UInt8(ascii: "X"), 0xff, 0xff, 0xff, 0xff], "truncated"),
                ([0x8a, 200] + [UInt8](repeating: 1, count: 200), "64 bits"),
                ([UInt8(ascii: "h"), 7], "memo 7"),
            ]
            for (body, text) in cases {
                try TorchFixtures.archive(pickle: TorchFixtures.pickle(body), storages: storage, at: url)
                do {
                    _ = try TorchFile(path: url.path)
                    Issue.record("\(text): loaded")
                } catch let failure as TorchFormatError {
                    #expect(failure.description.contains(text) && failure.description.contains(url.path),
                            "\(failure)")
                }
            }
        }
    }

    @Test("A deflated data.pkl is refused naming the entry; a cut legacy file and a foreign file say what they are")
    func otherFormats() throws {
        try TemporaryDirectory.with { folder in
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TorchFixtures.path("state_dict.pt"))))
            let directory = bytes.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: bytes.count - 6,
                                                                         as: UInt32.self)) }
            bytes[directory + 10] = 8  // the first member (data.pkl): method 8, deflate
            let url = folder.appendingPathComponent("deflated.pt")
            try Data(bytes).write(to: url)
            #expect(error(url.path) == .compressedEntry(path: url.path, entry: "state_dict/data.pkl", method: 8))
            let legacy = folder.appendingPathComponent("legacy.pt")
            try Data([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e])
                .write(to: legacy)
            #expect(error(legacy.path)?.description.contains("\(legacy.path): the legacy version pickle") == true)
            let text = folder.appendingPathComponent("notes.txt")
            try Data("hello".utf8).write(to: text)
            #expect(error(text.path)?.description.contains("neither a zip archive nor a pickle") == true)
        }
    }

    @Test("A few-shot cache whose items are not Datum objects names the split and item")
    func notDatum() throws {
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("bad.pkl")
            let root = PickleNode.dict([("train", .list([.int(3)])), ("val", .list([]))], ordered: false)
            try Data(PickleWriter.stream(root)).write(to: url)
            #expect(throws: TorchFormatError.unexpectedContent(path: url.path, reason:
                "train[0] is a int, not a Datum with _impath, _label and _classname")) {
                try DasslFewShotCache.read(path: url.path)
            }
        }
    }
}
