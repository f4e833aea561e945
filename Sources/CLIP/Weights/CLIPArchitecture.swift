/// The image tower's own shape. OpenAI's `CLIP(...)` builds a VisionTransformer when
/// `vision_layers` is an int and a ModifiedResNet when it is a tuple of four stage depths.
public enum VisionTowerShape: Codable, Equatable, Hashable, Sendable {
    /// ViT: `layers` residual attention blocks over `patchSize` x `patchSize` patches.
    case transformer(layers: Int, patchSize: Int)
    /// ModifiedResNet: the number of Bottleneck blocks in each of the four stages
    /// (`visual.layer1` ... `visual.layer4`).
    case resNet(stages: [Int])
}

/// The hyper-parameters of an OpenAI CLIP model, with a ViT or a ModifiedResNet image tower.
///
/// Field names follow OpenAI's `CLIP(...)` constructor (`transformer_*` is the text tower).
/// Transformer towers use MLPs of ``mlpRatio`` x width and LayerNorm eps 1e-5.
public struct CLIPArchitecture: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Width of the joint embedding space (E), the output of both projections.
    public var embedDim: Int
    /// Input image side in pixels.
    public var imageResolution: Int
    /// The image tower's kind and depth.
    public var visionTower: VisionTowerShape
    /// Vision tower width (W): a ViT's token width; a ResNet's stem output channels
    /// (`vision_width`: stage s has 2^(s-1) W planes, the attention pool 32 W channels).
    public var visionWidth: Int
    /// Attention heads of the vision transformer, or of the ResNet's attention pool.
    public var visionHeads: Int
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
    /// How much a ModifiedResNet shrinks the image: its output grid is resolution / 32.
    public static let resNetStride = 32

    /// A model with a ViT image tower.
    public init(embedDim: Int, imageResolution: Int, visionLayers: Int, visionWidth: Int, visionHeads: Int,
                visionPatchSize: Int, contextLength: Int, vocabSize: Int, textWidth: Int, textHeads: Int,
                textLayers: Int) {
        self.init(embedDim: embedDim, imageResolution: imageResolution,
                  visionTower: .transformer(layers: visionLayers, patchSize: visionPatchSize),
                  visionWidth: visionWidth, visionHeads: visionHeads, contextLength: contextLength,
                  vocabSize: vocabSize, textWidth: textWidth, textHeads: textHeads, textLayers: textLayers)
    }

    /// A model with a ModifiedResNet image tower of `visionStages` Bottleneck blocks per stage.
    public init(embedDim: Int, imageResolution: Int, visionStages: [Int], visionWidth: Int, visionHeads: Int,
                contextLength: Int, vocabSize: Int, textWidth: Int, textHeads: Int, textLayers: Int) {
        self.init(embedDim: embedDim, imageResolution: imageResolution, visionTower: .resNet(stages: visionStages),
                  visionWidth: visionWidth, visionHeads: visionHeads, contextLength: contextLength,
                  vocabSize: vocabSize, textWidth: textWidth, textHeads: textHeads, textLayers: textLayers)
    }

    /// A model with any image tower.
    public init(embedDim: Int, imageResolution: Int, visionTower: VisionTowerShape, visionWidth: Int,
                visionHeads: Int, contextLength: Int, vocabSize: Int, textWidth: Int, textHeads: Int,
                textLayers: Int) {
        self.embedDim = embedDim
        self.imageResolution = imageResolution
        self.visionTower = visionTower
        self.visionWidth = visionWidth
        self.visionHeads = visionHeads
        self.contextLength = contextLength
        self.vocabSize = vocabSize
        self.textWidth = textWidth
        self.textHeads = textHeads
        self.textLayers = textLayers
    }

    // MARK: - Derived sizes

    /// Whether the image tower is a ModifiedResNet.
    public var isResNet: Bool {
        if case .resNet = visionTower { return true }
        return false
    }
    /// Bottleneck blocks per stage of a ModifiedResNet; empty for a ViT.
    public var visionStages: [Int] {
        if case let .resNet(stages) = visionTower { return stages }
        return []
    }
    /// Residual attention blocks of a ViT tower; 0 for a ResNet.
    public var visionLayers: Int {
        if case let .transformer(layers, _) = visionTower { return layers }
        return 0
    }
    /// Input pixels per side of one output grid cell: a ViT's patch (conv1 kernel and
    /// stride); 32 for a ResNet (stem /4, three strided stages /8).
    public var visionPatchSize: Int {
        if case let .transformer(_, patch) = visionTower { return patch }
        return Self.resNetStride
    }
    /// Grid cells per image side (G): a ViT's patches, a ResNet's last feature map.
    public var gridSize: Int { imageResolution / visionPatchSize }
    /// Tokens of the vision attention: G x G cells + 1 (a ViT's class token, the ResNet
    /// attention pool's mean token); the rows of the vision positional embedding.
    public var visionTokens: Int { gridSize * gridSize + 1 }
    /// Hidden width of a text MLP (4 D).
    public var textMLPWidth: Int { Self.mlpRatio * textWidth }
    /// Hidden width of a vision MLP (4 W, ViT).
    public var visionMLPWidth: Int { Self.mlpRatio * visionWidth }
    /// Inputs of one flattened ViT patch: 3 channels x p x p.
    public var patchInputs: Int { 3 * visionPatchSize * visionPatchSize }
    /// Channels of a ModifiedResNet's last stage and attention pool (32 W).
    public var resNetFeatureWidth: Int { 32 * visionWidth }

    public var description: String {
        let vision: String
        switch visionTower {
        case let .transformer(layers, patch):
            vision = "image \(imageResolution)px patch \(patch), vision \(layers)x\(visionWidth)/\(visionHeads) heads"
        case let .resNet(stages):
            vision = "image \(imageResolution)px, ResNet stages \(stages.map(String.init).joined(separator: "-")) "
                + "width \(visionWidth), attention pool \(visionHeads) heads"
        }
        return "CLIP(embed \(embedDim), \(vision), "
            + "text \(textLayers)x\(textWidth)/\(textHeads) heads, context \(contextLength), vocab \(vocabSize))"
    }

    // MARK: - Validation

    /// Checks that the numbers describe a buildable model.
    /// - Parameter source: the file or folder named in the error.
    /// - Throws: ``CLIPWeightsError/unsupportedArchitecture(source:reason:)``.
    public func validate(source: String) throws {
        func fail(_ reason: String) -> CLIPWeightsError { .unsupportedArchitecture(source: source, reason: reason) }
        var positive: [(String, Int)] = [
            ("embed_dim", embedDim), ("image_resolution", imageResolution),
            ("vision_width", visionWidth), ("vision_heads", visionHeads),
            ("context_length", contextLength), ("vocab_size", vocabSize), ("transformer_width", textWidth),
            ("transformer_heads", textHeads), ("transformer_layers", textLayers),
        ]
        switch visionTower {
        case let .transformer(layers, patch):
            positive += [("vision_layers", layers), ("vision_patch_size", patch)]
        case let .resNet(stages):
            guard stages.count == 4 else { throw fail("a ResNet has 4 stages, not \(stages.count) (\(stages))") }
            positive += stages.enumerated().map { ("vision_layers[\($0.offset)]", $0.element) }
        }
        for (name, value) in positive where value <= 0 { throw fail("\(name) = \(value) must be positive") }
        guard imageResolution % visionPatchSize == 0 else {
            let what = isResNet ? "the ResNet stride" : "the patch size"
            throw fail("image_resolution \(imageResolution) is not a multiple of \(what) \(visionPatchSize)")
        }
        let attentionWidth = isResNet ? resNetFeatureWidth : visionWidth
        guard attentionWidth % visionHeads == 0 else {
            throw fail("vision attention width \(attentionWidth) is not divisible by \(visionHeads) heads")
        }
        guard !isResNet || visionWidth % 2 == 0 else { throw fail("ResNet width \(visionWidth) must be even") }
        guard textWidth % textHeads == 0 else {
            throw fail("text width \(textWidth) is not divisible by \(textHeads) heads")
        }
    }
}
