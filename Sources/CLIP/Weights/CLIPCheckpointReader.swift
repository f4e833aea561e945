import Foundation
import Support
import Tensor
import TorchFormats

/// Reads CLIP tensors from one weights file (safetensors, or a PyTorch state dict or
/// TorchScript archive) in OpenAI or Hugging Face naming:
/// infers the architecture from the shapes, validates every tensor against an
/// architecture, and produces tensors in OpenAI's layout.
struct CLIPCheckpointReader {
    let file: any NamedTensorSource
    let naming: CLIPCheckpointNaming

    var path: String { file.path }

    /// Opens the reader over `file`, detecting the naming from its keys.
    init(file: any NamedTensorSource) throws {
        self.file = file
        guard let naming = CLIPCheckpointNaming.detect(file.names) else {
            throw CLIPWeightsError.unrecognizedNaming(file: file.path, sample: Array(file.names.prefix(5)))
        }
        self.naming = naming
    }

    // MARK: - Architecture from shapes

    /// The architecture implied by the tensor shapes, as OpenAI's `build_model` infers it.
    ///
    /// Text tower: width from ln_final, heads = width / 64, layers = distinct block indices.
    /// ViT: width and patch from conv1, grid from the positional embedding, heads = width / 64.
    /// ModifiedResNet (a `visual.layer1.0.conv1.weight` present): blocks per stage = distinct
    /// indices under `visual.layer1` ... `layer4`, width from `layer1.0.conv1`, grid from the
    /// attention pool's positional embedding, resolution = grid x 32, heads = width x 32 / 64.
    func inferArchitecture() throws -> CLIPArchitecture {
        let projection = try openAIShape(.textProjection, rank: 2)
        let textPositions = try openAIShape(.textPositionalEmbedding, rank: 2)
        let tokens = try openAIShape(.tokenEmbedding, rank: 2)
        let lnFinal = try openAIShape(.lnFinalWeight, rank: 1)
        func grid(_ positions: [Int]) -> Int { Int(Double(max(positions[0] - 1, 0)).squareRoot().rounded()) }
        var a = CLIPArchitecture(
            embedDim: projection[1], imageResolution: 0, visionLayers: 0, visionWidth: 0, visionHeads: 0,
            visionPatchSize: 0, contextLength: textPositions[0], vocabSize: tokens[0],
            textWidth: lnFinal[0], textHeads: lnFinal[0] / 64, textLayers: naming.blockCount(.text, in: file.names))
        let stem = ResNetParameter.convWeight(.bottleneck(stage: 1, block: 0, conv: 1))
        if case .openAI = naming, file.contains(naming.prefix + stem.openAIName) {
            let width = try shape(.resNet(stem), rank: 4)[0]
            let positions = try shape(.resNet(.attentionPool(.positionalEmbedding)), rank: 2)
            let stages = (1...4).map { naming.blockCount(under: "visual.layer\($0).", in: file.names) }
            a.visionTower = .resNet(stages: stages)
            a.visionWidth = width
            a.visionHeads = width * 32 / 64
            a.imageResolution = grid(positions) * CLIPArchitecture.resNetStride
            return a
        }
        let conv = try openAIShape(.patchEmbedding, rank: 4)
        let visionPositions = try openAIShape(.visionPositionalEmbedding, rank: 2)
        a.visionTower = .transformer(layers: naming.blockCount(.vision, in: file.names), patchSize: conv[3])
        a.visionWidth = conv[0]
        a.visionHeads = conv[0] / 64
        a.imageResolution = conv[3] * grid(visionPositions)
        return a
    }

    /// The shape of a global tensor in OpenAI's layout, which must have `rank` dimensions.
    private func openAIShape(_ parameter: CLIPGlobalParameter, rank: Int) throws -> [Int] {
        try shape(.global(parameter), rank: rank)
    }

    /// The shape of `parameter` in OpenAI's layout, which must have `rank` dimensions.
    private func shape(_ parameter: CLIPParameter, rank: Int) throws -> [Int] {
        let name = naming.fileNames(parameter)[0]
        guard file.contains(name) else { throw CLIPWeightsError.missingTensor(file: path, name: name) }
        let shape = try file.shape(name)
        guard shape.count == rank else {
            throw CLIPWeightsError.unsupportedArchitecture(
                source: path, reason: "tensor '\(name)' has shape \(shape), expected \(rank) dimensions")
        }
        return naming.transform(parameter) == .transpose ? shape.reversed() : shape
    }

    // MARK: - Validation

    /// Checks that every tensor `architecture` needs is present, a float, and of the
    /// implied shape (in the file's own layout).
    /// - Returns: warnings for tensors in the file that the model does not use.
    func validate(_ architecture: CLIPArchitecture) throws -> [String] {
        let parameters = CLIPParameter.all(for: architecture)
        var used = Set<String>()
        for parameter in parameters {
            for name in naming.fileNames(parameter) where !file.contains(name) {
                throw CLIPWeightsError.missingTensor(file: path, name: name)
            }
        }
        for parameter in parameters {
            let expected = naming.fileShape(parameter, architecture)
            for name in naming.fileNames(parameter) {
                let dtype = try file.dtype(name), shape = try file.shape(name)
                guard dtype.isConvertibleFloat else {
                    throw CLIPWeightsError.unsupportedDType(file: path, name: name, dtype: dtype.rawValue)
                }
                // A 0-dim logit_scale is sometimes saved as [1].
                let scalarAsVector = parameter == .global(.logitScale) && shape == [1]
                guard shape == expected || scalarAsVector else {
                    throw CLIPWeightsError.shapeMismatch(file: path, name: name, found: shape, expected: expected)
                }
                used.insert(name)
            }
        }
        // BatchNorm step counters are part of OpenAI's ResNet files and mean nothing here.
        used.formUnion(ResNetParameter.counterNames(for: architecture).map { naming.prefix + $0 })
        // OpenAI's TorchScript archives also hold these; clip.load's build_model deletes them.
        if case .openAI = naming { used.formUnion(["input_resolution", "context_length", "vocab_size"]) }
        return file.names.filter { !used.contains($0) }.map { "\(path): ignoring unexpected tensor '\($0)'" }
    }

    // MARK: - Tensors in OpenAI's layout

    /// `parameter` as a float32 tensor in OpenAI's layout (call ``validate(_:)`` first).
    ///
    /// F32 data that needs no rearranging is borrowed from the mapping (no copy);
    /// everything else is converted into owned storage.
    func tensor(_ parameter: CLIPParameter, _ architecture: CLIPArchitecture) throws -> Tensor {
        let shape = parameter.shape(architecture)
        let names = naming.fileNames(parameter)
        switch naming.transform(parameter) {
        case .same:
            if let pointer = try file.float32Pointer(names[0]) {
                return Tensor(borrowing: UnsafeMutablePointer(mutating: pointer), shape: shape, owner: file.mapping)
            }
            let result = Tensor(zeros: shape)
            try file.copyFloats(names[0], into: result.buffer)
            return result
        case .transpose:
            let stored = try file.shape(names[0])
            let source = Tensor(zeros: stored)
            try file.copyFloats(names[0], into: source.buffer)
            let rows = stored[0], columns = stored[1]
            let result = Tensor(zeros: shape)
            for r in 0..<rows {
                for c in 0..<columns { result.data[c * rows + r] = source.data[r * columns + c] }
            }
            return result
        case .concatQKV:
            let result = Tensor(zeros: shape)
            let part = result.count / names.count
            for (index, name) in names.enumerated() {
                let slot = UnsafeMutableBufferPointer(start: result.data + index * part, count: part)
                try file.copyFloats(name, into: slot)
            }
            return result
        }
    }

    /// ``tensor(_:_:)``, checked for NaN and infinities: one in a frozen tower would only show
    /// as a diverged loss at step 1.
    func finiteTensor(_ parameter: CLIPParameter, _ architecture: CLIPArchitecture) throws -> Tensor {
        let t = try tensor(parameter, architecture)
        if let i = t.firstNonFinite {
            throw CLIPWeightsError.nonFinite(file: file.path, name: naming.fileNames(parameter)
                .joined(separator: " + "), index: i, value: t.data[i])
        }
        return t
    }

    /// The 0-dim `logit_scale` as a Float.
    func logitScale() throws -> Float {
        try file.floats(naming.fileNames(.global(.logitScale))[0])[0]
    }
}
