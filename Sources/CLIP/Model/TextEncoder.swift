import Tensor

/// Text-tower input packed as token rows: embeddings (without positions), the position
/// of each row in its sequence, the rows whose final states become features (the EOTs),
/// and the attention layout that groups rows into sequences.
public struct PackedText {
    public var embeddings: Tensor
    public var positions: [Int]
    public var featureRows: [Int]
    public var layout: AttentionLayout

    public init(embeddings: Tensor, positions: [Int], featureRows: [Int], layout: AttentionLayout) {
        precondition(embeddings.shape.count == 2 && embeddings.shape[0] == layout.tokens
                     && positions.count == layout.tokens, "packed text: rows do not match the layout")
        self.embeddings = embeddings; self.positions = positions
        self.featureRows = featureRows; self.layout = layout
    }
}

/// What the text encoder's forward saves so that ``TextEncoder/backward(_:tape:)`` can
/// return the gradient with respect to the input embeddings, plus the forward's working rows.
/// An inference tape (no backward) shares one activation set between all blocks.
public final class TextTape {
    var input: PackedText
    /// One activation set per block; a single shared one in an inference tape.
    let layers: [BlockActivations]
    /// The backward's buffers (nil in an inference tape).
    let grads: BlockGradients?
    /// The residual stream and the blocks' scratch, [tokens, width] each.
    let x: Tensor, scratch: Tensor
    let rows: Tensor, lnFinal: Tensor, lnMean: Tensor, lnRstd: Tensor

    init(input: PackedText, width: Int, heads: Int, layers: Int, training: Bool) {
        self.input = input
        let rounded = RoundedScratch()   // used at once by each block: one for all
        self.layers = (0..<(training ? layers : 1)).map { _ in
            BlockActivations(layout: input.layout, width: width, heads: heads, rounded: rounded)
        }
        grads = training ? BlockGradients(layout: input.layout, width: width, rounded: rounded) : nil
        let n = input.layout.tokens, k = input.featureRows.count
        x = Tensor(zeros: [n, width]); scratch = Tensor(zeros: [n, width])
        rows = Tensor(zeros: [k, width]); lnFinal = Tensor(zeros: [k, width])
        lnMean = Tensor(zeros: [k]); lnRstd = Tensor(zeros: [k])
    }

    /// Bytes held by the buffers.
    var byteCount: Int {
        layers.reduce(0) { $0 + $1.byteCount } + (grads?.byteCount ?? 0) + layers[0].rounded.byteCount
            + [x, scratch, rows, lnFinal, lnMean, lnRstd].reduce(0) { $0 + $1.byteCount }
    }

    /// Whether this tape's buffers have the sizes that `input` needs.
    func fits(_ input: PackedText, heads: Int) -> Bool {
        let l = input.layout
        return l.tokens == x.shape[0] && input.featureRows.count == rows.shape[0]
            && l.probsCount(heads: heads) == layers[0].probs.count
            && (grads.map { $0.scratch.count == l.scratchCount } ?? true)
    }
}

/// CLIP's causal text transformer: token embeddings + positions, residual blocks,
/// ln_final at the EOT rows, text projection. It takes input embeddings (CoCoOp replaces
/// the context rows) and differentiates with respect to them only.
public struct TextEncoder {
    public let weights: TextTowerWeights
    public let heads: Int
    public var width: Int { weights.positionalEmbedding.shape[1] }
    public var contextLength: Int { weights.positionalEmbedding.shape[0] }
    public var embedDim: Int { weights.projectionMatrix.shape[1] }

    /// The tape handed back by ``recycle(_:)``, kept for the next training step.
    private let trainingTapes = ReuseCache<TextTape>(capacity: 1)
    /// Small inference tapes, kept for the next call.
    private let inferenceTapes = ReuseCache<TextTape>(capacity: 2, maxBytes: 64 << 20)

    public init(weights: TextTowerWeights, heads: Int) {
        self.weights = weights
        self.heads = heads
    }

    // MARK: - Token ids

    /// Token embeddings of `ids` (rows of the embedding table), shape [ids.count, width].
    public func embed(_ ids: [Int32]) -> Tensor {
        let d = width, out = Tensor(zeros: [ids.count, d]), rows = weights.tokenEmbedding.shape[0]
        for (i, id) in ids.enumerated() {
            // CLIPModel.tokenizer() checks the table against the tokeniser; this is the backstop.
            precondition(id >= 0 && Int(id) < rows, "token id \(id) outside token_embedding.weight's \(rows) rows")
            (out.data + i * d).update(from: weights.tokenEmbedding.data + Int(id) * d, count: d)
        }
        return out
    }

    /// The EOT position of a tokenised text: the first occurrence of its largest id
    /// (OpenAI's `argmax`; the EOT id 49407 is the largest in the vocabulary).
    public static func eotIndex(_ ids: [Int32]) -> Int {
        ids.isEmpty ? 0 : ids.withUnsafeBufferPointer { argmax($0.baseAddress!, $0.count) }
    }

    /// Features (projected, not normalised) of tokenised texts (padded context rows).
    /// Each sequence is cut after its EOT: under the causal mask nothing later reaches the
    /// EOT row, so the result equals that of the full context.
    public func encode(tokens: [[Int32]]) -> Tensor {
        let eots = tokens.map(Self.eotIndex)
        let t = (eots.max() ?? 0) + 1
        var ids: [Int32] = [], positions: [Int] = []
        for row in tokens {
            ids += row.prefix(t) + [Int32](repeating: 0, count: max(0, t - row.count))
            positions += Array(0..<t)
        }
        let input = PackedText(embeddings: embed(ids), positions: positions,
                               featureRows: eots.enumerated().map { $0.offset * t + $0.element },
                               layout: UniformSequences(batch: tokens.count, length: t, causal: true))
        return forward(input, tape: nil)
    }

    // MARK: - Packed embeddings

    /// A tape sized for `input`, to pass to ``forward(_:tape:)`` before a backward: the one
    /// last handed to ``recycle(_:)`` when its buffers fit (training repeats its shapes), else
    /// a new one.
    public func makeTape(for input: PackedText) -> TextTape {
        let blocks = weights.blocks.count
        if let tape = trainingTapes.take(where: { $0.layers.count == blocks && $0.fits(input, heads: heads) }) {
            tape.input = input
            return tape
        }
        return TextTape(input: input, width: width, heads: heads, layers: blocks, training: true)
    }

    /// Hands a tape back for the next ``makeTape(for:)``; do not use it afterwards.
    public func recycle(_ tape: TextTape) {
        if tape.grads != nil { trainingTapes.put(tape, bytes: tape.byteCount) }
    }

    /// Frees the buffers kept for later calls (a training tape is as large as a training
    /// step's activations; evaluation calls this before it allocates its own).
    public func releaseCachedBuffers() {
        trainingTapes.removeAll()
        inferenceTapes.removeAll()
    }

    /// Features [K, E] at the `featureRows` of the packed input. With a tape (made for
    /// this input) the activations are saved for ``backward(_:tape:)``.
    public func forward(_ input: PackedText, tape: TextTape?) -> Tensor {
        let n = input.layout.tokens, d = width, k = input.featureRows.count
        let work: TextTape
        if let tape {
            precondition(tape.grads != nil && tape.fits(input, heads: heads), "text tape made for another input")
            tape.input = input
            work = tape
        } else {
            work = inferenceTapes.take { $0.fits(input, heads: heads) }
                ?? TextTape(input: input, width: d, heads: heads, layers: 1, training: false)
            work.input = input
        }
        defer { if tape == nil { inferenceTapes.put(work, bytes: work.byteCount) } }
        let x = work.x
        for r in 0..<n {
            let p = input.positions[r]
            precondition(p >= 0 && p < contextLength, "position \(p) outside the context")
            residualForward(out: x.data + r * d, a: input.embeddings.data + r * d,
                            b: weights.positionalEmbedding.data + p * d, n: d)
        }
        for (l, block) in weights.blocks.enumerated() {
            block.forward(x.data, layout: input.layout, heads: heads,
                          act: work.layers[min(l, work.layers.count - 1)], scratch: work.scratch.data,
                          saveForBackward: tape != nil)
        }
        for (i, r) in input.featureRows.enumerated() {
            (work.rows.data + i * d).update(from: x.data + r * d, count: d)
        }
        layerNormForward(out: work.lnFinal.data, mean: work.lnMean.data, rstd: work.lnRstd.data,
                         inp: work.rows.data, weight: weights.lnFinal.weight.data,
                         bias: weights.lnFinal.bias.data, n: k, c: d)
        let features = Tensor(zeros: [k, embedDim])
        projectionForward(out: features.data, inp: work.lnFinal.data, proj: weights.projectionMatrix,
                          n: k, inFeatures: d, outFeatures: embedDim)
        return features
    }

    /// The gradient [N, D] with respect to the input embeddings, given the gradient of the
    /// features [K, E] of the forward that filled `tape`. (Positional embeddings are
    /// constants added to the input: the gradient passes through unchanged.)
    public func backward(_ dFeatures: Tensor, tape: TextTape) -> Tensor {
        let input = tape.input, n = input.layout.tokens, d = width
        let k = input.featureRows.count
        let dln = Tensor(zeros: [k, d]), drows = Tensor(zeros: [k, d])
        projectionBackward(dinp: dln.data, dout: dFeatures.data, proj: weights.projectionMatrix,
                           n: k, inFeatures: d, outFeatures: embedDim)
        layerNormBackward(dinp: drows.data, dweight: nil, dbias: nil, dout: dln.data,
                          inp: tape.rows.data, weight: weights.lnFinal.weight.data,
                          mean: tape.lnMean.data, rstd: tape.lnRstd.data, n: k, c: d)
        let dx = Tensor(zeros: [n, d])
        for (i, r) in input.featureRows.enumerated() {
            axpy(d, x: drows.data + i * d, y: dx.data + r * d)
        }
        guard let grads = tape.grads else { preconditionFailure("backward needs a tape from makeTape(for:)") }
        for (l, block) in weights.blocks.enumerated().reversed() {
            block.backward(dx.data, layout: input.layout, heads: heads, act: tape.layers[l], grads: grads)
        }
        return dx
    }
}
