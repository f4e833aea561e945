import CLIP
import Tensor

/// Zero-shot CLIP (the reference's ZeroshotCLIP trainer): text features of
/// `"a photo of a {class}."` (or another template), logits exp(logit_scale) * cos.
public struct ZeroShotClassifier {
    public let clip: CLIPModel
    /// Normalised text features [C, E].
    public let textFeatures: Tensor

    /// Encodes the prompts for `classnames` ('_' replaced by ' '); `template` contains `{}`.
    public init(clip: CLIPModel, classnames: [String], template: String = "a photo of a {}.",
                tokenizer: CLIPTokenizer) throws {
        self.clip = clip
        let texts = classnames.map {
            template.replacingOccurrences(of: "{}", with: $0.replacingOccurrences(of: "_", with: " "))
        }
        let tokens = try texts.map { try tokenizer.tokenize($0, contextLength: clip.text.contextLength) }
        textFeatures = normalizeRows(clip.text.encode(tokens: tokens)).0
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
