import Foundation
import Support
import Tensor
import Testing
import TestSupport
import TorchFormats
@testable import CLIP

/// CLIP weights from PyTorch files (`.pt`/`.pth` state dicts, a Hugging Face folder's
/// pytorch_model.bin) load exactly as the same tensors do from safetensors.
@Suite("TorchWeights")
struct TorchWeightsTests {
    /// Rewrites every tensor of a safetensors file as a torch.save state dict (float32).
    static func convert(_ source: URL, to destination: URL, renaming: (String) -> String = { $0 }) throws {
        let file = try SafetensorsFile(url: source)
        let tensors = try file.names.map {
            NamedTensor(name: renaming($0), shape: try file.shape($0), values: try file.floats($0))
        }
        try TorchSave.writeStateDict(tensors, to: destination)
    }

    static func expectSame(_ a: CLIPWeights, _ b: CLIPWeights) {
        #expect(a.architecture == b.architecture)
        #expect(a.naming == b.naming)
        #expect(a.logitScale == b.logitScale)
        for parameter in CLIPParameter.all(for: a.architecture) {
            guard let x = a.tensor(for: parameter), let y = b.tensor(for: parameter) else { continue }
            #expect(x.shape == y.shape && x.array == y.array, "\(parameter)")
        }
    }

    @Test("An OpenAI state dict saved with torch.save loads like the safetensors file, F32 borrowed from the map")
    func openAIStateDict() throws {
        try TemporaryDirectory.with { folder in
            let pt = folder.appendingPathComponent("ViT-tiny.pt")
            try Self.convert(WeightsFixtures.openAIF16, to: pt)
            let fromTorch = try CLIPWeights.load(from: pt)
            Self.expectSame(fromTorch, try CLIPWeights.load(from: WeightsFixtures.openAIF16))
            #expect(fromTorch.isBorrowedFromFile(.global(.tokenEmbedding)))
            #expect(try CLIPWeights.architecture(at: pt) == fromTorch.architecture)
        }
    }

    @Test("OpenAI's input_resolution, context_length and vocab_size entries are read past without warnings")
    func openAIExtras() throws {
        try TemporaryDirectory.with { folder in
            let file = try SafetensorsFile(url: WeightsFixtures.openAIF16)
            var tensors = try file.names.map {
                NamedTensor(name: $0, shape: try file.shape($0), values: try file.floats($0))
            }
            tensors += [("input_resolution", 32), ("context_length", 77), ("vocab_size", 49408), ("extra", 1)].map {
                NamedTensor(name: $0.0, shape: [], values: [Float($0.1)])
            }
            let pt = folder.appendingPathComponent("with-extras.pt")
            try TorchSave.writeStateDict(tensors, to: pt)
            #expect(try CLIPWeights.load(from: pt).warnings == ["\(pt.path): ignoring unexpected tensor 'extra'"])
        }
    }

    @Test("A TorchScript CLIP traced from OpenAI's model.py loads like its safetensors (when torch is installed)")
    func torchScriptCLIP() throws {
        try TemporaryDirectory.with { folder in
            let pt = folder.appendingPathComponent("ViT-tiny-jit.pt")
            let script = WeightsFixtures.testsFolder.deletingLastPathComponent()
                .appendingPathComponent("Scripts/gen_torchscript_clip.py")
            let r = try runTool(["python3", script.path, WeightsFixtures.openAIF32.path, pt.path], timeout: 300)
            guard r.status != 3 else {
                print("TorchWeights.torchScriptCLIP: needs torch, safetensors and openai-clip; skipped (\(r.stdout))")
                return
            }
            try #require(r.status == 0, "\(r.output)")
            let file = try TorchFile(path: pt.path)
            #expect(file.isTorchScript)
            Self.expectSame(try CLIPWeights.load(from: pt), try WeightsFixtures.loadOpenAIF32())
        }
    }

    @Test("A Hugging Face folder with pytorch_model.bin instead of model.safetensors")
    func huggingFaceBin() throws {
        try TemporaryDirectory.with { folder in
            let hf = WeightsFixtures.huggingFaceFolder
            try FileManager.default.copyItem(at: hf.appendingPathComponent("config.json"),
                                             to: folder.appendingPathComponent("config.json"))
            try Self.convert(hf.appendingPathComponent("model.safetensors"),
                             to: folder.appendingPathComponent("pytorch_model.bin"))
            Self.expectSame(try CLIPWeights.load(from: folder), try CLIPWeights.load(from: hf))
        }
    }

    @Test("A wrong shape in a .pth names the file and the tensor, as for safetensors")
    func validation() throws {
        try TemporaryDirectory.with { folder in
            let pt = folder.appendingPathComponent("bad.pth")
            try Self.convert(WeightsFixtures.openAIF16, to: pt)
            let file = try SafetensorsFile(url: WeightsFixtures.openAIF16)
            var tensors = try file.names.map {
                NamedTensor(name: $0, shape: try file.shape($0), values: try file.floats($0))
            }
            let i = try #require(tensors.firstIndex { $0.name == "ln_final.bias" })
            tensors[i] = NamedTensor(name: "ln_final.bias", shape: [3], values: [0, 0, 0])
            try TorchSave.writeStateDict(tensors, to: pt)
            let error = WeightsFixtures.error { _ = try CLIPWeights.load(from: pt) }
            #expect("\(error.map { "\($0)" } ?? "loaded")".contains("ln_final.bias"))
            #expect("\(error.map { "\($0)" } ?? "loaded")".contains(pt.path))
        }
    }
}
