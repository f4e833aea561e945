import CLIP
import Foundation

/// `cocoop init-weights`: random CLIP weights of real shapes.
enum InitWeightsCommand: Command {
    static let name = "init-weights"
    static let summary = "write random CLIP weights of real shapes (Hugging Face folder)"
    static let usage = """
    usage: cocoop init-weights --arch ViT-B/16|ViT-B/32|ViT-L/14 --random --seed S --out DIR [--dtype f32|f16|bf16] [--openai-names]

    Writes a Hugging Face style folder (config.json + model.safetensors) with weights drawn
    from a seeded generator at OpenAI's initialisation scales, for benchmarks and shape
    tests where real weights cannot be downloaded. --openai-names writes DIR/model.safetensors
    with OpenAI's state-dict names instead (no config.json). Default dtype: f16 (as OpenAI ships).
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["arch", "seed", "out", "dtype"], boolean: ["random", "openai-names"])
        guard a.has("random") else { throw UsageError("only --random weights can be generated (pass --random)") }
        guard let out = a.value("out") else { throw UsageError("--out DIR is required") }
        let arch: CLIPArchitecture
        switch a.value("arch") ?? "ViT-B/16" {
        case "ViT-B/16": arch = .vitB16
        case "ViT-B/32": arch = .vitB32
        case "ViT-L/14": arch = .vitL14
        case let other: throw UsageError("unknown --arch \(other) (ViT-B/16, ViT-B/32, ViT-L/14)")
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
        if a.has("openai-names") {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try RandomWeights.writeOpenAIFile(architecture: arch, seed: seed,
                                              to: folder.appendingPathComponent("model.safetensors"), dtype: dtype)
        } else {
            try RandomWeights.writeHuggingFaceFolder(architecture: arch, seed: seed, to: folder, dtype: dtype)
        }
        print("wrote \(a.value("arch") ?? "ViT-B/16") random weights (seed \(seed), \(a.value("dtype") ?? "f16")) to \(out)")
        return 0
    }
}
