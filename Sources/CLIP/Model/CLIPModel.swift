import Foundation
import Tensor

/// A frozen CLIP: weights plus the text and vision encoders built on them.
public final class CLIPModel {
    public let weights: CLIPWeights
    public let text: TextEncoder
    /// The image tower: a ViT or a ModifiedResNet, as the weights are.
    public let vision: ImageTower

    public init(weights: CLIPWeights) {
        let a = weights.architecture
        self.weights = weights
        text = TextEncoder(weights: weights.text, heads: a.textHeads)
        vision = ImageTower(weights: weights.image, architecture: a)
    }

    /// Loads weights from a Hugging Face folder or a safetensors file (either naming).
    public convenience init(contentsOf url: URL) throws {
        self.init(weights: try CLIPWeights.load(from: url))
    }

    /// The bundled tokeniser, once its ids are known to fit the token embedding table: every
    /// text this model encodes is tokenised by it (a smaller table would be read out of bounds).
    /// - Throws: ``CLIPWeightsError/vocabularyTooSmall(file:rows:ids:)`` naming the weights.
    public func tokenizer() throws -> CLIPTokenizer {
        let tokenizer = try CLIPTokenizer.bundled()
        let rows = weights.architecture.vocabSize
        guard rows >= tokenizer.vocabularySize else {
            throw CLIPWeightsError.vocabularyTooSmall(file: weights.configSource?.path ?? weights.source.path,
                                                      rows: rows, ids: tokenizer.vocabularySize)
        }
        return tokenizer
    }

    /// exp(logit_scale), the factor in front of the cosine similarities.
    public var logitScaleExp: Float { Foundation.exp(weights.logitScale) }
}
