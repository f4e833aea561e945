import CLIP
import Tensor

// CoCoOp's and CoOp's part of a split step (see StepShare.swift).

extension CoCoOp {
    var shareKernel: ShareKernel { ShareKernel(clip: clip, template: template, execution: execution) }

    public func promptGroups(images: Int) -> Int { images }
    public func logitsPerUnit(images: Int) -> Int { 1 }

    /// Units are (image, class): the concatenated logits are the step's [B, C] row by row.
    public func stepLogits(_ units: UnsafePointer<Float>, images: Int) -> Tensor {
        let c = prompts.classnames.count, out = Tensor(zeros: [images, c])
        out.data.update(from: units, count: images * c)
        return out
    }

    /// The share's text forward for image features [B, E] of the whole step: the Meta-Net
    /// runs on every image (cheap), the text tower on the share's prompts only.
    public func shareForward(imageFeatures f: Tensor, share: StepShare, params: ParameterBuffer,
                             training: Bool) -> ShareForward {
        let m = prompts.nCtx, d = clip.text.width, e = clip.text.embedDim
        let (z, _) = normalizeRows(f)
        let (pi, metaAct) = metaNet.forward(z, params: params)
        let shifted = shiftedContexts(params["ctx"], pi: pi)
        let (packed, tape, w, norms) = shareKernel.forward(share, table: { UnsafePointer(shifted.data + $0 * m * d) },
                                                          training: training)
        var logits = [Float](repeating: 0, count: share.units)
        var u = 0
        logits.withUnsafeMutableBufferPointer { out in
            for part in share.parts {
                gemm(.none, .transpose, m: 1, n: part.classes.count, k: e, alpha: clip.logitScaleExp,
                     a: z.data + part.group * e, lda: e, b: w.data + u * e, ldb: e, c: out.baseAddress! + u,
                     ldc: part.classes.count)
                u += part.classes.count
            }
        }
        return ShareForward(share: share, logits: logits, z: z, packed: packed, tape: tape, w: w, norms: norms,
                            metaAct: metaAct)
    }

    /// Accumulates the share's gradients (context and Meta-Net) given the step's dL/dlogits.
    public func shareBackward(_ fwd: ShareForward, dlogits: Tensor, params: ParameterBuffer, grads: ParameterBuffer) {
        let e = clip.text.embedDim, d = clip.text.width, nCls = prompts.classnames.count
        let b = dlogits.shape[0], scale = clip.logitScaleExp
        let dw = Tensor(zeros: [fwd.share.units, e])
        var u = 0
        for part in fwd.share.parts {   // dw[u] = scale * dlogits[image, c] * z_image
            gemm(.transpose, .none, m: part.classes.count, n: e, k: 1, alpha: scale,
                 a: dlogits.data + part.group * nCls + part.classes.lowerBound, lda: nCls,
                 b: fwd.z.data + part.group * e, ldb: e, c: dw.data + u * e, ldc: e)
            u += part.classes.count
        }
        let dctx = grads["ctx"], dpi = Tensor(zeros: [b, d])
        shareKernel.backward(fwd, dw: dw) { part, k, g in
            axpy(d, x: g, y: dctx.data + k * d)
            axpy(d, x: g, y: dpi.data + fwd.share.parts[part].group * d)
        }
        if let act = fwd.metaAct, fwd.share.units > 0 { metaNet.backward(dpi, act: act, params: params, grads: grads) }
    }
}

extension CoOp {
    var shareKernel: ShareKernel { ShareKernel(clip: clip, template: template, execution: execution) }

    public func promptGroups(images: Int) -> Int { 1 }
    public func logitsPerUnit(images: Int) -> Int { images }

    /// Units are the classes, each with the logits of every image: [C, B], transposed.
    public func stepLogits(_ units: UnsafePointer<Float>, images: Int) -> Tensor {
        let c = prompts.classnames.count, out = Tensor(zeros: [images, c])
        for j in 0..<c {
            for i in 0..<images { out.data[i * c + j] = units[j * images + i] }
        }
        return out
    }

    /// The share's text forward (some of the class prompts) and its logits for every image.
    public func shareForward(imageFeatures f: Tensor, share: StepShare, params: ParameterBuffer,
                             training: Bool) -> ShareForward {
        let b = f.shape[0], e = clip.text.embedDim
        let (z, _) = normalizeRows(f)
        let ctx = UnsafePointer(params["ctx"].data)
        let (packed, tape, w, norms) = shareKernel.forward(share, table: { _ in ctx }, training: training)
        var logits = [Float](repeating: 0, count: share.units * b)
        if share.units > 0 {
            logits.withUnsafeMutableBufferPointer { out in   // [U, B] = scale * w z^T
                gemm(.none, .transpose, m: share.units, n: b, k: e, alpha: clip.logitScaleExp, a: w.data, lda: e,
                     b: z.data, ldb: e, c: out.baseAddress!, ldc: b)
            }
        }
        return ShareForward(share: share, logits: logits, z: z, packed: packed, tape: tape, w: w, norms: norms,
                            metaAct: nil)
    }

    /// Accumulates the share's context gradient given the step's dL/dlogits [B, C].
    public func shareBackward(_ fwd: ShareForward, dlogits: Tensor, params: ParameterBuffer, grads: ParameterBuffer) {
        guard let part = fwd.share.parts.first else { return }
        let e = clip.text.embedDim, d = clip.text.width, nCls = prompts.classnames.count, b = dlogits.shape[0]
        let dw = Tensor(zeros: [fwd.share.units, e])   // dw[c] = scale * sum_i dlogits[i, c] * z_i
        gemm(.transpose, .none, m: fwd.share.units, n: e, k: b, alpha: clip.logitScaleExp,
             a: dlogits.data + part.classes.lowerBound, lda: nCls, b: fwd.z.data, ldb: e, c: dw.data, ldc: e)
        let dctx = grads["ctx"]
        shareKernel.backward(fwd, dw: dw) { _, k, g in axpy(d, x: g, y: dctx.data + k * d) }
    }
}
