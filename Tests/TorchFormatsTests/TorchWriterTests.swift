import Foundation
import Support
import Testing
import TestSupport
@testable import TorchFormats

/// The two files CoOp reads, as written here: Dassl's checkpoint and the few-shot cache.
/// Round trips through the reader, the archive's layout byte by byte, and (where python3
/// with torch is installed) torch.load and pickle.load themselves.
@Suite("TorchWriter")
struct TorchWriterTests {
    static let tensors = [
        NamedTensor(name: "ctx", shape: [4, 3], values: (0..<12).map { Float($0) * 0.25 - 1 }),
        NamedTensor(name: "meta_net.linear1.bias", shape: [2], values: [.pi, -0.0]),
        NamedTensor(name: "scalar", shape: [], values: [7]),
    ]
    static let train = [DasslDatum(impath: "/data/pets/images/a b.jpg", label: 3, classname: "great_pyrenees"),
                        DasslDatum(impath: "/data/pets/images/é.jpg", label: 300, domain: 1, classname: "x")]
    static let val = [DasslDatum(impath: "/v.jpg", label: 0, classname: "abyssinian")]

    @Test("Dassl's checkpoint round-trips: names in order, shapes, values, epoch, val_result")
    func checkpointRoundTrip() throws {
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("model.pth.tar-7")
            try DasslCheckpoint.write(Self.tensors, epoch: 7, valResult: 91.5, to: url)
            let back = try DasslCheckpoint(path: url.path)
            #expect(back.epoch == 7 && back.valResult == 91.5)
            #expect(back.stateDict.names == Self.tensors.map(\.name))
            for t in Self.tensors {
                #expect(try back.stateDict.tensor(t.name).shape == t.shape)
                #expect(try back.stateDict.floats(t.name).map(\.bitPattern) == t.values.map(\.bitPattern))
            }
            let root = try #require(try TorchFile(path: url.path).root.dict)
            #expect(root.stringKeys == ["state_dict", "epoch", "optimizer", "scheduler", "val_result"])
            #expect(root["state_dict"]?.dict?.ordered == true, "an OrderedDict, as module.state_dict() is")
        }
    }

    @Test("The archive holds torch.save's members, stored, CRC-checked and 64-byte aligned")
    func archiveLayout() throws {
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("m.pth")
            try TorchSave.writeStateDict(Self.tensors, to: url)
            let archive = try ZipArchive(mapping: MappedFile(path: url.path))
            #expect(archive.entries.map(\.name) == ["archive/data.pkl", "archive/byteorder", "archive/data/0",
                                                    "archive/data/1", "archive/data/2", "archive/version"])
            let base = try #require(archive.mapping.bytes.baseAddress)
            for entry in archive.entries {
                #expect(entry.method == 0)
                let bytes = try archive.bytes(of: entry)
                #expect((bytes.baseAddress! - base) % 64 == 0, "\(entry.name) not aligned")
                let crc = archive.mapping.bytes.loadUnaligned(fromByteOffset: entry.localHeaderOffset + 14,
                                                              as: UInt32.self)
                #expect(UInt32(littleEndian: crc) == ReflectedCRC32.zip.checksum([UInt8](bytes)), "\(entry.name) CRC")
            }
            #expect(String(decoding: try archive.bytes(of: "archive/byteorder"), as: UTF8.self) == "little")
            let pi = [UInt8](try archive.bytes(of: "archive/data/1"))
            #expect(pi == [0xda, 0x0f, 0x49, 0x40, 0, 0, 0, 0x80], "\(pi) (Float.pi rounds toward zero: 0x40490FDA)")
            #expect(ReflectedCRC32.zip.checksum(Array("123456789".utf8)) == 0xcbf4_3926, "the standard check value")
        }
    }

    @Test("The few-shot cache round-trips, Datum objects with all four attributes")
    func fewShotRoundTrip() throws {
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("shot_2-seed_1.pkl")
            try DasslFewShotCache.write(train: Self.train, val: Self.val, to: url)
            let back = try DasslFewShotCache.read(path: url.path)
            #expect(back.train == Self.train && back.val == Self.val)
            let bytes = [UInt8](try Data(contentsOf: url))
            let global = Array("cdassl.data.datasets.base_dataset\nDatum\n".utf8)
            #expect(bytes.starts(with: [0x80, 2]) && bytes.last == UInt8(ascii: "."))
            #expect(bytes.firstRange(of: global) != nil, "Datum pickled by Dassl's module path")
        }
    }

    @Test("torch.load(weights_only=True) and pickle.load read what is written (when torch is installed)")
    func realPyTorch() throws {
        guard let probe = try? runTool(["python3", "-c", "import torch"]), probe.status == 0 else {
            print("TorchWriter.realPyTorch: python3 with torch not installed; the round-trip tests stand alone")
            return
        }
        try TemporaryDirectory.with { folder in
            let checkpoint = folder.appendingPathComponent("model.pth.tar-7")
            let cache = folder.appendingPathComponent("shot_2-seed_1.pkl")
            try DasslCheckpoint.write(Self.tensors, epoch: 7, valResult: nil, to: checkpoint)
            try DasslFewShotCache.write(train: Self.train, val: Self.val, to: cache)
            let script = TorchFixtures.folder.deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Scripts/check_torch_files.py")
            let result = try runTool(["python3", script.path, checkpoint.path, cache.path], timeout: 120)
            try #require(result.status == 0, "\(result.output)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(json["keys"] as? [String] == ["epoch", "optimizer", "scheduler", "state_dict", "val_result"])
            #expect(json["epoch"] as? Int == 7)
            #expect(json["state_dict_type"] as? String == "OrderedDict")
            let state = try #require(json["state_dict"] as? [String: [String: Any]])
            for t in Self.tensors {
                #expect(state[t.name]?["shape"] as? [Int] == t.shape)
                #expect(state[t.name]?["dtype"] as? String == "torch.float32")
                #expect((state[t.name]?["values"] as? [Double])?.map(Float.init) == t.values)
            }
            let train = try #require(json["train"] as? [[String: Any]])
            #expect(train.map { $0["_impath"] as? String } == Self.train.map(\.impath))
            #expect(train.map { $0["_label"] as? Int } == Self.train.map(\.label))
            #expect(train.map { $0["_domain"] as? Int } == [0, 1])
            #expect(train.map { $0["_classname"] as? String } == Self.train.map(\.classname))
            #expect((json["val"] as? [[String: Any]])?.count == 1)
        }
    }
}
