import Foundation
import Support

/// Writes CLIP checkpoints of real shapes filled with seeded random numbers, for tests and
/// benchmarks where the real weights are unavailable.
///
/// Scales follow OpenAI's `initialize_parameters` (std 0.02 token embedding, 0.01 text
/// positions, width^-1/2 for attention and projections, (2 width)^-1/2 for c_fc,
/// width^-1/2 (2 layers)^-1/2 for out_proj and c_proj), so activations stay finite through
/// any depth. LayerNorm weights are 1 + N(0, 0.02^2), biases N(0, 0.01^2) rather than exact
/// ones and zeros, so that swapping two tensors is visible. `logit_scale` = ln(1 / 0.07).
/// A ResNet tower's convolutions are He-scaled ((2 / fan_in)^1/2); its BatchNorms have
/// running means N(0, 0.01^2) and variances 1 + N(0, 0.02^2), weights 1 + N(0, 0.02^2)
/// except each block's last (OpenAI starts it at 0; here 0.2, so a block adds a little and
/// deep towers stay finite); step counters are int64 zeros as PyTorch saves them.
/// Each tensor's values depend only on (seed, OpenAI name), so the same seed gives the
/// same model in either naming.
public enum RandomWeights {
    /// Storage precision of the written tensors.
    public enum DType: Sendable {
        case f32, f16, bf16

        var safetensors: SafetensorsDType {
            switch self {
            case .f32: return .f32
            case .f16: return .f16
            case .bf16: return .bf16
            }
        }

        var torchName: String {
            switch self {
            case .f32: return "float32"
            case .f16: return "float16"
            case .bf16: return "bfloat16"
            }
        }
    }

    // MARK: - Writing

    /// Writes a Hugging Face style folder: `config.json` as transformers writes it for a
    /// `CLIPModel` with quick_gelu, and `model.safetensors` with Hugging Face names.
    /// - Throws: ``CLIPWeightsError`` or ``SafetensorsError`` naming the path.
    public static func writeHuggingFaceFolder(architecture: CLIPArchitecture, seed: UInt64, to folder: URL,
                                              dtype: DType = .f32) throws {
        try architecture.validate(source: folder.path)
        guard !architecture.isResNet else {
            throw CLIPWeightsError.unsupportedArchitecture(
                source: folder.path, reason: "transformers' CLIPModel has no ResNet image tower: write OpenAI's names")
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let config = HuggingFaceCLIPConfig(architecture: architecture, torchDtype: dtype.torchName)
            try config.jsonData().write(to: folder.appendingPathComponent("config.json"), options: .atomic)
        } catch let error as CLIPWeightsError {
            throw error
        } catch {
            throw CLIPWeightsError.writeFailed(path: folder.path, reason: FileFailure.reason(error))
        }
        try write(architecture: architecture, seed: seed, naming: .huggingFace(prefix: ""), dtype: dtype,
                  to: folder.appendingPathComponent("model.safetensors"))
    }

    /// Writes one safetensors file with OpenAI's names (no config needed: the architecture
    /// is recoverable from the shapes, provided heads = width / 64).
    public static func writeOpenAIFile(architecture: CLIPArchitecture, seed: UInt64, to file: URL,
                                       dtype: DType = .f32) throws {
        try architecture.validate(source: file.path)
        try write(architecture: architecture, seed: seed, naming: .openAI(prefix: ""), dtype: dtype, to: file)
    }

    private static func write(architecture: CLIPArchitecture, seed: UInt64, naming: CLIPCheckpointNaming,
                              dtype: DType, to url: URL) throws {
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        for parameter in CLIPParameter.all(for: architecture) {
            let names = naming.fileNames(parameter)
            let transform = naming.transform(parameter)
            let fileShape = naming.fileShape(parameter, architecture)
            for (part, name) in names.enumerated() {
                try writer.add(name, shape: fileShape, as: dtype.safetensors) { out in
                    let values = Self.values(parameter, architecture, seed: seed)
                    switch transform {
                    case .same:
                        _ = out.update(from: values)
                    case .concatQKV:
                        _ = out.update(from: values[(part * out.count)..<((part + 1) * out.count)])
                    case .transpose:  // OpenAI [rows, columns] -> Hugging Face [columns, rows]
                        let rows = fileShape[1], columns = fileShape[0]
                        for r in 0..<rows {
                            for c in 0..<columns { out[c * rows + r] = values[r * columns + c] }
                        }
                    }
                }
            }
        }
        for name in ResNetParameter.counterNames(for: architecture) {
            try writer.add(naming.prefix + name, shape: [], int64s: [0])
        }
        try writer.write(to: url)
    }

    // MARK: - Values

    /// The values of `parameter` in OpenAI's layout for `seed` (deterministic).
    public static func values(_ parameter: CLIPParameter, _ architecture: CLIPArchitecture, seed: UInt64) -> [Float] {
        let count = parameter.shape(architecture).reduce(1, *)
        let (mean, std) = distribution(parameter, architecture)
        var generator = SeededNormalGenerator(seed: seed, stream: parameter.openAIName)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Float(mean + std * generator.next()) }
            initialized = count
        }
    }

    /// Mean and standard deviation of each tensor's entries.
    static func distribution(_ parameter: CLIPParameter, _ a: CLIPArchitecture) -> (mean: Double, std: Double) {
        switch parameter {
        case let .global(global):
            switch global {
            case .tokenEmbedding: return (0, 0.02)
            case .textPositionalEmbedding: return (0, 0.01)
            case .lnFinalWeight, .lnPreWeight, .lnPostWeight: return (1, 0.02)
            case .lnFinalBias, .lnPreBias, .lnPostBias: return (0, 0.01)
            case .textProjection: return (0, 1 / Double(a.textWidth).squareRoot())
            case .patchEmbedding: return (0, 1 / Double(a.patchInputs).squareRoot())
            case .classEmbedding, .visionPositionalEmbedding, .visionProjection:
                return (0, 1 / Double(a.visionWidth).squareRoot())
            case .logitScale: return (log(1 / 0.07), 0)
            }
        case let .block(tower, _, block):
            let width = Double(tower == .text ? a.textWidth : a.visionWidth)
            let layers = Double(tower == .text ? a.textLayers : a.visionLayers)
            let attention = 1 / width.squareRoot()
            let residual = attention / (2 * layers).squareRoot()
            switch block {
            case .ln1Weight, .ln2Weight: return (1, 0.02)
            case .ln1Bias, .ln2Bias, .attnInBias, .attnOutBias, .fcBias, .projBias: return (0, 0.01)
            case .attnInWeight: return (0, attention)
            case .attnOutWeight, .projWeight: return (0, residual)
            case .fcWeight: return (0, 1 / (2 * width).squareRoot())
            }
        case let .resNet(parameter):
            return distribution(parameter, a)
        }
    }

    /// Mean and standard deviation of a ResNet tower tensor's entries.
    static func distribution(_ parameter: ResNetParameter, _ a: CLIPArchitecture) -> (mean: Double, std: Double) {
        switch parameter {
        case let .convWeight(conv):
            let g = conv.geometry(a)
            return (0, (2 / Double(g.in * g.kernel * g.kernel)).squareRoot())
        case let .batchNorm(conv, field):
            switch field {
            case .weight:
                if case .bottleneck(_, _, 3) = conv { return (0.2, 0.02) }
                return (1, 0.02)
            case .bias, .runningMean: return (0, 0.01)
            case .runningVar: return (1, 0.02)
            }
        case let .attentionPool(p):
            switch p {
            case .qBias, .kBias, .vBias, .cBias: return (0, 0.01)
            default: return (0, 1 / Double(a.resNetFeatureWidth).squareRoot())
            }
        }
    }
}

// MARK: - Seeded normal numbers

/// Standard normal numbers from xoshiro256** (seeded through SplitMix64 from a seed and
/// a stream name) and the Box-Muller transform. Deterministic across platforms.
struct SeededNormalGenerator {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spare: Double?

    init(seed: UInt64, stream: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the stream name
        for byte in stream.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        var state = seed ^ hash
        func splitMix() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The next 64 random bits.
    mutating func nextBits() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A uniform number in (0, 1).
    mutating func nextUniform() -> Double {
        (Double(nextBits() >> 11) + 0.5) * 0x1p-53
    }

    /// The next standard normal number.
    mutating func next() -> Double {
        if let spare {
            self.spare = nil
            return spare
        }
        let radius = (-2 * Foundation.log(nextUniform())).squareRoot()
        let angle = 2 * Double.pi * nextUniform()
        spare = radius * sin(angle)
        return radius * cos(angle)
    }
}
