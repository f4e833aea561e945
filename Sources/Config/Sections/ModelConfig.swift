// MARK: - MODEL

/// MODEL: the backbone (the frozen CLIP) and Dassl's optional head.
public struct ModelConfig: Equatable, Sendable {
    /// INIT_WEIGHTS: weights to initialise the trainable parameters from (a cocoop-swift
    /// checkpoint, CoOp-named safetensors, or Dassl's `.pth`). Default "".
    public var initWeights = ""
    /// BACKBONE: which CLIP.
    public var backbone = BackboneConfig()
    /// HEAD: Dassl's embedding head (unused by CoOp and CoCoOp).
    public var head = HeadConfig()

    /// Dassl's defaults.
    public init() {}
}

/// MODEL.BACKBONE: which CLIP, and where its weights are.
public struct BackboneConfig: Equatable, Sendable {
    /// NAME: CLIP model name as in OpenAI's list, e.g. "ViT-B/16", "RN50". Default "".
    public var name = ""
    /// PRETRAINED: load pretrained weights (always true for CLIP). Default True.
    public var pretrained = true
    /// WEIGHTS (cocoop-swift): path to the CLIP weights, a Hugging Face folder (config.json,
    /// model.safetensors, ...) or a .safetensors file; empty: found from NAME. Default "".
    public var weights = ""

    /// Dassl's defaults.
    public init() {}
}

/// MODEL.HEAD: Dassl's MLP head between backbone and classifier (unused by CoOp/CoCoOp).
public struct HeadConfig: Equatable, Sendable {
    /// NAME: head name; empty means no head. Default "".
    public var name = ""
    /// HIDDEN_LAYERS: hidden layer sizes, e.g. [512, 512]. Default ().
    public var hiddenLayers: [Int] = []
    /// ACTIVATION: hidden activation. Default "relu".
    public var activation = "relu"
    /// BN: batch normalisation in the head. Default True.
    public var bn = true
    /// DROPOUT: dropout probability in the head. Default 0.0.
    public var dropout = 0.0

    /// Dassl's defaults.
    public init() {}
}

// MARK: - Keys

extension ModelConfig: ConfigSection {
    static var fields: [ConfigField<ModelConfig>] {
        [
            .value("INIT_WEIGHTS", \.initWeights),
            .section("BACKBONE", \.backbone),
            .section("HEAD", \.head),
        ]
    }
}

extension BackboneConfig: ConfigSection {
    static var fields: [ConfigField<BackboneConfig>] {
        [
            .value("NAME", \.name),
            .value("PRETRAINED", \.pretrained),
            .value("WEIGHTS", \.weights),
        ]
    }
}

extension HeadConfig: ConfigSection {
    static var fields: [ConfigField<HeadConfig>] {
        [
            .value("NAME", \.name),
            .value("HIDDEN_LAYERS", \.hiddenLayers),
            .value("ACTIVATION", \.activation),
            .value("BN", \.bn),
            .value("DROPOUT", \.dropout),
        ]
    }
}
