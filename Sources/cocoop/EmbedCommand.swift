import CLIP
import Foundation
import Imaging
import Tensor

/// `cocoop embed`: CLIP features of texts and images.
enum EmbedCommand: Command {
    static let name = "embed"
    static let summary = "CLIP features of texts and images (projected, not normalised)"
    static let usage = """
    usage: cocoop embed --model PATH [--text T]... [--image FILE]... [--json] [--prec fp32|bf16]

    --model   a Hugging Face CLIP folder (config.json + model.safetensors or pytorch_model.bin),
              a .safetensors file, or a PyTorch file (clip.load's TorchScript .pt, a .pth
              state dict) with OpenAI or Hugging Face names (F32, F16 or BF16)
    --text    a text (repeatable); longer than the context: truncated as
              clip.tokenize(truncate=True) does, with a warning on stderr
    --image   a JPEG or PNG (repeatable), preprocessed at the model's resolution
              (RGB, shorter side resized with Pillow's bicubic, center crop, CLIP mean/std)
    --json    one object per line: {"kind": "text"|"image", "input": ..., "features": [...]}
              (default: the input, a tab, then the features separated by spaces)
    --prec    the towers' products: fp32 (default) or bf16 (also fp16, amp: bfloat16 with
              float32 accumulation where the CPU has it, else fp32 with a notice)
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["model", "text", "image", "prec"], boolean: ["json"])
        guard let path = a.value("model") else { throw UsageError("--model PATH is required") }
        guard !(a.values("text").isEmpty && a.values("image").isEmpty) else {
            throw UsageError("give at least one --text or --image")
        }
        let model = try CLIPModel(contentsOf: URL(fileURLWithPath: path), precision: precision(a.value("prec")))
        var rows: [(String, String, [Float])] = []
        if !a.values("text").isEmpty {
            let tokenizer = try model.tokenizer()
            let n = model.text.contextLength
            let tokens = try a.values("text").map { text -> [Int32] in
                let t = try tokenizer.tokenized(text, contextLength: n)
                if t.truncated { printError("warning: text longer than \(n) tokens, truncated: \(text)") }
                return t.ids
            }
            let f = model.text.encode(tokens: tokens)
            for (i, text) in a.values("text").enumerated() {
                rows.append(("text", text, Array(f.rows(i..<(i + 1)).buffer)))
            }
        }
        if !a.values("image").isEmpty {
            let pixels = try preprocessImages(a.values("image"), resolution: model.vision.resolution)
            let f = model.vision.encode(pixels: pixels)
            for (i, file) in a.values("image").enumerated() {
                rows.append(("image", file, Array(f.rows(i..<(i + 1)).buffer)))
            }
        }
        for (kind, input, features) in rows {
            if a.has("json") {
                print(JSON.object([("kind", JSON.string(kind)), ("input", JSON.string(input)),
                                   ("features", JSON.array(features))]))
            } else {
                print("\(input)\t" + features.map { "\($0)" }.joined(separator: " "))
            }
        }
        return 0
    }

    /// Decodes and preprocesses image files into [N, 3, R, R].
    static func preprocessImages(_ files: [String], resolution: Int) throws -> Tensor {
        let pre = CLIPPreprocessor(resolution: resolution)
        let out = Tensor(zeros: [files.count, 3, resolution, resolution])
        for (i, file) in files.enumerated() {
            let image = try ImageDecoder.decode(fileAt: URL(fileURLWithPath: file))
            pre.preprocess(image, into: out.data + i * pre.tensorCount)
        }
        return out
    }
}
