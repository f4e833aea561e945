/// The hyper-parameters of an OpenAI CLIP model with a ViT image tower.
///
/// Field names follow OpenAI's `CLIP(...)` constructor (`transformer_*` is the text tower).
/// Both towers use MLPs of ``mlpRatio`` x width and LayerNorm eps 1e-5.
public struct CLIPArchitecture: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Width of the joint embedding space (E), the output of both projections.
    public var embedDim: Int
    /// Input image side in pixels.
    public var imageResolution: Int
    /// Number of residual blocks in the vision tower.
    public var visionLayers: Int
    /// Vision tower width (W).
    public var visionWidth: Int
    /// Attention heads in the vision tower.
    public var visionHeads: Int
    /// Side of a square patch (conv1 kernel and stride).
    public var visionPatchSize: Int
    /// Number of text positions (L).
    public var contextLength: Int
    /// Number of token ids (V).
    public var vocabSize: Int
    /// Text tower width (D).
    public var textWidth: Int
    /// Attention heads in the text tower.
    public var textHeads: Int
    /// Number of residual blocks in the text tower.
    public var textLayers: Int

    /// Hidden width of each MLP relative to its tower's width.
    public static let mlpRatio = 4

    /// A model with these hyper-parameters.
    public init(embedDim: Int, imageResolution: Int, visionLayers: Int, visionWidth: Int, visionHeads: Int,
                visionPatchSize: Int, contextLength: Int, vocabSize: Int, textWidth: Int, textHeads: Int, textLayers: Int) {
        self.embedDim = embedDim
        self.imageResolution = imageResolution
        self.visionLayers = visionLayers
        self.visionWidth = visionWidth
        self.visionHeads = visionHeads
        self.visionPatchSize = visionPatchSize
        self.contextLength = contextLength
        self.vocabSize = vocabSize
        self.textWidth = textWidth
        self.textHeads = textHeads
        self.textLayers = textLayers
    }

    // MARK: - Derived sizes

    /// Patches per image side (G); the image has G x G patches plus the class token.
    public var gridSize: Int { imageResolution / visionPatchSize }
    /// Vision tokens per image: G x G patches + 1 class token.
    public var visionTokens: Int { gridSize * gridSize + 1 }
    /// Hidden width of a text MLP (4 D).
    public var textMLPWidth: Int { Self.mlpRatio * textWidth }
    /// Hidden width of a vision MLP (4 W).
    public var visionMLPWidth: Int { Self.mlpRatio * visionWidth }
    /// Inputs of one flattened patch: 3 channels x p x p.
    public var patchInputs: Int { 3 * visionPatchSize * visionPatchSize }

    public var description: String {
        "CLIP(embed \(embedDim), image \(imageResolution)px patch \(visionPatchSize), vision \(visionLayers)x\(visionWidth)/\(visionHeads) heads, "
            + "text \(textLayers)x\(textWidth)/\(textHeads) heads, context \(contextLength), vocab \(vocabSize))"
    }

    // MARK: - OpenAI's published models

    /// ViT-B/32 (OpenAI).
    public static let vitB32 = CLIPArchitecture(
        embedDim: 512, imageResolution: 224, visionLayers: 12, visionWidth: 768, visionHeads: 12, visionPatchSize: 32,
        contextLength: 77, vocabSize: 49408, textWidth: 512, textHeads: 8, textLayers: 12)
    /// ViT-B/16 (OpenAI).
    public static let vitB16 = CLIPArchitecture(
        embedDim: 512, imageResolution: 224, visionLayers: 12, visionWidth: 768, visionHeads: 12, visionPatchSize: 16,
        contextLength: 77, vocabSize: 49408, textWidth: 512, textHeads: 8, textLayers: 12)
    /// ViT-L/14 (OpenAI, 224 px).
    public static let vitL14 = CLIPArchitecture(
        embedDim: 768, imageResolution: 224, visionLayers: 24, visionWidth: 1024, visionHeads: 16, visionPatchSize: 14,
        contextLength: 77, vocabSize: 49408, textWidth: 768, textHeads: 12, textLayers: 12)

    // MARK: - Validation

    /// Checks that the numbers describe a buildable model.
    /// - Parameter source: the file or folder named in the error.
    /// - Throws: ``CLIPWeightsError/unsupportedArchitecture(source:reason:)``.
    public func validate(source: String) throws {
        func fail(_ reason: String) -> CLIPWeightsError { .unsupportedArchitecture(source: source, reason: reason) }
        let positive: [(String, Int)] = [
            ("embed_dim", embedDim), ("image_resolution", imageResolution), ("vision_layers", visionLayers),
            ("vision_width", visionWidth), ("vision_heads", visionHeads), ("vision_patch_size", visionPatchSize),
            ("context_length", contextLength), ("vocab_size", vocabSize), ("transformer_width", textWidth),
            ("transformer_heads", textHeads), ("transformer_layers", textLayers),
        ]
        for (name, value) in positive where value <= 0 { throw fail("\(name) = \(value) must be positive") }
        guard imageResolution % visionPatchSize == 0 else {
            throw fail("image_resolution \(imageResolution) is not a multiple of the patch size \(visionPatchSize)")
        }
        guard visionWidth % visionHeads == 0 else { throw fail("vision width \(visionWidth) is not divisible by \(visionHeads) heads") }
        guard textWidth % textHeads == 0 else { throw fail("text width \(textWidth) is not divisible by \(textHeads) heads") }
    }
}
