import Foundation
import Support
import Testing
import TestSupport
@testable import TorchFormats

/// The reader against files PyTorch wrote: every tensor's shape and values equal what
/// torch.load (or torch.jit.load(...).state_dict()) gave for the same file.
@Suite("TorchReader")
struct TorchReaderTests {
    func expectMatchesTorch(_ file: String, _ state: TorchStateDict) throws {
        let expected = try #require(TorchFixtures.expected[file])
        #expect(state.names.sorted() == expected.keys.sorted(), "\(file): names")
        for (name, entry) in expected {
            let tensor = try state.tensor(name)
            #expect(tensor.shape == entry.shape, "\(file): \(name) shape")
            #expect(try state.floats(name) == entry.values, "\(file): \(name) values")
        }
    }

    @Test("A torch.save state dict: F32, F16, BF16, F64, shared storage with offsets, transposed views, scalars")
    func stateDict() throws {
        let state = try TorchStateDict(path: TorchFixtures.path("state_dict.pt"))
        try expectMatchesTorch("state_dict.pt", state)
        #expect(state.names == ["f32", "f16", "bf16", "view.a", "view.b", "scalar", "param", "f64"])
        #expect(try state.tensor("f16").dtype == .f16)
        #expect(try state.tensor("bf16").dtype == .bf16)
        let a = try state.tensor("view.a"), b = try state.tensor("view.b")
        #expect(a.storage === b.storage, "one storage for both views, as in the file")
        #expect(a.offset == 2 && b.strides == [1, 6] && !b.isContiguous)
        #expect(b.float32Pointer == nil, "a transposed view is not handed out as a flat pointer")
    }

    @Test("PyTorch's legacy (pre-1.6) format: the same tensors, views and dtypes")
    func legacy() throws {
        let state = try TorchStateDict(path: TorchFixtures.path("legacy.pt"))
        try expectMatchesTorch("legacy.pt", state)
        #expect(state.names == ["f32", "f16", "bf16", "view.a", "view.b", "scalar", "param", "f64"])
        #expect(try state.tensor("view.a").storage === state.tensor("view.b").storage)
    }

    @Test("Every truncation of a legacy file is an error naming the file")
    func legacyTruncated() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: TorchFixtures.path("legacy.pt")))
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("cut.pt")
            for length in stride(from: 15, to: whole.count, by: 7) {
                try whole.prefix(length).write(to: url)
                #expect(throws: TorchFormatError.self, "cut at \(length)") { try TorchStateDict(path: url.path) }
            }
        }
    }

    @Test("Contiguous F32 tensors point into the mapped file (storages are 64-byte aligned)")
    func zeroCopy() throws {
        let file = try TorchFile(path: TorchFixtures.path("state_dict.pt"))
        let state = try TorchStateDict(file: file)
        let pointer = try #require(try state.tensor("f32").float32Pointer)
        let base = try #require(file.mapping.bytes.baseAddress)
        #expect(UnsafeRawPointer(pointer) >= base && UnsafeRawPointer(pointer) < base + file.mapping.count)
        #expect(Array(UnsafeBufferPointer(start: pointer, count: 12)) == (try state.floats("f32")))
    }

    @Test("A module's state dict (OrderedDict with _metadata set by BUILD)")
    func moduleState() throws {
        try expectMatchesTorch("module_state.pt", TorchStateDict(path: TorchFixtures.path("module_state.pt")))
    }

    @Test("TorchScript archives (torch.jit.script and torch.jit.trace) give torch.jit.load(p).state_dict()")
    func torchScript() throws {
        for name in ["tiny_script.pt", "tiny_trace.pt"] {
            let file = try TorchFile(path: TorchFixtures.path(name))
            #expect(file.isTorchScript, "\(name)")
            let state = try TorchStateDict(file: file)
            try expectMatchesTorch(name, state)
            #expect(state.contains("visual.conv1.weight"))
            #expect(state.contains("transformer.resblocks.1.attn.in_proj_weight"))
        }
    }

    @Test("Dassl's checkpoint dict: state_dict, epoch and val_result")
    func dasslCheckpoint() throws {
        let checkpoint = try DasslCheckpoint(path: TorchFixtures.path("model.pth.tar-5"))
        #expect(checkpoint.epoch == 5)
        #expect(checkpoint.valResult == nil)
        try expectMatchesTorch("model.pth.tar-5", checkpoint.stateDict)
        #expect(checkpoint.stateDict.names.first == "ctx")
    }

    @Test("CoOp's few-shot pickle (protocol 5 and protocol 2): Datum objects with their attributes")
    func fewShotCache() throws {
        for name in ["shot_1-seed_1.pkl", "shot_1-seed_1.protocol2.pkl"] {
            let cache = try DasslFewShotCache.read(path: TorchFixtures.path(name))
            #expect(cache.train == [
                DasslDatum(impath: "/data/oxford_pets/images/Abyssinian_1.jpg", label: 0, classname: "abyssinian"),
                DasslDatum(impath: "/data/oxford_pets/images/beagle_10.jpg", label: 1, classname: "beagle"),
            ], "\(name)")
            #expect(cache.val == [DasslDatum(impath: "/data/oxford_pets/images/Abyssinian_2.jpg", label: 0,
                                             classname: "abyssinian")], "\(name)")
        }
    }
}
