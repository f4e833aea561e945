import CLIP
import Tensor

/// Where CoOp puts the class-name tokens relative to the context (CLASS_TOKEN_POSITION).
public enum ClassTokenPosition: String, Sendable, CaseIterable {
    case end, middle, front
}

/// CoOp (Zhou et al., IJCV 2022): M learnable context vectors, shared by all classes or
/// class-specific (CSC), around each class name; one set of text features for all images.
public final class CoOp {
    public let clip: CLIPModel
    public let prompts: ClassPrompts
    public let classSpecific: Bool
    public let position: ClassTokenPosition
    public let template: PromptTemplate
    /// `ctx` [M, D], or [C, M, D] with class-specific context.
    public let layout: ParameterLayout
    public var execution: PromptExecution = .sharedPrefix

    /// Builds the prompt template for `position` (CLASS_TOKEN_POSITION), with shared or
    /// class-specific context.
    /// - Parameters:
    ///   - tokenizer: encodes each class name to count its BPE tokens (the reference's
    ///     `name_lens`), which the middle and front positions need.
    public init(clip: CLIPModel, prompts: ClassPrompts, classSpecific: Bool,
                position: ClassTokenPosition, tokenizer: CLIPTokenizer) {
        self.clip = clip; self.prompts = prompts
        self.classSpecific = classSpecific; self.position = position
        let m = prompts.nCtx, d = clip.text.width, nCls = prompts.classnames.count
        layout = ParameterLayout([("ctx", classSpecific ? [nCls, m, d] : [m, d])])
        let sot = prompts.tokenized.first?.first ?? 49406
        let half = m / 2
        // Context row k of class c in the [K, D] table.
        func ctx(_ c: Int, _ range: Range<Int>) -> [PromptToken] {
            range.map { .context(classSpecific ? c * m + $0 : $0) }
        }
        var prefix: [PromptToken] = [.fixed(sot)]
        if !classSpecific {
            switch position {
            case .end: prefix += ctx(0, 0..<m)
            case .middle: prefix += ctx(0, 0..<half)
            case .front: break
            }
        }
        var suffixes: [[PromptToken]] = []
        for (c, ids) in prompts.suffixIDs.enumerated() {
            let fixed = ids.map { PromptToken.fixed($0) }
            let nameLen = min(tokenizer.encode(prompts.classnames[c]).count, fixed.count - 1)
            let name = Array(fixed[..<nameLen]), rest = Array(fixed[nameLen...])
            switch (position, classSpecific) {
            case (.end, false): suffixes.append(fixed)
            case (.end, true): suffixes.append(ctx(c, 0..<m) + fixed)
            case (.middle, false): suffixes.append(name + ctx(c, half..<m) + rest)
            case (.middle, true): suffixes.append(ctx(c, 0..<half) + name + ctx(c, half..<m) + rest)
            case (.front, _): suffixes.append(name + ctx(c, 0..<m) + rest)
            }
        }
        template = PromptTemplate(prefix: prefix, suffixes: suffixes)
    }

    /// Initial context: CTX_INIT's embeddings (copied to every class with CSC) or N(0, 0.02^2).
    public func initialParameters(seed: UInt64, tokenizer: CLIPTokenizer) throws -> ParameterBuffer {
        let p = ParameterBuffer(layout: layout)
        let ctx = p["ctx"]
        if prompts.initialisedFromText {
            let c = try prompts.initialContext(tokenizer: tokenizer, text: clip.text)
            for start in stride(from: 0, to: ctx.count, by: c.count) {
                (ctx.data + start).update(from: c.data, count: c.count)
            }
        } else {
            var rng = ParameterRNG(seed: seed)
            rng.fillNormal(ctx, std: 0.02)
        }
        return p
    }

    /// Forward (and backward when `grads` is given) over a local batch; see ``CoCoOp/step``.
    public func step(imageFeatures f: Tensor, labels: [Int32], params: ParameterBuffer,
                     grads: ParameterBuffer?, gradScale: Float = 1) -> BatchStats {
        let b = f.shape[0], d = clip.text.width, e = clip.text.embedDim
        let nCls = prompts.classnames.count, scale = clip.logitScaleExp
        let (z, _) = normalizeRows(f)
        let packed = template.pack(classes: Array(0..<nCls), tables: [UnsafePointer(params["ctx"].data)],
                                   encoder: clip.text, execution: execution)
        let tape = grads == nil ? nil : clip.text.makeTape(for: packed.text)
        let (w, norms) = normalizeRows(clip.text.forward(packed.text, tape: tape))
        let logits = Tensor(zeros: [b, nCls])
        gemm(.none, .transpose, m: b, n: nCls, k: e, alpha: scale, a: z.data, lda: e,
             b: w.data, ldb: e, c: logits.data, ldc: nCls)
        let (losses, probs, correct) = crossEntropy(logits, labels: labels)
        let stats = BatchStats(lossSum: losses.array.reduce(0) { $0 + Double($1) }, correct: correct,
                               count: b, logits: logits)
        guard let grads, let tape else { return stats }
        let dlogits = Tensor(zeros: [b, nCls])
        crossEntropyBackward(dlogits: dlogits.data, dloss: [Float](repeating: gradScale, count: b),
                             probs: probs.data, labels: labels, n: b, c: nCls)
        let dw = Tensor(zeros: [nCls, e]), dt = Tensor(zeros: [nCls, e])
        gemm(.transpose, .none, m: nCls, n: e, k: b, alpha: scale, a: dlogits.data, lda: nCls,
             b: z.data, ldb: e, c: dw.data, ldc: e)
        l2NormalizeBackward(dinp: dt.data, dout: dw.data, out: w.data, norm: norms.data, n: nCls, c: e)
        let dx = clip.text.backward(dt, tape: tape)
        clip.text.recycle(tape)   // its buffers serve the next step
        let dctx = grads["ctx"]
        for (row, _, k) in packed.contextRows {
            axpy(d, x: dx.data + row * d, y: dctx.data + k * d)
        }
        return stats
    }

    /// Logits [B, C] for evaluation (the text features do not depend on the image).
    public func logits(imageFeatures f: Tensor, params: ParameterBuffer) -> Tensor {
        step(imageFeatures: f, labels: [Int32](repeating: 0, count: f.shape[0]), params: params,
             grads: nil).logits
    }
}
