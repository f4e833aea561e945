import CLIP
import Foundation

/// `cocoop init-weights`: random CLIP weights of real shapes.
enum InitWeightsCommand: Command {
    static let name = "init-weights"
    static let summary = "write random CLIP weights of real shapes (Hugging Face folder or OpenAI names)"
    static let usage = """
    usage: cocoop init-weights --arch NAME --random --seed S --out DIR [--dtype f32|f16|bf16] [--openai-names]

    NAME: \(CLIPArchitecture.openAIModels.map(\.name).joined(separator: ", ")) (default ViT-B/16).
    Writes a Hugging Face style folder (config.json + model.safetensors) with weights drawn
    from a seeded generator at OpenAI's initialisation scales, for benchmarks and shape
    tests where real weights cannot be downloaded. --openai-names writes DIR/model.safetensors
    with OpenAI's state-dict names instead (no config.json). The ResNets (RN*) are always
    written that way, BatchNorm running statistics and step counters included: transformers
    has no ResNet CLIP. Default dtype: f16 (as OpenAI ships).
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["arch", "seed", "out", "dtype"], boolean: ["random", "openai-names"])
        guard a.has("random") else { throw UsageError("only --random weights can be generated (pass --random)") }
        guard let out = a.value("out") else { throw UsageError("--out DIR is required") }
        let name = a.value("arch") ?? "ViT-B/16"
        guard let arch = CLIPArchitecture(openAIName: name) else {
            let names = CLIPArchitecture.openAIModels.map(\.name).joined(separator: ", ")
            throw UsageError("unknown --arch \(name) (\(names))")
        }
        let dtype: RandomWeights.DType
        switch a.value("dtype") ?? "f16" {
        case "f32": dtype = .f32
        case "f16": dtype = .f16
        case "bf16": dtype = .bf16
        case let other: throw UsageError("unknown --dtype \(other) (f32, f16, bf16)")
        }
        let seed = UInt64(try a.int("seed", default: 0))
        let folder = URL(fileURLWithPath: out)
        if a.has("openai-names") || arch.isResNet {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try RandomWeights.writeOpenAIFile(architecture: arch, seed: seed,
                                              to: folder.appendingPathComponent("model.safetensors"), dtype: dtype)
        } else {
            try RandomWeights.writeHuggingFaceFolder(architecture: arch, seed: seed, to: folder, dtype: dtype)
        }
        print("wrote \(name) random weights (seed \(seed), \(a.value("dtype") ?? "f16")) to \(out)")
        return 0
    }
}
