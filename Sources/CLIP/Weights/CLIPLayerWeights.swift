import Tensor

// The frozen CLIP parameters grouped by layer, in OpenAI's layout (Linear weights
// [out, in], projections [in, out]). Tensors may be borrowed from a read-only memory
// mapping: never write into them. Weights loaded at bfloat16 keep their matrices (Linear
// weights, patch embedding, projections) in bfloat16 only: see ``FrozenMatrix``.

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
    /// `[out]`, or `nil` for a layer without bias.
    public let bias: Tensor?
    /// The weight `[out, in]` as the layer's products read it (float32, bfloat16 or both).
    public let matrix: FrozenMatrix

    /// `[out, in]` (PyTorch layout) in float32: for weights kept in bfloat16 only, a widened
    /// copy made on each call (see ``FrozenMatrix/float32OrWidened``).
    public var weight: Tensor { matrix.float32OrWidened }

    /// Groups the two tensors (float32 products).
    public init(weight: Tensor, bias: Tensor?) {
        self.init(matrix: FrozenMatrix(weight), bias: bias)
    }

    /// Groups a weight matrix as its products read it and a bias.
    public init(matrix: FrozenMatrix, bias: Tensor?) {
        self.bias = bias
        self.matrix = matrix
    }

    /// The layer with its products at `precision`: float32 weights converted to a bfloat16
    /// copy (both kept), or self when the matrix already has what `precision` reads.
    public func at(_ precision: MatmulPrecision) -> LinearWeights {
        LinearWeights(matrix: matrix.at(precision), bias: bias)
    }

    /// Number of input features.
    public var inFeatures: Int { matrix.shape[1] }
    /// Number of output features.
    public var outFeatures: Int { matrix.shape[0] }
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
    /// `projection` (`[D, E]`, layout `[in, out]`: `feature = x_eot @ projection`) as its
    /// products read it.
    public let projectionMatrix: FrozenMatrix

    /// `[D, E]` in float32 (a widened copy per call for weights kept in bfloat16 only).
    public var projection: Tensor { projectionMatrix.float32OrWidened }

    /// Groups the text tower (float32 products).
    public init(tokenEmbedding: Tensor, positionalEmbedding: Tensor, blocks: [ResidualBlockWeights],
                lnFinal: LayerNormWeights, projection: Tensor) {
        self.init(tokenEmbedding: tokenEmbedding, positionalEmbedding: positionalEmbedding, blocks: blocks,
                  lnFinal: lnFinal, projection: FrozenMatrix(projection))
    }

    /// Groups the text tower, its projection as its products read it.
    public init(tokenEmbedding: Tensor, positionalEmbedding: Tensor, blocks: [ResidualBlockWeights],
                lnFinal: LayerNormWeights, projection: FrozenMatrix) {
        self.tokenEmbedding = tokenEmbedding
        self.positionalEmbedding = positionalEmbedding
        self.blocks = blocks
        self.lnFinal = lnFinal
        self.projectionMatrix = projection
    }

    /// The tower with every matrix product (blocks and projection) at `precision`.
    public func at(_ precision: MatmulPrecision) -> TextTowerWeights {
        TextTowerWeights(tokenEmbedding: tokenEmbedding, positionalEmbedding: positionalEmbedding,
                         blocks: blocks.map { $0.at(precision) }, lnFinal: lnFinal,
                         projection: projectionMatrix.at(precision))
    }
}

/// The vision transformer (ViT).
public struct VisionTowerWeights {
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
    /// `patchEmbedding` and `projection` as their products read them.
    public let patchMatrix: FrozenMatrix, projectionMatrix: FrozenMatrix

    /// conv1 flattened to `[W, 3 p p]`; inputs ordered (channel, ky, kx), no bias. float32 (a
    /// widened copy per call for weights kept in bfloat16 only).
    public var patchEmbedding: Tensor { patchMatrix.float32OrWidened }
    /// `[W, E]`, layout `[in, out]`: `feature = ln_post(x_cls) @ projection` (float32, as
    /// ``patchEmbedding``).
    public var projection: Tensor { projectionMatrix.float32OrWidened }

    /// Groups the vision tower (float32 products).
    public init(patchEmbedding: Tensor, classEmbedding: Tensor, positionalEmbedding: Tensor, lnPre: LayerNormWeights,
                blocks: [ResidualBlockWeights], lnPost: LayerNormWeights, projection: Tensor) {
        self.init(patch: FrozenMatrix(patchEmbedding), classEmbedding: classEmbedding,
                  positionalEmbedding: positionalEmbedding, lnPre: lnPre, blocks: blocks, lnPost: lnPost,
                  projection: FrozenMatrix(projection))
    }

    /// Groups the vision tower, the patch embedding and projection as their products read them.
    public init(patch: FrozenMatrix, classEmbedding: Tensor, positionalEmbedding: Tensor, lnPre: LayerNormWeights,
                blocks: [ResidualBlockWeights], lnPost: LayerNormWeights, projection: FrozenMatrix) {
        self.classEmbedding = classEmbedding
        self.positionalEmbedding = positionalEmbedding
        self.lnPre = lnPre
        self.blocks = blocks
        self.lnPost = lnPost
        self.patchMatrix = patch
        self.projectionMatrix = projection
    }

    /// The tower with every matrix product (patch embedding, blocks, projection) at `precision`.
    public func at(_ precision: MatmulPrecision) -> VisionTowerWeights {
        VisionTowerWeights(patch: patchMatrix.at(precision), classEmbedding: classEmbedding,
                           positionalEmbedding: positionalEmbedding, lnPre: lnPre,
                           blocks: blocks.map { $0.at(precision) }, lnPost: lnPost,
                           projection: projectionMatrix.at(precision))
    }
}

extension FrozenMatrix {
    /// The matrix for products at `precision`: self when it has what they read, else float32
    /// weights with a bfloat16 copy. Float32 products of a matrix kept in bfloat16 only need
    /// the weights file (``CLIPWeights/at(_:cache:)``), not this.
    func at(_ precision: MatmulPrecision) -> FrozenMatrix {
        switch precision {
        case .bfloat16:
            if bfloat16 != nil { return self }
            return FrozenMatrix(float32!, precision: .bfloat16)
        case .float32:
            guard let float32 else {
                preconditionFailure("float32 products of weights kept in bfloat16 only: reload them (CLIPWeights.at)")
            }
            return bfloat16 == nil ? self : FrozenMatrix(float32)
        }
    }
}
