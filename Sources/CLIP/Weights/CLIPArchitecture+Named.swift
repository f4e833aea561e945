// OpenAI's published CLIP models by name ("RN50", "ViT-B/16", ... as `clip.available_models()`
// lists them and CoOp's MODEL.BACKBONE.NAME spells them), and whether weights fit a name.

extension CLIPArchitecture {
    // MARK: - OpenAI's published models

    /// RN50 (OpenAI).
    public static let rn50 = resNet(embed: 1024, resolution: 224, stages: [3, 4, 6, 3], width: 64, text: 512)
    /// RN101 (OpenAI).
    public static let rn101 = resNet(embed: 512, resolution: 224, stages: [3, 4, 23, 3], width: 64, text: 512)
    /// RN50x4 (OpenAI).
    public static let rn50x4 = resNet(embed: 640, resolution: 288, stages: [4, 6, 10, 6], width: 80, text: 640)
    /// RN50x16 (OpenAI).
    public static let rn50x16 = resNet(embed: 768, resolution: 384, stages: [6, 8, 18, 8], width: 96, text: 768)
    /// RN50x64 (OpenAI).
    public static let rn50x64 = resNet(embed: 1024, resolution: 448, stages: [3, 15, 36, 10], width: 128, text: 1024)
    /// ViT-B/32 (OpenAI).
    public static let vitB32 = vit(embed: 512, resolution: 224, layers: 12, width: 768, patch: 32, text: 512)
    /// ViT-B/16 (OpenAI).
    public static let vitB16 = vit(embed: 512, resolution: 224, layers: 12, width: 768, patch: 16, text: 512)
    /// ViT-L/14 (OpenAI, 224 px).
    public static let vitL14 = vit(embed: 768, resolution: 224, layers: 24, width: 1024, patch: 14, text: 768)
    /// ViT-L/14@336px (OpenAI).
    public static let vitL14At336 = vit(embed: 768, resolution: 336, layers: 24, width: 1024, patch: 14, text: 768)

    /// OpenAI's models in `clip.available_models()` order, by name.
    public static let openAIModels: [(name: String, architecture: CLIPArchitecture)] = [
        ("RN50", .rn50), ("RN101", .rn101), ("RN50x4", .rn50x4), ("RN50x16", .rn50x16), ("RN50x64", .rn50x64),
        ("ViT-B/32", .vitB32), ("ViT-B/16", .vitB16), ("ViT-L/14", .vitL14), ("ViT-L/14@336px", .vitL14At336),
    ]

    /// The OpenAI model called `name` ("RN50", "ViT-B/16", ...), or nil for any other name.
    public init?(openAIName name: String) {
        guard let model = Self.openAIModels.first(where: { $0.name == name }) else { return nil }
        self = model.architecture
    }

    /// The name of the OpenAI model with exactly this architecture, or nil (a tiny, custom
    /// or fine-tuned-at-another-size model).
    public var openAIName: String? {
        Self.openAIModels.first { $0.architecture == self }?.name
    }

    /// OpenAI's ResNet CLIPs: attention-pool heads width x 32 / 64, text heads width / 64,
    /// 12 text layers over 77 positions and 49,408 tokens.
    private static func resNet(embed: Int, resolution: Int, stages: [Int], width: Int, text: Int) -> CLIPArchitecture {
        CLIPArchitecture(embedDim: embed, imageResolution: resolution, visionStages: stages, visionWidth: width,
                         visionHeads: width * 32 / 64, contextLength: 77, vocabSize: 49408, textWidth: text,
                         textHeads: text / 64, textLayers: 12)
    }

    /// OpenAI's ViT CLIPs: heads width / 64 in both towers, the same text tower as above.
    private static func vit(embed: Int, resolution: Int, layers: Int, width: Int, patch: Int,
                            text: Int) -> CLIPArchitecture {
        CLIPArchitecture(embedDim: embed, imageResolution: resolution, visionLayers: layers, visionWidth: width,
                         visionHeads: width / 64, visionPatchSize: patch, contextLength: 77, vocabSize: 49408,
                         textWidth: text, textHeads: text / 64, textLayers: 12)
    }

    // MARK: - Checking a backbone name

    /// "a ViT" or "a ResNet": the kind of image tower, for messages.
    public var visionKind: String { isResNet ? "a ResNet" : "a ViT" }

    /// Why weights of this architecture do not fit the backbone `name` (MODEL.BACKBONE.NAME),
    /// or nil when they fit or the name says nothing checkable.
    ///
    /// - An empty `name`, or one that is none of ``openAIModels``, is not checked: that is
    ///   how other weights are run on purpose.
    /// - Weights that are one of OpenAI's models must be the model `name` names.
    /// - Other weights (tiny, custom) must have the kind of image tower `name` has: a ViT
    ///   for "ViT-*", a ResNet for "RN*".
    /// - Returns: a phrase that continues "MODEL.BACKBONE.NAME ...", naming both models.
    public func backboneMismatch(named name: String) -> String? {
        guard let expected = CLIPArchitecture(openAIName: name) else { return nil }
        if let found = openAIName {
            guard found != name else { return nil }
            return "is '\(name)' (\(expected.visionKind)), but the weights are \(found)"
        }
        guard expected.isResNet != isResNet else { return nil }
        return "is '\(name)' (\(expected.visionKind)), but the weights are \(visionKind) that is none of OpenAI's "
            + "models: \(self)"
    }
}
