import CLIP
import Tensor

/// CoCoOp (Zhou et al., CVPR 2022): M learnable context vectors shifted, per image, by
/// the Meta-Net's output pi = h(z) of the normalised image feature z, in front of every
/// class name; logits are exp(logit_scale) * cos(z, text feature). Only the context and
/// the Meta-Net train; CLIP is frozen.
public final class CoCoOp {
    public let clip: CLIPModel
    public let prompts: ClassPrompts
    public let template: PromptTemplate
    /// `ctx` [M, D] then the Meta-Net's four tensors.
    public let layout: ParameterLayout
    /// The fast shared-prefix path by default; `.padded(77)` runs the reference's computation.
    public var execution: PromptExecution = .sharedPrefix
    let metaNet: MetaNet

    public init(clip: CLIPModel, prompts: ClassPrompts) {
        self.clip = clip
        self.prompts = prompts
        let d = clip.text.width, e = clip.text.embedDim
        metaNet = MetaNet(inFeatures: e, hidden: e / 16, outFeatures: d)
        layout = ParameterLayout([("ctx", [prompts.nCtx, d])] + metaNet.entries)
        let sot = prompts.tokenized.first?.first ?? 49406
        template = PromptTemplate(prefix: [.fixed(sot)] + (0..<prompts.nCtx).map { .context($0) },
                                  suffixes: prompts.suffixIDs.map { $0.map { .fixed($0) } })
    }

    /// Initial parameters: the context from CTX_INIT's embeddings (or N(0, 0.02^2)), the
    /// Meta-Net with PyTorch's default Linear initialisation, all drawn from `seed`.
    public func initialParameters(seed: UInt64, tokenizer: CLIPTokenizer) throws -> ParameterBuffer {
        let p = ParameterBuffer(layout: layout)
        var rng = ParameterRNG(seed: seed)
        if prompts.initialisedFromText {
            let c = try prompts.initialContext(tokenizer: tokenizer, text: clip.text)
            p["ctx"].data.update(from: c.data, count: c.count)
        } else {
            rng.fillNormal(p["ctx"], std: 0.02)
        }
        rng.fillLinearDefault(weight: p[MetaNet.names[0]], bias: p[MetaNet.names[1]])
        rng.fillLinearDefault(weight: p[MetaNet.names[2]], bias: p[MetaNet.names[3]])
        return p
    }

    // MARK: - Training step

    /// Token rows one forward/backward pass may hold: a local batch whose prompts need more
    /// is processed a few images at a time. Each image's loss depends only on its own
    /// prompts, so the accumulated gradient is the same; memory stays bounded (at the
    /// default, about 1.6 GB of saved activations in ViT-B/16's 12-layer text tower).
    public var maxRowsPerPass = 4096

    /// Forward and, when `grads` is given, backward over a local batch: accumulates
    /// `gradScale * d(sum of per-sample losses)` into `grads` (pass 1 / global batch size
    /// so that the all-reduced sum is the gradient of the global mean loss).
    /// - Parameters: imageFeatures [B, E] from the image encoder (not normalised); labels [B].
    public func step(imageFeatures f: Tensor, labels: [Int32], params: ParameterBuffer,
                     grads: ParameterBuffer?, gradScale: Float = 1) -> BatchStats {
        let b = f.shape[0], rowsPerImage = template.prefix.count + template.suffixes.reduce(0) { $0 + $1.count }
        let perPass = max(1, maxRowsPerPass / max(rowsPerImage, 1))
        if b <= perPass {
            return stepPass(imageFeatures: f, labels: labels, params: params, grads: grads, gradScale: gradScale)
        }
        let nCls = prompts.classnames.count
        var total = BatchStats(lossSum: 0, correct: 0, count: 0, logits: Tensor(zeros: [b, nCls]))
        for first in stride(from: 0, to: b, by: perPass) {
            let images = first..<min(b, first + perPass)
            let part = stepPass(imageFeatures: f.rows(images), labels: Array(labels[images]), params: params,
                                grads: grads, gradScale: gradScale)
            total.lossSum += part.lossSum
            total.correct += part.correct
            total.count += part.count
            (total.logits.data + first * nCls).update(from: part.logits.data, count: part.logits.count)
        }
        return total
    }

    /// ``step(imageFeatures:labels:params:grads:gradScale:)`` over images packed in one pass.
    func stepPass(imageFeatures f: Tensor, labels: [Int32], params: ParameterBuffer,
                  grads: ParameterBuffer?, gradScale: Float) -> BatchStats {
        let b = f.shape[0], m = prompts.nCtx, d = clip.text.width, e = clip.text.embedDim
        let nCls = prompts.classnames.count
        let (z, _) = normalizeRows(f)
        let (pi, metaAct) = metaNet.forward(z, params: params)
        let shifted = shiftedContexts(params["ctx"], pi: pi)
        let packed = template.pack(classes: Array(0..<nCls),
                                   tables: (0..<b).map { UnsafePointer(shifted.data + $0 * m * d) },
                                   encoder: clip.text, execution: execution)
        let tape = grads == nil ? nil : clip.text.makeTape(for: packed.text)
        let t = clip.text.forward(packed.text, tape: tape)          // [B*C, E], b-major
        let (w, norms) = normalizeRows(t)
        let scale = clip.logitScaleExp
        let logits = Tensor(zeros: [b, nCls])
        for i in 0..<b {
            gemm(.none, .transpose, m: 1, n: nCls, k: e, alpha: scale, a: z.data + i * e, lda: e,
                 b: w.data + i * nCls * e, ldb: e, c: logits.data + i * nCls, ldc: nCls)
        }
        let (losses, probs, correct) = crossEntropy(logits, labels: labels)
        let stats = BatchStats(lossSum: losses.array.reduce(0) { $0 + Double($1) }, correct: correct,
                               count: b, logits: logits)
        guard let grads, let tape else { return stats }

        // Backward: logits -> normalised text features -> text features -> prompt rows.
        let dlogits = Tensor(zeros: [b, nCls])
        let dloss = [Float](repeating: gradScale, count: b)
        crossEntropyBackward(dlogits: dlogits.data, dloss: dloss, probs: probs.data, labels: labels,
                             n: b, c: nCls)
        let dw = Tensor(zeros: [b * nCls, e])
        for i in 0..<b {   // dw[i, c] = scale * dlogits[i, c] * z_i
            gemm(.transpose, .none, m: nCls, n: e, k: 1, alpha: scale, a: dlogits.data + i * nCls,
                 lda: nCls, b: z.data + i * e, ldb: e, c: dw.data + i * nCls * e, ldc: e)
        }
        let dt = Tensor(zeros: [b * nCls, e])
        l2NormalizeBackward(dinp: dt.data, dout: dw.data, out: w.data, norm: norms.data, n: b * nCls, c: e)
        let dx = clip.text.backward(dt, tape: tape)
        clip.text.recycle(tape)   // its buffers serve the next step
        // Context rows: dctx += every copy's gradient; dpi[b] = sum over that image's rows.
        let dctx = grads["ctx"], dpi = Tensor(zeros: [b, d])
        for (row, group, k) in packed.contextRows {
            let g = dx.data + row * d
            axpy(d, x: g, y: dctx.data + k * d)
            axpy(d, x: g, y: dpi.data + group * d)
        }
        metaNet.backward(dpi, act: metaAct, params: params, grads: grads)
        return stats
    }

    // MARK: - Evaluation

    /// Logits [B, C] for evaluation. Each text-encoder pass holds at most `classChunk`
    /// (image, class) prompts — several images when the classes are few, one image and a
    /// slice of the classes when they are many — so memory stays bounded for 1,000 classes
    /// and evaluation batches of 100 images (the text tape kept for training steps is freed first).
    public func logits(imageFeatures f: Tensor, params: ParameterBuffer, classChunk: Int = 256) -> Tensor {
        clip.text.releaseCachedBuffers()   // the training tape: evaluation needs its own memory
        let b = f.shape[0], m = prompts.nCtx, d = clip.text.width, e = clip.text.embedDim
        let nCls = prompts.classnames.count
        let (z, _) = normalizeRows(f)
        let (pi, _) = metaNet.forward(z, params: params)
        let shifted = shiftedContexts(params["ctx"], pi: pi)
        let logits = Tensor(zeros: [b, nCls])
        let chunk = max(1, min(classChunk, nCls)), imagesPerPass = max(1, classChunk / max(nCls, 1))
        for first in stride(from: 0, to: b, by: imagesPerPass) {
            let images = first..<min(b, first + imagesPerPass)
            for start in stride(from: 0, to: nCls, by: chunk) {
                let classes = Array(start..<min(nCls, start + chunk))
                let packed = template.pack(classes: classes,
                                           tables: images.map { UnsafePointer(shifted.data + $0 * m * d) },
                                           encoder: clip.text, execution: execution)
                let (w, _) = normalizeRows(clip.text.forward(packed.text, tape: nil))
                for (j, i) in images.enumerated() {
                    gemm(.none, .transpose, m: 1, n: classes.count, k: e, alpha: clip.logitScaleExp,
                         a: z.data + i * e, lda: e, b: w.data + j * classes.count * e, ldb: e,
                         c: logits.data + i * nCls + start, ldc: nCls)
                }
            }
        }
        return logits
    }

    /// ctx + pi_b for every image: [B, M, D].
    func shiftedContexts(_ ctx: Tensor, pi: Tensor) -> Tensor {
        let b = pi.shape[0], m = ctx.shape[0], d = ctx.shape[1]
        let out = Tensor(zeros: [b, m, d])
        for i in 0..<b {
            for k in 0..<m {
                residualForward(out: out.data + (i * m + k) * d, a: ctx.data + k * d,
                                b: pi.data + i * d, n: d)
            }
        }
        return out
    }
}
