import CLIP
import Foundation
import PromptLearning
import Tensor

/// `cocoop zeroshot`: zero-shot CLIP classification of images.
enum ZeroshotCommand: Command {
    static let name = "zeroshot"
    static let summary = "zero-shot CLIP classification of images (top-5 per image)"
    static let usage = """
    usage: cocoop zeroshot --model PATH --classnames FILE|a,b,c [--template "a photo of a {}."] [--top K]
                           [--dataset NAME] [--ensemble] [--prec fp32|bf16] IMAGE...

    Encodes "a photo of a {class}." for every class ('_' in names becomes a space, as the
    reference does), encodes each image, and prints the top K (default 5) classes with
    their softmax probabilities over exp(logit_scale) * cosine similarity.
    --dataset     a DATASET.NAME of CoOp's (OxfordPets, EuroSAT, ...): its zsclip.py template
                  (ZeroshotCLIP); --template overrides it
    --ensemble    ZeroshotCLIP2's prompt ensemble: IMAGENET_TEMPLATES_SELECT plus the
                  dataset's template (or --template), features averaged
    --classnames  a text file with one class name per line (ImageNet's "wnid name" lines
                  work too), or a comma-separated list
    --prec        the towers' products: fp32 (default) or bf16 (also fp16, amp: bfloat16
                  with float32 accumulation where the CPU has it, else fp32 with a notice)
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["model", "classnames", "template", "top", "prec", "dataset"],
                              boolean: ["ensemble"])
        guard let path = a.value("model") else { throw UsageError("--model PATH is required") }
        guard let spec = a.value("classnames") else { throw UsageError("--classnames is required") }
        guard !a.positional.isEmpty else { throw UsageError("no IMAGE given") }
        let classnames = try readClassnames(spec)
        let override = a.value("template") ?? ""
        if let t = a.value("template"), !t.contains("{}") { throw UsageError("--template must contain {}") }
        let dataset = a.value("dataset") ?? ""
        guard dataset.isEmpty || ZeroShotTemplates.custom[dataset] != nil else {
            throw UsageError("--dataset '\(dataset)' is none of CoOp's: "
                             + ZeroShotTemplates.custom.keys.sorted().joined(separator: ", "))
        }
        let templates = a.has("ensemble") ? ZeroShotTemplates.ensemble(dataset: dataset, override: override)
            : [ZeroShotTemplates.single(dataset: dataset, override: override)]
        let model = try CLIPModel(contentsOf: URL(fileURLWithPath: path), precision: precision(a.value("prec")))
        let zs = try ZeroShotClassifier(clip: model, classnames: classnames, templates: templates,
                                        tokenizer: try model.tokenizer())
        let pixels = try EmbedCommand.preprocessImages(a.positional, resolution: model.vision.resolution)
        let logits = zs.logits(imageFeatures: model.vision.encode(pixels: pixels))
        let top = min(try a.int("top", default: 5), classnames.count)
        let c = classnames.count
        for (i, file) in a.positional.enumerated() {
            let row = Array(UnsafeBufferPointer(start: logits.data + i * c, count: c)).map(Double.init)
            let mx = row.max()!, z = row.reduce(0) { $0 + exp($1 - mx) }
            let ranked = row.indices.sorted { row[$0] > row[$1] }.prefix(top)
            print(file)
            for j in ranked {
                print(String(format: "  %6.2f%%  %@", 100 * exp(row[j] - mx) / z, classnames[j]))
            }
        }
        return 0
    }

    /// Class names from a file (one per line) or a comma-separated list.
    static func readClassnames(_ spec: String) throws -> [String] {
        if FileManager.default.fileExists(atPath: spec) {
            let text = try String(contentsOfFile: spec, encoding: .utf8)
            // ImageNet's classnames.txt lines are "wnid name": drop the wnid.
            let names = text.split(whereSeparator: \.isNewline).map { line -> String in
                let t = line.trimmingCharacters(in: .whitespaces)
                if let space = t.firstIndex(of: " "), t.hasPrefix("n"),
                   t[t.index(after: t.startIndex)..<space].allSatisfy(\.isNumber) {
                    return String(t[t.index(after: space)...]).trimmingCharacters(in: .whitespaces)
                }
                return t
            }.filter { !$0.isEmpty }
            guard !names.isEmpty else { throw UsageError("\(spec): no class names") }
            return names
        }
        let names = spec.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard names.count >= 1 else { throw UsageError("--classnames: no class names in '\(spec)'") }
        return names
    }
}
