import Tensor

// The frozen CLIP parameters grouped by layer, in OpenAI's layout (Linear weights
// [out, in], projections [in, out]). Tensors may be borrowed from a read-only memory
// mapping: never write into them.

/// A LayerNorm's scale and shift, each `[width]`.
public struct LayerNormWeights {
    /// Scale (gamma).
    public let weight: Tensor
    /// Shift (beta).
    public let bias: Tensor

    /// Groups the two tensors.
    public init(weight: Tensor, bias: Tensor) {
        self.weight = weight
        self.bias = bias
    }
}

/// A Linear layer: `y = x W^T + b`.
public struct LinearWeights {
    /// `[out, in]` (PyTorch layout).
    public let weight: Tensor
    /// `[out]`, or `nil` for a layer without bias.
    public let bias: Tensor?
    /// `weight` as the layer's products read it (with a bfloat16 copy at that precision).
    public let matrix: FrozenMatrix

    /// Groups the two tensors (float32 products).
    public init(weight: Tensor, bias: Tensor?) {
        self.init(matrix: FrozenMatrix(weight), bias: bias)
    }

    private init(matrix: FrozenMatrix, bias: Tensor?) {
        self.weight = matrix.float32
        self.bias = bias
        self.matrix = matrix
    }

    /// The layer with its products at `precision`.
    public func at(_ precision: MatmulPrecision) -> LinearWeights {
        LinearWeights(matrix: FrozenMatrix(weight, precision: precision), bias: bias)
    }

    /// Number of input features.
    public var inFeatures: Int { weight.shape[1] }
    /// Number of output features.
    public var outFeatures: Int { weight.shape[0] }
}

/// One pre-norm residual attention block:
/// `x += attnOut(attention(attnIn(ln1(x))))`, then `x += proj(quick_gelu(fc(ln2(x))))`.
public struct ResidualBlockWeights {
    /// LayerNorm before attention (`ln_1`).
    public let ln1: LayerNormWeights
    /// Fused q, k, v projection (`attn.in_proj_*`): weight `[3D, D]`, rows q then k then v.
    public let attnIn: LinearWeights
    /// Attention output projection (`attn.out_proj`), `[D, D]`.
    public let attnOut: LinearWeights
    /// LayerNorm before the MLP (`ln_2`).
    public let ln2: LayerNormWeights
    /// MLP expansion (`mlp.c_fc`), `[4D, D]`.
    public let fc: LinearWeights
    /// MLP contraction (`mlp.c_proj`), `[D, 4D]`.
    public let proj: LinearWeights

    /// Groups a block's layers.
    public init(ln1: LayerNormWeights, attnIn: LinearWeights, attnOut: LinearWeights,
                ln2: LayerNormWeights, fc: LinearWeights, proj: LinearWeights) {
        self.ln1 = ln1
        self.attnIn = attnIn
        self.attnOut = attnOut
        self.ln2 = ln2
        self.fc = fc
        self.proj = proj
    }

    /// The block with its four Linear layers' products at `precision`.
    public func at(_ precision: MatmulPrecision) -> ResidualBlockWeights {
        ResidualBlockWeights(ln1: ln1, attnIn: attnIn.at(precision), attnOut: attnOut.at(precision), ln2: ln2,
                             fc: fc.at(precision), proj: proj.at(precision))
    }
}

/// The text transformer.
public struct TextTowerWeights {
    /// `[V, D]`, row = token id.
    public let tokenEmbedding: Tensor
    /// `[L, D]`, row = position.
    public let positionalEmbedding: Tensor
    /// The residual blocks, in order.
    public let blocks: [ResidualBlockWeights]
    /// Final LayerNorm.
    public let lnFinal: LayerNormWeights
    /// `[D, E]`, layout `[in, out]`: `feature = x_eot @ projection`.
    public let projection: Tensor
    /// `projection` as its products read it.
    public let projectionMatrix: FrozenMatrix

    /// Groups the text tower (float32 products).
    public init(tokenEmbedding: Tensor, positionalEmbedding: Tensor, blocks: [ResidualBlockWeights],
                lnFinal: LayerNormWeights, projection: Tensor) {
        self.init(tokenEmbedding: tokenEmbedding, positionalEmbedding: positionalEmbedding, blocks: blocks,
                  lnFinal: lnFinal, projection: FrozenMatrix(projection))
    }

    private init(tokenEmbedding: Tensor, positionalEmbedding: Tensor, blocks: [ResidualBlockWeights],
                 lnFinal: LayerNormWeights, projection: FrozenMatrix) {
        self.tokenEmbedding = tokenEmbedding
        self.positionalEmbedding = positionalEmbedding
        self.blocks = blocks
        self.lnFinal = lnFinal
        self.projection = projection.float32
        self.projectionMatrix = projection
    }

    /// The tower with every matrix product (blocks and projection) at `precision`.
    public func at(_ precision: MatmulPrecision) -> TextTowerWeights {
        TextTowerWeights(tokenEmbedding: tokenEmbedding, positionalEmbedding: positionalEmbedding,
                         blocks: blocks.map { $0.at(precision) }, lnFinal: lnFinal,
                         projection: FrozenMatrix(projection, precision: precision))
    }
}

/// The vision transformer (ViT).
public struct VisionTowerWeights {
    /// conv1 flattened to `[W, 3 p p]`; inputs ordered (channel, ky, kx), no bias.
    public let patchEmbedding: Tensor
    /// `[W]`, the class token.
    public let classEmbedding: Tensor
    /// `[G*G + 1, W]`: row 0 for the class token, then patches row-major.
    public let positionalEmbedding: Tensor
    /// LayerNorm right after adding positional embeddings.
    public let lnPre: LayerNormWeights
    /// The residual blocks, in order.
    public let blocks: [ResidualBlockWeights]
    /// LayerNorm on the class token's output.
    public let lnPost: LayerNormWeights
    /// `[W, E]`, layout `[in, out]`: `feature = ln_post(x_cls) @ projection`.
    public let projection: Tensor
    /// `patchEmbedding` and `projection` as their products read them.
    public let patchMatrix: FrozenMatrix, projectionMatrix: FrozenMatrix

    /// Groups the vision tower (float32 products).
    public init(patchEmbedding: Tensor, classEmbedding: Tensor, positionalEmbedding: Tensor, lnPre: LayerNormWeights,
                blocks: [ResidualBlockWeights], lnPost: LayerNormWeights, projection: Tensor) {
        self.init(patch: FrozenMatrix(patchEmbedding), classEmbedding: classEmbedding,
                  positionalEmbedding: positionalEmbedding, lnPre: lnPre, blocks: blocks, lnPost: lnPost,
                  projection: FrozenMatrix(projection))
    }

    private init(patch: FrozenMatrix, classEmbedding: Tensor, positionalEmbedding: Tensor, lnPre: LayerNormWeights,
                 blocks: [ResidualBlockWeights], lnPost: LayerNormWeights, projection: FrozenMatrix) {
        self.patchEmbedding = patch.float32
        self.classEmbedding = classEmbedding
        self.positionalEmbedding = positionalEmbedding
        self.lnPre = lnPre
        self.blocks = blocks
        self.lnPost = lnPost
        self.projection = projection.float32
        self.patchMatrix = patch
        self.projectionMatrix = projection
    }

    /// The tower with every matrix product (patch embedding, blocks, projection) at `precision`.
    public func at(_ precision: MatmulPrecision) -> VisionTowerWeights {
        VisionTowerWeights(patch: FrozenMatrix(patchEmbedding, precision: precision), classEmbedding: classEmbedding,
                           positionalEmbedding: positionalEmbedding, lnPre: lnPre,
                           blocks: blocks.map { $0.at(precision) }, lnPost: lnPost,
                           projection: FrozenMatrix(projection, precision: precision))
    }
}
