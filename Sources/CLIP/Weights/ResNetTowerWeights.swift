import Tensor

// The frozen ModifiedResNet image tower, prepared at load for the NHWC GEMM convolutions
// (Tensor/Kernels/Convolution.swift): every BatchNorm folded into the convolution before it,
// weights reordered to (out, ky, kx, in), the attention pool's key and value projections
// stacked into one GEMM. These tensors are owned copies, not views of the file.

/// A convolution with its eval-mode BatchNorm folded in: `y = conv(x, weight) + bias`.
public struct FoldedConvolution {
    /// `[out, k * k * in]`: PyTorch's `[out, in, k, k]` times the BatchNorm scale, each row
    /// ordered (ky, kx, in).
    public let weight: Tensor
    /// `[out]`: the BatchNorm's shift minus its scaled running mean.
    public let bias: Tensor
    /// Kernel side (1 or 3).
    public let kernel: Int
    /// Input channels.
    public let inChannels: Int
    /// `weight` as the convolution's products read it (with a bfloat16 copy at that precision).
    public let matrix: FrozenMatrix

    /// Output channels.
    public var outChannels: Int { bias.count }

    /// The convolution with its products at `precision` (a bfloat16 copy of the weight made
    /// here; the float32 one kept).
    public func at(_ precision: MatmulPrecision) -> FoldedConvolution {
        FoldedConvolution(weight: weight, bias: bias, kernel: kernel, inChannels: inChannels,
                          matrix: FrozenMatrix(weight, precision: precision))
    }

    private init(weight: Tensor, bias: Tensor, kernel: Int, inChannels: Int, matrix: FrozenMatrix) {
        self.weight = weight; self.bias = bias; self.kernel = kernel; self.inChannels = inChannels
        self.matrix = matrix
    }

    /// BatchNorm's epsilon in `nn.BatchNorm2d` (what OpenAI's models use).
    public static let batchNormEpsilon = 1e-5

    /// Folds the BatchNorm `(weight, bias, runningMean, runningVar)` into `conv`
    /// (`[out, in, k, k]`): with s = weight / sqrt(runningVar + eps), the folded weight is
    /// s[o] conv[o] and the bias is bias - s runningMean (computed in Double, stored as Float).
    public init(conv: Tensor, batchNorm bn: [BatchNormField: Tensor]) {
        let out = conv.shape[0], inputs = conv.shape[1], k = conv.shape[2]
        let w = Tensor(zeros: [out, k * k * inputs]), b = Tensor(zeros: [out])
        let gamma = bn[.weight]!, beta = bn[.bias]!, mean = bn[.runningMean]!, variance = bn[.runningVar]!
        for o in 0..<out {
            let scale = Double(gamma.data[o]) / (Double(variance.data[o]) + Self.batchNormEpsilon).squareRoot()
            b.data[o] = Float(Double(beta.data[o]) - scale * Double(mean.data[o]))
            for c in 0..<inputs {
                for ky in 0..<k {
                    for kx in 0..<k {
                        let source = ((o * inputs + c) * k + ky) * k + kx, target = (ky * k + kx) * inputs + c
                        w.data[o * k * k * inputs + target] = Float(scale * Double(conv.data[source]))
                    }
                }
            }
        }
        weight = w; bias = b; kernel = k; inChannels = inputs
        matrix = FrozenMatrix(w)
    }
}

/// One Bottleneck block: conv1 1x1 -> ReLU -> conv2 3x3 -> ReLU -> AvgPool(stride) ->
/// conv3 1x1, plus the identity (or `downsample`: AvgPool(stride) -> 1x1), then ReLU.
public struct BottleneckWeights {
    public let conv1: FoldedConvolution, conv2: FoldedConvolution, conv3: FoldedConvolution
    /// The identity branch's convolution when the block changes size or channels.
    public let downsample: FoldedConvolution?
    /// 2 for the first block of stages 2-4 (both branches average-pool 2x2), else 1.
    public let stride: Int
}

/// The attention pool: the mean of the last map's cells, prepended to them, plus
/// positions; multi-head attention with the mean token as the only query; c_proj.
public struct AttentionPoolWeights {
    /// `[G*G + 1, C]`: row 0 for the mean token, then the cells row-major.
    public let positionalEmbedding: Tensor
    /// q_proj, `[C, C]` with bias.
    public let query: LinearWeights
    /// k_proj's rows then v_proj's, `[2C, C]` with bias `[2C]`: one GEMM for both.
    public let keyValue: LinearWeights
    /// c_proj, `[E, C]` with bias: the image feature.
    public let output: LinearWeights
    /// Attention heads.
    public let heads: Int
}

/// OpenAI's ModifiedResNet (clip/model.py) as the encoder runs it.
public struct ResNetTowerWeights {
    /// The three stem convolutions (3x3; the first with stride 2), each followed by ReLU;
    /// then a 2x2 average pool.
    public let stem: [FoldedConvolution]
    /// The Bottleneck blocks of `visual.layer1` ... `layer4`.
    public let stages: [[BottleneckWeights]]
    /// `visual.attnpool`.
    public let attentionPool: AttentionPoolWeights

    /// Builds the tower of `architecture` from its tensors in OpenAI's layout; `tensor` is
    /// asked for each once and its result can be dropped after the call (folded copies stay).
    fileprivate init(stem: [FoldedConvolution], stages: [[BottleneckWeights]], attentionPool: AttentionPoolWeights) {
        self.stem = stem; self.stages = stages; self.attentionPool = attentionPool
    }

    init(architecture a: CLIPArchitecture, tensor: (ResNetParameter) throws -> Tensor) throws {
        func folded(_ conv: ResNetConv) throws -> FoldedConvolution {
            var bn: [BatchNormField: Tensor] = [:]
            for field in BatchNormField.allCases { bn[field] = try tensor(.batchNorm(conv, field)) }
            return FoldedConvolution(conv: try tensor(.convWeight(conv)), batchNorm: bn)
        }
        stem = try (1...3).map { try folded(.stem($0)) }
        stages = try a.visionStages.enumerated().map { index, blocks in
            let stage = index + 1
            return try (0..<blocks).map { block in
                BottleneckWeights(
                    conv1: try folded(.bottleneck(stage: stage, block: block, conv: 1)),
                    conv2: try folded(.bottleneck(stage: stage, block: block, conv: 2)),
                    conv3: try folded(.bottleneck(stage: stage, block: block, conv: 3)),
                    downsample: block == 0 ? try folded(.downsample(stage: stage, block: 0)) : nil,
                    stride: stage > 1 && block == 0 ? 2 : 1)
            }
        }
        func p(_ name: AttentionPoolParameter) throws -> Tensor { try tensor(.attentionPool(name)) }
        let c = a.resNetFeatureWidth
        let kv = Tensor(zeros: [2 * c, c]), kvBias = Tensor(zeros: [2 * c])
        for (index, (weight, bias)) in [(AttentionPoolParameter.kWeight, AttentionPoolParameter.kBias),
                                        (.vWeight, .vBias)].enumerated() {
            let w = try p(weight), b = try p(bias)  // held: they may be converted copies
            withExtendedLifetime((w, b)) {
                (kv.data + index * c * c).update(from: w.data, count: c * c)
                (kvBias.data + index * c).update(from: b.data, count: c)
            }
        }
        attentionPool = AttentionPoolWeights(
            positionalEmbedding: try p(.positionalEmbedding),
            query: LinearWeights(weight: try p(.qWeight), bias: try p(.qBias)),
            keyValue: LinearWeights(weight: kv, bias: kvBias),
            output: LinearWeights(weight: try p(.cWeight), bias: try p(.cBias)),
            heads: a.visionHeads)
    }
}

// MARK: - Precision

extension BottleneckWeights {
    /// The block with its convolutions' products at `precision`.
    func at(_ precision: MatmulPrecision) -> BottleneckWeights {
        BottleneckWeights(conv1: conv1.at(precision), conv2: conv2.at(precision), conv3: conv3.at(precision),
                          downsample: downsample?.at(precision), stride: stride)
    }
}

extension AttentionPoolWeights {
    /// The pool with its key/value and output products at `precision` (the query's stays
    /// float32: one row per image).
    func at(_ precision: MatmulPrecision) -> AttentionPoolWeights {
        AttentionPoolWeights(positionalEmbedding: positionalEmbedding, query: query,
                             keyValue: keyValue.at(precision), output: output.at(precision), heads: heads)
    }
}

extension ResNetTowerWeights {
    /// The tower with every convolution's and the attention pool's products at `precision`
    /// (bfloat16 copies made here, the float32 weights kept).
    public func at(_ precision: MatmulPrecision) -> ResNetTowerWeights {
        ResNetTowerWeights(stem: stem.map { $0.at(precision) }, stages: stages.map { $0.map { $0.at(precision) } },
                           attentionPool: attentionPool.at(precision))
    }
}
