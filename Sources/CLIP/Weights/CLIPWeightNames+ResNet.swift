// The tensors of OpenAI's ModifiedResNet image tower (clip/model.py), by name and shape.
// Only OpenAI's state-dict names exist: transformers' CLIPModel has no ResNet tower.

// MARK: - Parameters

/// A convolution of the ModifiedResNet; each is followed by its own BatchNorm.
public enum ResNetConv: Hashable, Sendable {
    /// Stem convolution `visual.conv{index}` (1 ... 3) with `visual.bn{index}`.
    case stem(Int)
    /// `visual.layer{stage}.{block}.conv{index}` with `.bn{index}` (stage 1 ... 4, index 1 ... 3).
    case bottleneck(stage: Int, block: Int, conv: Int)
    /// The identity branch of a block that changes size: `visual.layer{stage}.{block}.downsample.0`
    /// (a 1x1 convolution after the average pool) with the BatchNorm `downsample.1`.
    case downsample(stage: Int, block: Int)

    /// The state-dict prefix of the convolution's weight and of its BatchNorm.
    var prefixes: (conv: String, batchNorm: String) {
        switch self {
        case let .stem(i): return ("visual.conv\(i).", "visual.bn\(i).")
        case let .bottleneck(s, b, i): return ("visual.layer\(s).\(b).conv\(i).", "visual.layer\(s).\(b).bn\(i).")
        case let .downsample(s, b):
            return ("visual.layer\(s).\(b).downsample.0.", "visual.layer\(s).\(b).downsample.1.")
        }
    }

    /// (out channels, in channels, kernel side) in `a`, as `ModifiedResNet.__init__` builds it.
    public func geometry(_ a: CLIPArchitecture) -> (out: Int, in: Int, kernel: Int) {
        let w = a.visionWidth
        switch self {
        case let .stem(i):
            return [(w / 2, 3, 3), (w / 2, w / 2, 3), (w, w / 2, 3)][i - 1]
        case let .bottleneck(stage, block, conv):
            let planes = ResNetConv.planes(stage, w), inplanes = ResNetConv.inplanes(stage, block, w)
            return [(planes, inplanes, 1), (planes, planes, 3), (4 * planes, planes, 1)][conv - 1]
        case let .downsample(stage, block):
            return (4 * ResNetConv.planes(stage, w), ResNetConv.inplanes(stage, block, w), 1)
        }
    }

    /// Planes of the Bottleneck blocks of `stage`: W, 2W, 4W, 8W (their output is 4x that).
    static func planes(_ stage: Int, _ width: Int) -> Int { width << (stage - 1) }

    /// Input channels of block `block` of `stage`: the stem's W, or the previous output 4 planes.
    static func inplanes(_ stage: Int, _ block: Int, _ width: Int) -> Int {
        if block > 0 { return 4 * planes(stage, width) }
        return stage == 1 ? width : 4 * planes(stage - 1, width)
    }
}

/// One tensor of a BatchNorm (eval mode uses the running statistics).
public enum BatchNormField: String, CaseIterable, Sendable {
    case weight, bias
    case runningMean = "running_mean"
    case runningVar = "running_var"

    /// The BatchNorm's step counter: in the state dict (an int64 scalar), never used.
    static let counter = "num_batches_tracked"
}

/// A tensor of the attention pool (`visual.attnpool`).
public enum AttentionPoolParameter: String, CaseIterable, Sendable {
    case positionalEmbedding = "positional_embedding"
    case qWeight = "q_proj.weight", qBias = "q_proj.bias"
    case kWeight = "k_proj.weight", kBias = "k_proj.bias"
    case vWeight = "v_proj.weight", vBias = "v_proj.bias"
    case cWeight = "c_proj.weight", cBias = "c_proj.bias"
}

/// One tensor of a ModifiedResNet image tower.
public enum ResNetParameter: Hashable, Sendable {
    /// A convolution's weight `[out, in, k, k]` (no bias: its BatchNorm has one).
    case convWeight(ResNetConv)
    /// A BatchNorm tensor `[out]` of a convolution.
    case batchNorm(ResNetConv, BatchNormField)
    /// An attention-pool tensor.
    case attentionPool(AttentionPoolParameter)

    /// The tower's convolutions in forward order: stem, then each block's conv1..3 and its
    /// downsample (first block of each stage only).
    public static func convolutions(for a: CLIPArchitecture) -> [ResNetConv] {
        var result = (1...3).map(ResNetConv.stem)
        for (index, blocks) in a.visionStages.enumerated() {
            for block in 0..<blocks {
                result += (1...3).map { ResNetConv.bottleneck(stage: index + 1, block: block, conv: $0) }
                if block == 0 { result.append(.downsample(stage: index + 1, block: 0)) }
            }
        }
        return result
    }

    /// Every tensor of `a`'s ResNet tower (none for a ViT).
    static func all(for a: CLIPArchitecture) -> [ResNetParameter] {
        guard a.isResNet else { return [] }
        let convs = convolutions(for: a).flatMap { conv in
            [ResNetParameter.convWeight(conv)] + BatchNormField.allCases.map { .batchNorm(conv, $0) }
        }
        return convs + AttentionPoolParameter.allCases.map(ResNetParameter.attentionPool)
    }

    /// The name in OpenAI's state dict.
    public var openAIName: String {
        switch self {
        case let .convWeight(conv): return conv.prefixes.conv + "weight"
        case let .batchNorm(conv, field): return conv.prefixes.batchNorm + field.rawValue
        case let .attentionPool(p): return "visual.attnpool." + p.rawValue
        }
    }

    /// Shape in OpenAI's layout.
    func shape(_ a: CLIPArchitecture) -> [Int] {
        switch self {
        case let .convWeight(conv):
            let g = conv.geometry(a)
            return [g.out, g.in, g.kernel, g.kernel]
        case let .batchNorm(conv, _):
            return [conv.geometry(a).out]
        case let .attentionPool(p):
            let c = a.resNetFeatureWidth
            switch p {
            case .positionalEmbedding: return [a.visionTokens, c]
            case .qWeight, .kWeight, .vWeight: return [c, c]
            case .qBias, .kBias, .vBias: return [c]
            case .cWeight: return [a.embedDim, c]
            case .cBias: return [a.embedDim]
            }
        }
    }

    /// The step counters (`...bn1.num_batches_tracked`) of `a`'s BatchNorms: in OpenAI's
    /// files, known, unused.
    static func counterNames(for a: CLIPArchitecture) -> [String] {
        guard a.isResNet else { return [] }
        return convolutions(for: a).map { $0.prefixes.batchNorm + BatchNormField.counter }
    }
}
