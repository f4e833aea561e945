import Foundation
import Tensor

/// A frozen CLIP: weights plus the text and vision encoders built on them.
public final class CLIPModel {
    public let weights: CLIPWeights
    public let text: TextEncoder
    /// The image tower: a ViT or a ModifiedResNet, as the weights are.
    public let vision: ImageTower

    /// The arithmetic of the towers' matrix products.
    public let precision: MatmulPrecision

    /// The encoders on `weights`, their products at `precision`. Float32 weights asked for
    /// bfloat16 products get a private bfloat16 copy of the ViT's and the text transformer's
    /// matrices, made here (both kept); weights loaded at bfloat16 are used as they are, and
    /// asked for float32 products they are read again, in float32, from their file. A ResNet
    /// image tower (loaded in float32: its BatchNorms are folded at load) gets a private
    /// bfloat16 copy of its convolutions and attention-pool projections. LayerNorms, softmax
    /// and activations stay float32 in every tower.
    public init(weights: CLIPWeights, precision: MatmulPrecision = .float32) {
        var weights = weights
        if weights.precision == .bfloat16 && precision == .float32 {
            do { weights = try weights.at(.float32) } catch {
                fatalError("reading the float32 weights again from \(weights.source.path): \(error)")
            }
        }
        let a = weights.architecture
        self.weights = weights
        self.precision = precision
        let textWeights = precision == .float32 ? weights.text : weights.text.at(precision)
        text = TextEncoder(weights: textWeights, heads: a.textHeads)
        var image = weights.image
        if precision != .float32 {
            switch image {
            case let .transformer(w): image = .transformer(w.at(precision))
            case let .resNet(w): image = .resNet(w.at(precision))
            }
        }
        vision = ImageTower(weights: image, architecture: a)
    }

    /// Loads weights from a Hugging Face folder or a safetensors file (either naming), their
    /// matrices at `precision` (for bfloat16 through `cache`: see ``CLIPWeights/load(from:precision:cache:)``).
    public convenience init(contentsOf url: URL, precision: MatmulPrecision = .float32,
                            cache: BFloat16WeightCache = .environment) throws {
        self.init(weights: try CLIPWeights.load(from: url, precision: precision, cache: cache), precision: precision)
    }

    /// This model with its products at `precision`, self if already so; made once per
    /// precision and kept (a sweep's trials share one): the same weights (with a private
    /// bfloat16 copy from float32 ones), or float32 weights read again from the file of
    /// weights loaded at bfloat16.
    public func at(_ precision: MatmulPrecision) -> CLIPModel {
        if precision == self.precision { return self }
        variantLock.lock(); defer { variantLock.unlock() }
        if let made = variants[precision] { return made }
        let made = CLIPModel(weights: weights, precision: precision)
        variants[precision] = made
        return made
    }

    private let variantLock = NSLock()
    private var variants: [MatmulPrecision: CLIPModel] = [:]

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
