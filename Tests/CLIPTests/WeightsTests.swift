import Foundation
import Support
import Tensor
import Testing
import TestSupport
@testable import CLIP

// MARK: - Fixtures and helpers

/// Where the weight fixtures live and small helpers for the weights tests.
enum WeightsFixtures {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    /// `Tests/Fixtures/weights` (small files copied into the repository).
    static let local = testsFolder.appendingPathComponent("Fixtures/weights")
    /// `../shared/fixtures` relative to the package root (the 31 MB float32 files).
    static let shared = testsFolder.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures")

    static let openAIF32 = shared.appendingPathComponent("clip_openai.safetensors")
    static let huggingFaceFolder = shared.appendingPathComponent("clip_hf")
    static let openAIF16 = local.appendingPathComponent("clip_openai_f16.safetensors")

    /// The tiny CLIP of the fixtures README.
    static let tiny = CLIPArchitecture(
        embedDim: 96, imageResolution: 32, visionLayers: 2, visionWidth: 192, visionHeads: 3, visionPatchSize: 8,
        contextLength: 77, vocabSize: 49408, textWidth: 128, textHeads: 2, textLayers: 3)

    /// A small architecture whose head counts differ from width / 64 (only a config can tell).
    static let small = CLIPArchitecture(
        embedDim: 24, imageResolution: 16, visionLayers: 2, visionWidth: 48, visionHeads: 4, visionPatchSize: 4,
        contextLength: 12, vocabSize: 50, textWidth: 32, textHeads: 4, textLayers: 3)

    /// The same with heads = width / 64, as OpenAI's build_model infers them.
    static let smallInferable = CLIPArchitecture(
        embedDim: 24, imageResolution: 16, visionLayers: 2, visionWidth: 128, visionHeads: 2, visionPatchSize: 4,
        contextLength: 12, vocabSize: 50, textWidth: 64, textHeads: 1, textLayers: 3)

    /// The loaded f32 OpenAI fixture, shared by the tests (loading is cheap: it is mapped).
    static func loadOpenAIF32() throws -> CLIPWeights { try CLIPWeights.load(from: openAIF32) }

    /// Copies the float tensors of `source` into a new file, optionally dropping or
    /// replacing some, and writes it to `destination`.
    static func rewrite(_ source: URL, to destination: URL, dropping dropped: Set<String> = [],
                        replacing replaced: [String: (shape: [Int], values: [Float])] = [:]) throws {
        let file = try SafetensorsFile(url: source)
        var writer = SafetensorsWriter(metadata: file.metadata)
        for name in file.names where !dropped.contains(name) {
            if let replacement = replaced[name] {
                try writer.add(name, shape: replacement.shape, floats: replacement.values)
            } else {
                try writer.add(name, shape: file.shape(name), floats: file.floats(name), as: file.dtype(name))
            }
        }
        for (name, replacement) in replaced where !file.contains(name) {
            try writer.add(name, shape: replacement.shape, floats: replacement.values)
        }
        try writer.write(to: destination)
    }

    /// Writes a safetensors file with the given (name, shape) F16 entries whose data area
    /// is a sparse hole: real shapes of any size at no cost, for shape-only tests.
    static func writeSparse(_ entries: [(String, [Int])], to url: URL) throws {
        var offset = 0
        var parts: [String] = []
        for (name, shape) in entries.sorted(by: { $0.0 < $1.0 }) {
            let bytes = shape.reduce(1, *) * 2
            let dims = shape.map(String.init).joined(separator: ",")
            let offsets = "[\(offset),\(offset + bytes)]"
            parts.append("\"\(name)\":{\"dtype\":\"F16\",\"shape\":[\(dims)],\"data_offsets\":\(offsets)}")
            offset += bytes
        }
        var header = Array("{\(parts.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var data = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        try data.write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(data.count + offset))
        try handle.close()
    }

    /// The file entries (name, shape in the file's layout) of a model in `naming`.
    static func entries(_ architecture: CLIPArchitecture, _ naming: CLIPCheckpointNaming) -> [(String, [Int])] {
        CLIPParameter.all(for: architecture).flatMap { parameter in
            naming.fileNames(parameter).map { ($0, naming.fileShape(parameter, architecture)) }
        }
    }

    /// The error thrown by `body`, or nil.
    static func error(_ body: () throws -> Void) -> Error? {
        do { try body(); return nil } catch { return error }
    }
}

/// Element-wise bit equality of two tensors (shapes included).
private func identical(_ a: Tensor, _ b: Tensor) -> Bool {
    a.shape == b.shape && (0..<a.count).allSatisfy { a.data[$0].bitPattern == b.data[$0].bitPattern }
}

// MARK: - Loading the fixtures

@Suite("CLIP weights: fixtures")
struct WeightsFixtureTests {
    @Test("OpenAI float32 file: tiny architecture inferred, tensors borrowed zero-copy, values as stored")
    func openAIFloat32() throws {
        let weights = try WeightsFixtures.loadOpenAIF32()
        #expect(weights.architecture == WeightsFixtures.tiny)
        #expect(weights.architecture.gridSize == 4)
        #expect(weights.naming == .openAI(prefix: ""))
        #expect(weights.configSource == nil)
        #expect(weights.warnings.isEmpty)
        let vision = try #require(weights.vision)
        #expect(weights.text.blocks.count == 3 && vision.blocks.count == 2)
        #expect(vision.patchEmbedding.shape == [192, 192])
        #expect(weights.text.blocks[0].attnIn.weight.shape == [384, 128])
        #expect(weights.text.projection.shape == [128, 96])
        #expect(vision.projection.shape == [192, 96])
        #expect(abs(exp(weights.logitScale) - 14.5) < 0.05)
        let file = try SafetensorsFile(url: WeightsFixtures.openAIF32)
        for parameter in CLIPParameter.all(for: weights.architecture) where parameter != .global(.logitScale) {
            let tensor = try #require(weights.tensor(for: parameter))
            #expect(weights.isBorrowedFromFile(parameter), "\(parameter.openAIName) should point into the mapping")
            #expect(tensor.shape == (try file.shape(parameter.openAIName)))
            #expect(tensor.array == (try file.floats(parameter.openAIName)), "\(parameter.openAIName)")
        }
        #expect(weights.logitScale == (try file.floats("logit_scale"))[0])
        // conv1 [W, 3, p, p] flattened as (c, ky, kx): element [o, c, ky, kx] at o*192 + c*64 + ky*8 + kx.
        let conv = try file.floats("visual.conv1.weight")
        #expect(vision.patchEmbedding.data[5 * 192 + 2 * 64 + 3 * 8 + 7] == conv[((5 * 3 + 2) * 8 + 3) * 8 + 7])
    }

    @Test(
        "Hugging Face folder: architecture from config.json, identical tensors after q/k/v concatenation, transposes")
    func huggingFaceFolderMatchesOpenAI() throws {
        let openAI = try WeightsFixtures.loadOpenAIF32()
        let hf = try CLIPWeights.load(from: WeightsFixtures.huggingFaceFolder)
        #expect(hf.architecture == WeightsFixtures.tiny)
        #expect(hf.naming == .huggingFace(prefix: ""))
        #expect(hf.configSource?.lastPathComponent == "config.json")
        #expect(hf.source.lastPathComponent == "model.safetensors")
        #expect(hf.warnings.isEmpty)
        #expect(hf.logitScale == openAI.logitScale)
        for parameter in CLIPParameter.all(for: hf.architecture) where parameter != .global(.logitScale) {
            let a = try #require(hf.tensor(for: parameter)), b = try #require(openAI.tensor(for: parameter))
            #expect(identical(a, b), "\(parameter.openAIName) differs between the Hugging Face and OpenAI files")
        }
        // Every block through the public structs too.
        let hfVision = try #require(hf.vision), openAIVision = try #require(openAI.vision)
        for (x, y) in zip(hf.text.blocks + hfVision.blocks, openAI.text.blocks + openAIVision.blocks) {
            for (a, b) in [(x.attnIn.weight, y.attnIn.weight), (x.attnIn.bias!, y.attnIn.bias!),
                           (x.attnOut.weight, y.attnOut.weight),
                           (x.fc.weight, y.fc.weight), (x.proj.bias!, y.proj.bias!), (x.ln1.weight, y.ln1.weight),
                           (x.ln2.bias, y.ln2.bias)] {
                #expect(identical(a, b))
            }
        }
        #expect(identical(hf.text.projection, openAI.text.projection))
        #expect(identical(hfVision.projection, openAIVision.projection))
        #expect(identical(hfVision.patchEmbedding, openAIVision.patchEmbedding))
        // Untransformed F32 tensors are borrowed, rearranged ones are owned.
        #expect(hf.isBorrowedFromFile(.global(.tokenEmbedding)))
        #expect(!hf.isBorrowedFromFile(.global(.textProjection)))
        #expect(!hf.isBorrowedFromFile(.block(.text, 0, .attnInWeight)))
    }

    @Test("Hugging Face safetensors file without config: architecture inferred from the shapes")
    func huggingFaceFileInferred() throws {
        let weights = try CLIPWeights.load(
            from: WeightsFixtures.huggingFaceFolder.appendingPathComponent("model.safetensors"))
        #expect(weights.architecture == WeightsFixtures.tiny)
        #expect(weights.configSource == nil)
    }

    @Test("Float16 file: every value equals the float32 one rounded to float16")
    func float16() throws {
        let f32 = try WeightsFixtures.loadOpenAIF32()
        let f16 = try CLIPWeights.load(from: WeightsFixtures.openAIF16)
        #expect(f16.architecture == WeightsFixtures.tiny)
        for parameter in CLIPParameter.all(for: f16.architecture) where parameter != .global(.logitScale) {
            let a = try #require(f16.tensor(for: parameter)), b = try #require(f32.tensor(for: parameter))
            #expect(!f16.isBorrowedFromFile(parameter))
            let rounded = Tensor(shape: b.shape, values: b.array.map { Float(Float16($0)) })
            #expect(identical(a, rounded), "\(parameter.openAIName)")
        }
        #expect(f16.logitScale == Float(Float16(f32.logitScale)))
        // The two files really differ (a loader confusing them would be caught).
        #expect(!identical(try #require(f16.tensor(for: .global(.tokenEmbedding))),
                           try #require(f32.tensor(for: .global(.tokenEmbedding)))))
    }

    @Test("contentSHA256 is the SHA-256 of the weights file, as recorded in the manifest")
    func contentHash() throws {
        let weights = try CLIPWeights.load(from: WeightsFixtures.openAIF16)
        let manifestURL = WeightsFixtures.local.appendingPathComponent("manifest.json")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL))
        let files = try #require((manifest as? [String: Any])?["files"] as? [[String: Any]])
        let recorded = files.first { $0["path"] as? String == "clip_openai_f16.safetensors" }?["sha256"] as? String
        #expect(try weights.contentSHA256() == recorded)
        #expect(try weights.contentSHA256() == recorded)  // cached
    }
}

// MARK: - Bad input

@Suite("CLIP weights: bad input")
struct WeightsBadInputTests {
    @Test("A missing tensor is named")
    func missingTensor() throws {
        try TemporaryDirectory.with("clip-weights-tests") { (folder: URL) throws in
            let url = folder.appendingPathComponent("m.safetensors")
            try RandomWeights.writeOpenAIFile(architecture: WeightsFixtures.smallInferable, seed: 1,
                                              to: folder.appendingPathComponent("full.safetensors"))
            try WeightsFixtures.rewrite(folder.appendingPathComponent("full.safetensors"), to: url,
                                        dropping: ["transformer.resblocks.1.attn.out_proj.bias"])
            let error = WeightsFixtures.error { _ = try CLIPWeights.load(from: url) }
            #expect(error as? CLIPWeightsError == .missingTensor(file: url.path,
                                                                 name: "transformer.resblocks.1.attn.out_proj.bias"))
            #expect("\(error!)".contains("transformer.resblocks.1.attn.out_proj.bias")
                    && "\(error!)".contains(url.path))
        }
    }

    @Test("A missing q/k/v part of a Hugging Face checkpoint is named")
    func missingHuggingFacePart() throws {
        try TemporaryDirectory.with("clip-weights-tests") { (folder: URL) throws in
            try RandomWeights.writeHuggingFaceFolder(architecture: WeightsFixtures.small, seed: 2, to: folder)
            let model = folder.appendingPathComponent("model.safetensors")
            let name = "vision_model.encoder.layers.1.self_attn.k_proj.bias"
            try WeightsFixtures.rewrite(model, to: folder.appendingPathComponent("edited.safetensors"),
                                        dropping: [name])
            try FileManager.default.removeItem(at: model)
            try FileManager.default.moveItem(at: folder.appendingPathComponent("edited.safetensors"), to: model)
            #expect(throws: CLIPWeightsError.missingTensor(file: model.path,
                                                           name: name)) { try CLIPWeights.load(from: folder) }
        }
    }

    @Test("A wrong shape names the tensor, the shape found and the shape expected")
    func wrongShape() throws {
        try TemporaryDirectory.with("clip-weights-tests") { (folder: URL) throws in
            let full = folder.appendingPathComponent("full.safetensors")
            try RandomWeights.writeOpenAIFile(architecture: WeightsFixtures.smallInferable, seed: 3, to: full)
            let url = folder.appendingPathComponent("s.safetensors")
            let name = "visual.transformer.resblocks.0.mlp.c_fc.weight"
            try WeightsFixtures.rewrite(full, to: url,
                                        replacing: [name: ([512, 127], [Float](repeating: 0, count: 512 * 127))])
            let error = WeightsFixtures.error { _ = try CLIPWeights.load(from: url) }
            #expect(error as? CLIPWeightsError == .shapeMismatch(file: url.path, name: name, found: [512, 127],
                                                                 expected: [512, 128]))
            #expect("\(error!)".contains("[512, 127]") && "\(error!)".contains("[512, 128]"))

            // In a Hugging Face folder the expected shape is the file's own layout ([E, D] for text_projection).
            let hf = folder.appendingPathComponent("hf")
            try RandomWeights.writeHuggingFaceFolder(architecture: WeightsFixtures.small, seed: 3, to: hf)
            let model = hf.appendingPathComponent("model.safetensors")
            try WeightsFixtures.rewrite(model, to: folder.appendingPathComponent("t.safetensors"),
                                        replacing: ["text_projection.weight":
                                                        ([32, 24], [Float](repeating: 0, count: 768))])
            try FileManager.default.removeItem(at: model)
            try FileManager.default.moveItem(at: folder.appendingPathComponent("t.safetensors"), to: model)
            #expect(throws: CLIPWeightsError.shapeMismatch(file: model.path, name: "text_projection.weight",
                                                           found: [32, 24], expected: [24, 32])) {
                try CLIPWeights.load(from: hf)
            }
        }
    }

    @Test("hidden_act other than quick_gelu, and impossible configs, are rejected naming config.json")
    func badConfig() throws {
        try TemporaryDirectory.with("clip-weights-tests") { (folder: URL) throws in
            try RandomWeights.writeHuggingFaceFolder(architecture: WeightsFixtures.small, seed: 4, to: folder)
            let configURL = folder.appendingPathComponent("config.json")
            let original = try String(contentsOf: configURL, encoding: .utf8)
            #expect(original.components(separatedBy: "\"quick_gelu\"").count == 3)
            let gelu = original.replacingOccurrences(of: "\"quick_gelu\"", with: "\"gelu\"")
            try gelu.write(to: configURL, atomically: true, encoding: .utf8)
            #expect(throws: CLIPWeightsError.unsupportedActivation(file: configURL.path, tower: "text_config",
                                                                   activation: "gelu")) {
                try CLIPWeights.load(from: folder)
            }
            try original.replacingOccurrences(of: "\"intermediate_size\": 128", with: "\"intermediate_size\": 100")
                .write(to: configURL, atomically: true, encoding: .utf8)
            let error = WeightsFixtures.error { _ = try CLIPWeights.load(from: folder) }
            guard case .invalidConfig(configURL.path, _)? = error as? CLIPWeightsError else {
                Issue.record("expected invalidConfig, got \(String(describing: error))")
                return
            }
            try "{\"text_config\": [1]}".write(to: configURL, atomically: true, encoding: .utf8)
            #expect(throws: CLIPWeightsError.self) { try CLIPWeights.load(from: folder) }
        }
    }

    @Test("Corrupt safetensors files surface as SafetensorsError naming the file")
    func corruptFiles() throws {
        try TemporaryDirectory.with("clip-weights-tests") { (folder: URL) throws in
            let whole = try Data(contentsOf: WeightsFixtures.openAIF16)
            // Truncated inside the data, then inside the header, then inside the length.
            let cut = folder.appendingPathComponent("cut.safetensors")
            try whole.prefix(whole.count - 10).write(to: cut)
            let truncated = WeightsFixtures.error({ _ = try CLIPWeights.load(from: cut) }) as? SafetensorsError
            guard case .offsetsOutOfRange(cut.path, _, _, _)? = truncated else {
                Issue.record("truncated data not detected"); return
            }
            try whole.prefix(100).write(to: cut)
            #expect(throws: SafetensorsError.headerLengthBeyondFile(path: cut.path, headerLength: 7848,
                                                                    fileSize: 100)) {
                try CLIPWeights.load(from: cut)
            }
            try whole.prefix(3).write(to: cut)
            #expect(throws: SafetensorsError.truncated(path: cut.path, fileSize: 3)) { try CLIPWeights.load(from: cut) }
            // An unknown dtype, spelled with the same length so the offsets stay valid.
            let odd = folder.appendingPathComponent("odd.safetensors")
            var bytes = [UInt8](whole)
            let header = String(decoding: bytes[8..<(8 + 7848)], as: UTF8.self)
            let range = try #require(header.range(of: "\"visual.proj\":{\"dtype\":\"F16\""))
            let patched = header.replacingCharacters(in: range, with: "\"visual.proj\":{\"dtype\":\"Q16\"")
            bytes.replaceSubrange(8..<(8 + 7848), with: Array(patched.utf8))
            try Data(bytes).write(to: odd)
            #expect(throws: SafetensorsError.unknownDType(path: odd.path, tensor: "visual.proj", dtype: "Q16")) {
                try CLIPWeights.load(from: odd)
            }
            // Integers where weights belong.
            let ints = folder.appendingPathComponent("ints.safetensors")
            var writer = SafetensorsWriter()
            let file = try SafetensorsFile(url: WeightsFixtures.openAIF16)
            for name in file.names {
                if name == "ln_final.bias" {
                    try writer.add(name, shape: [128], int64s: [Int64](repeating: 0, count: 128))
                } else {
                    try writer.add(name, shape: file.shape(name), floats: file.floats(name), as: .f16)
                }
            }
            try writer.write(to: ints)
            #expect(throws: CLIPWeightsError.unsupportedDType(file: ints.path, name: "ln_final.bias", dtype: "I64")) {
                try CLIPWeights.load(from: ints)
            }
        }
    }

    @Test("Folders without weights, foreign names and missing paths are reported")
    func foldersAndNames() throws {
        try TemporaryDirectory.with("clip-weights-tests") { (folder: URL) throws in
            #expect(throws: CLIPWeightsError.noWeightsFile(folder: folder.path)) { try CLIPWeights.load(from: folder) }
            var writer = SafetensorsWriter()
            try writer.add("encoder.weight", shape: [2], floats: [1, 2])
            try writer.write(to: folder.appendingPathComponent("a.safetensors"))
            let unknown = folder.appendingPathComponent("a.safetensors").path
            #expect(throws: CLIPWeightsError.unrecognizedNaming(file: unknown, sample: ["encoder.weight"])) {
                try CLIPWeights.load(from: folder)
            }
            try writer.write(to: folder.appendingPathComponent("b.safetensors"))
            #expect(throws: CLIPWeightsError.ambiguousWeightsFiles(folder: folder.path,
                                                                   candidates: ["a.safetensors", "b.safetensors"])) {
                try CLIPWeights.load(from: folder)
            }
            // A ResNet file without one BatchNorm tensor: its shapes tell the architecture, loading names the gap.
            let rn = ResNetFixtureTests.tiny
            let partial = folder.appendingPathComponent("partial-rn.safetensors")
            let entries = WeightsFixtures.entries(rn, .openAI(prefix: "")).filter { $0.0 != "visual.bn1.weight" }
            try WeightsFixtures.writeSparse(entries, to: partial)
            #expect(try CLIPWeights.architecture(at: partial) == rn)
            #expect(throws: CLIPWeightsError.missingTensor(file: partial.path, name: "visual.bn1.weight")) {
                try CLIPWeights.load(from: partial)
            }
            let missing = folder.appendingPathComponent("nope.safetensors")
            #expect(throws: MappedFileError.cannotOpen(path: missing.path,
                                                       errno: ENOENT)) { try CLIPWeights.load(from: missing) }
        }
    }

    @Test("Extra tensors are ignored with a warning; prefixed keys are understood")
    func extrasAndPrefixes() throws {
        try TemporaryDirectory.with("clip-weights-tests") { (folder: URL) throws in
            let full = folder.appendingPathComponent("full.safetensors")
            try RandomWeights.writeOpenAIFile(architecture: WeightsFixtures.smallInferable, seed: 5, to: full)
            let extra = folder.appendingPathComponent("extra.safetensors")
            try WeightsFixtures.rewrite(full, to: extra, replacing: ["visual.attnpool.bias": ([3], [1, 2, 3])])
            let weights = try CLIPWeights.load(from: extra)
            #expect(weights.warnings.count == 1 && weights.warnings[0].contains("visual.attnpool.bias"))

            // The same tensors under a "model." prefix.
            let source = try SafetensorsFile(url: full)
            var writer = SafetensorsWriter()
            for name in source.names { try writer.add("model." + name, shape: source.shape(name),
                                                      floats: source.floats(name)) }
            let prefixed = folder.appendingPathComponent("prefixed.safetensors")
            try writer.write(to: prefixed)
            let loaded = try CLIPWeights.load(from: prefixed)
            #expect(loaded.naming == .openAI(prefix: "model."))
            #expect(identical(try #require(loaded.tensor(for: .block(.vision, 1, .fcWeight))),
                              try #require(weights.tensor(for: .block(.vision, 1, .fcWeight)))))
        }
    }
}

// MARK: - Architectures and random weights

@Suite("CLIP weights: architectures and random weights")
struct WeightsArchitectureTests {
    @Test("Presets have OpenAI's parameter counts")
    func parameterCounts() {
        func count(_ a: CLIPArchitecture) -> Int {
            CLIPParameter.all(for: a).reduce(0) { $0 + $1.shape(a).reduce(1, *) }
        }
        #expect(count(.vitB32) == 151_277_313)
        #expect(count(.vitB16) == 149_620_737)
        #expect(count(.vitL14) == 427_616_513)
        #expect(CLIPArchitecture.vitB16.gridSize == 14 && CLIPArchitecture.vitL14.gridSize == 16
                && CLIPArchitecture.vitB32.gridSize == 7)
    }

    @Test("ViT-B/32, B/16 and L/14 are inferred from real-shaped files in both namings", arguments: [
        CLIPArchitecture.vitB32, .vitB16, .vitL14,
    ])
    func inferPresets(_ architecture: CLIPArchitecture) throws {
        try TemporaryDirectory.with("clip-weights-tests") { (folder: URL) throws in
            for naming in [CLIPCheckpointNaming.openAI(prefix: ""), .huggingFace(prefix: "")] {
                let url = folder.appendingPathComponent("sparse.safetensors")
                try WeightsFixtures.writeSparse(WeightsFixtures.entries(architecture, naming), to: url)
                let reader = try CLIPCheckpointReader(file: SafetensorsFile(url: url))
                #expect(reader.naming == naming)
                #expect(try reader.inferArchitecture() == architecture)
                #expect(try reader.validate(architecture).isEmpty)
            }
        }
    }

    @Test("Architecture JSON round trip and config.json round trip")
    func codable() throws {
        let data = try JSONEncoder().encode(CLIPArchitecture.vitL14)
        #expect(try JSONDecoder().decode(CLIPArchitecture.self, from: data) == .vitL14)
        let config = HuggingFaceCLIPConfig(architecture: .vitB16)
        let decoded = try JSONDecoder().decode(HuggingFaceCLIPConfig.self, from: config.jsonData())
        #expect(try decoded.architecture(file: "config.json") == .vitB16)
        // The fixture's config (written by transformers) gives the tiny model.
        let fixture = try HuggingFaceCLIPConfig.load(
            from: WeightsFixtures.local.appendingPathComponent("clip_hf/config.json"))
        #expect(try fixture.architecture(file: "config.json") == WeightsFixtures.tiny)
        // Old-style *_config_dict entries override the plain sections, as in transformers.
        var old = HuggingFaceCLIPConfig(architecture: .vitB16)
        var override = HuggingFaceCLIPConfig.Tower()
        override.numHiddenLayers = 6
        old.textConfigDict = override
        #expect(try old.architecture(file: "config.json").textLayers == 6)
    }

    @Test("Random Hugging Face folder loads back with the generated values (f32, f16) and config heads")
    func randomRoundTrip() throws {
        try TemporaryDirectory.with("clip-weights-tests") { (folder: URL) throws in
            let a = WeightsFixtures.small
            let f32 = folder.appendingPathComponent("f32"), f16 = folder.appendingPathComponent("f16")
            try RandomWeights.writeHuggingFaceFolder(architecture: a, seed: 42, to: f32)
            try RandomWeights.writeHuggingFaceFolder(architecture: a, seed: 42, to: f16, dtype: .f16)
            let w32 = try CLIPWeights.load(from: f32), w16 = try CLIPWeights.load(from: f16)
            #expect(w32.architecture == a && w16.architecture == a)  // 4 heads, not width / 64
            #expect(w32.naming == .huggingFace(prefix: ""))
            for parameter in CLIPParameter.all(for: a) where parameter != .global(.logitScale) {
                let expected = RandomWeights.values(parameter, a, seed: 42)
                #expect(try #require(w32.tensor(for: parameter)).array == expected, "\(parameter.openAIName)")
                #expect(try #require(w16.tensor(for: parameter)).array == expected.map { Float(Float16($0)) },
                        "\(parameter.openAIName)")
            }
            #expect(w32.logitScale == Float(log(1 / 0.07)))
            // Scales are CLIP-like and nothing is degenerate.
            let ln = w32.text.blocks[1].ln2.weight.array
            #expect(ln.allSatisfy { abs($0 - 1) < 0.2 } && Set(ln).count > 1)
            let tokens = w32.text.tokenEmbedding.array
            let std = (tokens.map { $0 * $0 }.reduce(0, +) / Float(tokens.count)).squareRoot()
            #expect(abs(std - 0.02) < 0.002)
            // Same seed, same bytes; another seed, other bytes.
            try RandomWeights.writeHuggingFaceFolder(architecture: a, seed: 42,
                                                     to: folder.appendingPathComponent("again"))
            try RandomWeights.writeHuggingFaceFolder(architecture: a, seed: 43,
                                                     to: folder.appendingPathComponent("other"))
            let again = try CLIPWeights.load(from: folder.appendingPathComponent("again"))
            let other = try CLIPWeights.load(from: folder.appendingPathComponent("other"))
            #expect(try again.contentSHA256() == w32.contentSHA256())
            #expect(try other.contentSHA256() != w32.contentSHA256())
        }
    }

    @Test("Random OpenAI file (bf16) equals the Hugging Face folder of the same seed")
    func randomOpenAIMatchesHuggingFace() throws {
        try TemporaryDirectory.with("clip-weights-tests") { (folder: URL) throws in
            let a = WeightsFixtures.smallInferable
            try RandomWeights.writeHuggingFaceFolder(architecture: a, seed: 7, to: folder.appendingPathComponent("hf"),
                                                     dtype: .bf16)
            try RandomWeights.writeOpenAIFile(architecture: a, seed: 7,
                                              to: folder.appendingPathComponent("openai.safetensors"), dtype: .bf16)
            let hf = try CLIPWeights.load(from: folder.appendingPathComponent("hf"))
            let openAI = try CLIPWeights.load(from: folder.appendingPathComponent("openai.safetensors"))
            #expect(openAI.architecture == a && hf.architecture == a)
            for parameter in CLIPParameter.all(for: a) where parameter != .global(.logitScale) {
                let x = try #require(hf.tensor(for: parameter)), y = try #require(openAI.tensor(for: parameter))
                #expect(identical(x, y), "\(parameter.openAIName)")
                let bf16 = RandomWeights.values(parameter, a, seed: 7).map {
                    HalfFloat.float(fromBFloat16Bits: HalfFloat.bfloat16Bits(from: $0))
                }
                #expect(x.array == bf16)
            }
            #expect(hf.logitScale == openAI.logitScale)
        }
    }

    @Test("Full ViT-B/16 float16 folder round trip (set COCOOP_SLOW_TESTS=1)",
          .enabled(if: ProcessInfo.processInfo.environment["COCOOP_SLOW_TESTS"] != nil))
    func vitB16RoundTrip() throws {
        try TemporaryDirectory.with("clip-weights-tests") { (folder: URL) throws in
            try RandomWeights.writeHuggingFaceFolder(architecture: .vitB16, seed: 16, to: folder, dtype: .f16)
            let weights = try CLIPWeights.load(from: folder)
            #expect(weights.architecture == .vitB16)
            for parameter: CLIPParameter in [.global(.textProjection), .block(.vision, 11, .attnInWeight),
                                             .global(.patchEmbedding)] {
                let expected = RandomWeights.values(parameter, .vitB16, seed: 16).map { Float(Float16($0)) }
                #expect(try #require(weights.tensor(for: parameter)).array == expected)
            }
        }
    }
}
