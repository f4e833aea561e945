// The one place that knows how CLIP's tensors are named in OpenAI and Hugging Face
// checkpoints, how a Hugging Face tensor becomes OpenAI's layout, and what shape each
// tensor has for a given architecture. Everything else refers to tensors by
// `CLIPParameter`, never by string.

// MARK: - Parameters

/// Which tower a residual block belongs to.
public enum CLIPTower: String, Sendable, CaseIterable {
    case text
    case vision
}

/// A tensor of one residual block.
public enum CLIPBlockParameter: CaseIterable, Sendable {
    case ln1Weight, ln1Bias
    case attnInWeight, attnInBias
    case attnOutWeight, attnOutBias
    case ln2Weight, ln2Bias
    case fcWeight, fcBias
    case projWeight, projBias
}

/// A tensor outside the residual blocks.
public enum CLIPGlobalParameter: CaseIterable, Sendable {
    case tokenEmbedding, textPositionalEmbedding, lnFinalWeight, lnFinalBias, textProjection
    case patchEmbedding, classEmbedding, visionPositionalEmbedding
    case lnPreWeight, lnPreBias, lnPostWeight, lnPostBias, visionProjection
    case logitScale
}

/// One tensor of the CLIP state dict.
public enum CLIPParameter: Hashable, Sendable {
    case global(CLIPGlobalParameter)
    case block(CLIPTower, Int, CLIPBlockParameter)
    /// A tensor of a ModifiedResNet image tower (see CLIPWeightNames+ResNet.swift).
    case resNet(ResNetParameter)

    /// Every tensor of a model with `architecture`: globals first (a ViT's own ones only with
    /// a ViT), then text and ViT blocks, then a ResNet tower's tensors.
    public static func all(for architecture: CLIPArchitecture) -> [CLIPParameter] {
        var result = CLIPGlobalParameter.allCases.filter { !$0.isViT || !architecture.isResNet }
            .map(CLIPParameter.global)
        for tower in CLIPTower.allCases {
            let layers = tower == .text ? architecture.textLayers : architecture.visionLayers
            for index in 0..<layers {
                result += CLIPBlockParameter.allCases.map { .block(tower, index, $0) }
            }
        }
        return result + ResNetParameter.all(for: architecture).map(CLIPParameter.resNet)
    }
}

// MARK: - Naming rules

/// How a checkpoint's tensor(s) become the OpenAI layout.
public enum CLIPWeightTransform: Sendable {
    /// Same data and layout.
    case same
    /// A Linear weight `[out, in]` becomes a projection `[in, out]`.
    case transpose
    /// Separate q, k, v tensors (rows) are stacked into one in_proj tensor.
    case concatQKV
}

/// One row of the mapping table: a tensor's OpenAI name, its Hugging Face name (with
/// `{q,k,v}` standing for the three parts of a ``CLIPWeightTransform/concatQKV`` rule) and
/// the transform from the Hugging Face layout to OpenAI's.
struct CLIPNameRule {
    let openAI: String
    let huggingFace: String
    let transform: CLIPWeightTransform

    init(_ openAI: String, _ huggingFace: String, _ transform: CLIPWeightTransform = .same) {
        self.openAI = openAI
        self.huggingFace = huggingFace
        self.transform = transform
    }

    /// The Hugging Face names, with `{q,k,v}` expanded.
    var huggingFaceParts: [String] {
        guard huggingFace.contains("{q,k,v}") else { return [huggingFace] }
        return ["q", "k", "v"].map { huggingFace.replacingOccurrences(of: "{q,k,v}", with: $0) }
    }
}

extension CLIPGlobalParameter {
    /// Whether only a ViT image tower has this tensor.
    var isViT: Bool {
        switch self {
        case .patchEmbedding, .classEmbedding, .visionPositionalEmbedding, .lnPreWeight, .lnPreBias,
             .lnPostWeight, .lnPostBias, .visionProjection:
            return true
        case .tokenEmbedding, .textPositionalEmbedding, .lnFinalWeight, .lnFinalBias, .textProjection, .logitScale:
            return false
        }
    }

    /// Names and transform (see the table in the fixtures README, "clip_hf").
    var rule: CLIPNameRule {
        switch self {
        case .tokenEmbedding:
            return CLIPNameRule("token_embedding.weight", "text_model.embeddings.token_embedding.weight")
        case .textPositionalEmbedding:
            return CLIPNameRule("positional_embedding", "text_model.embeddings.position_embedding.weight")
        case .lnFinalWeight: return CLIPNameRule("ln_final.weight", "text_model.final_layer_norm.weight")
        case .lnFinalBias: return CLIPNameRule("ln_final.bias", "text_model.final_layer_norm.bias")
        case .textProjection: return CLIPNameRule("text_projection", "text_projection.weight", .transpose)
        case .patchEmbedding:
            return CLIPNameRule("visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight")
        case .classEmbedding: return CLIPNameRule("visual.class_embedding", "vision_model.embeddings.class_embedding")
        case .visionPositionalEmbedding:
            return CLIPNameRule("visual.positional_embedding", "vision_model.embeddings.position_embedding.weight")
        case .lnPreWeight: return CLIPNameRule("visual.ln_pre.weight", "vision_model.pre_layrnorm.weight")  // sic
        case .lnPreBias: return CLIPNameRule("visual.ln_pre.bias", "vision_model.pre_layrnorm.bias")
        case .lnPostWeight: return CLIPNameRule("visual.ln_post.weight", "vision_model.post_layernorm.weight")
        case .lnPostBias: return CLIPNameRule("visual.ln_post.bias", "vision_model.post_layernorm.bias")
        case .visionProjection: return CLIPNameRule("visual.proj", "visual_projection.weight", .transpose)
        case .logitScale: return CLIPNameRule("logit_scale", "logit_scale")
        }
    }

    /// Shape in OpenAI's layout.
    func shape(_ a: CLIPArchitecture) -> [Int] {
        switch self {
        case .tokenEmbedding: return [a.vocabSize, a.textWidth]
        case .textPositionalEmbedding: return [a.contextLength, a.textWidth]
        case .lnFinalWeight, .lnFinalBias: return [a.textWidth]
        case .textProjection: return [a.textWidth, a.embedDim]
        case .patchEmbedding: return [a.visionWidth, 3, a.visionPatchSize, a.visionPatchSize]
        case .classEmbedding, .lnPreWeight, .lnPreBias, .lnPostWeight, .lnPostBias: return [a.visionWidth]
        case .visionPositionalEmbedding: return [a.visionTokens, a.visionWidth]
        case .visionProjection: return [a.visionWidth, a.embedDim]
        case .logitScale: return []
        }
    }
}

extension CLIPBlockParameter {
    /// Names (after the block prefix) and transform.
    var rule: CLIPNameRule {
        switch self {
        case .ln1Weight: return CLIPNameRule("ln_1.weight", "layer_norm1.weight")
        case .ln1Bias: return CLIPNameRule("ln_1.bias", "layer_norm1.bias")
        case .attnInWeight: return CLIPNameRule("attn.in_proj_weight", "self_attn.{q,k,v}_proj.weight", .concatQKV)
        case .attnInBias: return CLIPNameRule("attn.in_proj_bias", "self_attn.{q,k,v}_proj.bias", .concatQKV)
        case .attnOutWeight: return CLIPNameRule("attn.out_proj.weight", "self_attn.out_proj.weight")
        case .attnOutBias: return CLIPNameRule("attn.out_proj.bias", "self_attn.out_proj.bias")
        case .ln2Weight: return CLIPNameRule("ln_2.weight", "layer_norm2.weight")
        case .ln2Bias: return CLIPNameRule("ln_2.bias", "layer_norm2.bias")
        case .fcWeight: return CLIPNameRule("mlp.c_fc.weight", "mlp.fc1.weight")
        case .fcBias: return CLIPNameRule("mlp.c_fc.bias", "mlp.fc1.bias")
        case .projWeight: return CLIPNameRule("mlp.c_proj.weight", "mlp.fc2.weight")
        case .projBias: return CLIPNameRule("mlp.c_proj.bias", "mlp.fc2.bias")
        }
    }

    /// Shape in OpenAI's layout for a tower of width `d`.
    func shape(width d: Int) -> [Int] {
        let hidden = CLIPArchitecture.mlpRatio * d
        switch self {
        case .ln1Weight, .ln1Bias, .ln2Weight, .ln2Bias, .attnOutBias, .projBias: return [d]
        case .attnInWeight: return [3 * d, d]
        case .attnInBias: return [3 * d]
        case .attnOutWeight: return [d, d]
        case .fcWeight: return [hidden, d]
        case .fcBias: return [hidden]
        case .projWeight: return [d, hidden]
        }
    }
}

extension CLIPTower {
    /// Prefix of block `index` in each naming.
    func blockPrefix(_ index: Int, openAI: Bool) -> String {
        switch (self, openAI) {
        case (.text, true): return "transformer.resblocks.\(index)."
        case (.text, false): return "text_model.encoder.layers.\(index)."
        case (.vision, true): return "visual.transformer.resblocks.\(index)."
        case (.vision, false): return "vision_model.encoder.layers.\(index)."
        }
    }
}

extension CLIPParameter {
    /// The mapping-table row of this tensor, block prefixes included.
    var rule: CLIPNameRule {
        switch self {
        case let .global(parameter):
            return parameter.rule
        case let .block(tower, index, parameter):
            let rule = parameter.rule
            return CLIPNameRule(tower.blockPrefix(index, openAI: true) + rule.openAI,
                                tower.blockPrefix(index, openAI: false) + rule.huggingFace, rule.transform)
        case let .resNet(parameter):
            // transformers' CLIPModel has no ResNet tower: such files only come in OpenAI's names.
            return CLIPNameRule(parameter.openAIName, parameter.openAIName)
        }
    }

    /// Shape in OpenAI's layout for `architecture`.
    public func shape(_ architecture: CLIPArchitecture) -> [Int] {
        switch self {
        case let .global(parameter): return parameter.shape(architecture)
        case let .block(tower, _, parameter):
            return parameter.shape(width: tower == .text ? architecture.textWidth : architecture.visionWidth)
        case let .resNet(parameter):
            return parameter.shape(architecture)
        }
    }

    /// The tensor's name in OpenAI's state dict.
    public var openAIName: String { rule.openAI }
}

// MARK: - Checkpoint naming

/// The naming convention of a checkpoint, with the prefix its keys carry (e.g. `model.`).
public enum CLIPCheckpointNaming: Equatable, Sendable {
    /// OpenAI's `state_dict()` names (clip/model.py).
    case openAI(prefix: String)
    /// Hugging Face `CLIPModel` names.
    case huggingFace(prefix: String)

    /// Detects the naming from the tensor names, or `nil` when neither matches.
    public static func detect(_ names: [String]) -> CLIPCheckpointNaming? {
        let openAIMarker = CLIPGlobalParameter.patchEmbedding.rule.openAI
        let huggingFaceMarker = CLIPGlobalParameter.patchEmbedding.rule.huggingFace
        // Shortest match first, so "visual.conv1.weight" wins over "x.visual.conv1.weight".
        for name in names.sorted(by: { $0.count < $1.count }) {
            if name.hasSuffix(huggingFaceMarker) {
                return .huggingFace(prefix: String(name.dropLast(huggingFaceMarker.count)))
            }
            if name.hasSuffix(openAIMarker) { return .openAI(prefix: String(name.dropLast(openAIMarker.count))) }
        }
        return nil
    }

    /// The file names holding `parameter` (three for a q/k/v split, else one).
    func fileNames(_ parameter: CLIPParameter) -> [String] {
        let rule = parameter.rule
        switch self {
        case let .openAI(prefix): return [prefix + rule.openAI]
        case let .huggingFace(prefix): return rule.huggingFaceParts.map { prefix + $0 }
        }
    }

    /// How the file's tensor(s) become OpenAI's layout.
    func transform(_ parameter: CLIPParameter) -> CLIPWeightTransform {
        if case .openAI = self { return .same }
        return parameter.rule.transform
    }

    /// The shape each file tensor of `parameter` must have for `architecture`.
    func fileShape(_ parameter: CLIPParameter, _ architecture: CLIPArchitecture) -> [Int] {
        let shape = parameter.shape(architecture)
        switch transform(parameter) {
        case .same: return shape
        case .transpose: return shape.reversed()
        case .concatQKV: return [shape[0] / 3] + shape.dropFirst()
        }
    }

    /// The prefix of block `index` of `tower` in this naming, checkpoint prefix included.
    func blockPrefix(_ tower: CLIPTower, _ index: Int) -> String {
        switch self {
        case let .openAI(prefix): return prefix + tower.blockPrefix(index, openAI: true)
        case let .huggingFace(prefix): return prefix + tower.blockPrefix(index, openAI: false)
        }
    }

    /// How many residual blocks of `tower` the names contain (distinct block indices, as
    /// OpenAI's build_model counts them).
    func blockCount(_ tower: CLIPTower, in names: [String]) -> Int {
        let stem = String(blockPrefix(tower, 0).dropLast(2))  // "...resblocks." without "0."
        return indexCount(after: stem, in: names)
    }

    /// The prefix every key carries (e.g. "model.", often "").
    var prefix: String {
        switch self {
        case let .openAI(prefix), let .huggingFace(prefix): return prefix
        }
    }

    /// How many blocks the names hold under `stem` (e.g. "visual.layer2.") after the
    /// checkpoint's prefix: distinct indices right after it.
    func blockCount(under stem: String, in names: [String]) -> Int {
        indexCount(after: prefix + stem, in: names)
    }

    /// Distinct integers `i` among the names that start with `stem` + "i.".
    private func indexCount(after stem: String, in names: [String]) -> Int {
        var indices = Set<Int>()
        for name in names where name.hasPrefix(stem) {
            let rest = name.dropFirst(stem.count)
            if let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]) { indices.insert(index) }
        }
        return indices.count
    }
}
