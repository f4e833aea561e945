import CLIP
import Tensor

/// Zero-shot CLIP (CoOp's ZeroshotCLIP and ZeroshotCLIP2 trainers): text features of a
/// hand-written prompt per class (or the mean of several, see `init(clip:classnames:templates:tokenizer:)`),
/// logits exp(logit_scale) * cos.
public struct ZeroShotClassifier {
    public let clip: CLIPModel
    /// Normalised text features [C, E].
    public let textFeatures: Tensor

    /// Encodes the prompts for `classnames` ('_' replaced by ' '); `template` contains `{}`.
    public init(clip: CLIPModel, classnames: [String], template: String = ZeroShotTemplates.fallback,
                tokenizer: CLIPTokenizer) throws {
        try self.init(clip: clip, classnames: classnames, templates: [template], tokenizer: tokenizer)
    }

    /// Prompt ensembling as zsclip.py's ZeroshotCLIP2 does it: each template's text features
    /// normalised, summed over templates, divided by their number, and normalised again.
    /// One template: its normalised features (ZeroshotCLIP).
    public init(clip: CLIPModel, classnames: [String], templates: [String], tokenizer: CLIPTokenizer) throws {
        precondition(!templates.isEmpty, "ZeroShotClassifier needs at least one template")
        self.clip = clip
        let perTemplate = try templates.map {
            try Self.templateFeatures(clip: clip, classnames: classnames, template: $0, tokenizer: tokenizer)
        }
        guard perTemplate.count > 1 else { textFeatures = perTemplate[0]; return }
        let mean = Tensor(zeros: perTemplate[0].shape)
        for f in perTemplate {
            for i in 0..<mean.count { mean.data[i] += f.data[i] }
        }
        let n = Float(perTemplate.count)
        for i in 0..<mean.count { mean.data[i] /= n }
        textFeatures = normalizeRows(mean).0
    }

    /// The normalised text features [C, E] of `template` filled with each class name.
    public static func templateFeatures(clip: CLIPModel, classnames: [String], template: String,
                                        tokenizer: CLIPTokenizer) throws -> Tensor {
        let texts = classnames.map {
            template.replacingOccurrences(of: "{}", with: $0.replacingOccurrences(of: "_", with: " "))
        }
        let tokens = try texts.map { try tokenizer.tokenize($0, contextLength: clip.text.contextLength) }
        return normalizeRows(clip.text.encode(tokens: tokens)).0
    }

    /// Logits [B, C] for image features [B, E] (not normalised).
    public func logits(imageFeatures f: Tensor) -> Tensor {
        let (z, _) = normalizeRows(f)
        let b = f.shape[0], c = textFeatures.shape[0], e = textFeatures.shape[1]
        let out = Tensor(zeros: [b, c])
        gemm(.none, .transpose, m: b, n: c, k: e, alpha: clip.logitScaleExp, a: z.data, lda: e,
             b: textFeatures.data, ldb: e, c: out.data, ldc: c)
        return out
    }
}
