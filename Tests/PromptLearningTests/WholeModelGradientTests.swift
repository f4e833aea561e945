import Foundation
import Testing
import TestSupport
import CLIP
import Tensor
@testable import PromptLearning

/// The gradient of the whole CoCoOp loss with respect to the context and the Meta-Net,
/// computed by the model in float32, against central finite differences of an independent
/// plain float64 forward (one full sequence per (image, class), written with the Double
/// kernels) on a small random CLIP.
@Suite struct WholeModelGradientTests {
    /// A plain float64 CoCoOp forward: mean cross-entropy of the batch.
    struct DoubleReference {
        let clip: CLIPModel
        let prompts: ClassPrompts
        let features: [[Double]]
        let labels: [Int32]
        /// The frozen weights converted to Double once (embedding rows only for the prompt tokens).
        let blocks: [DoubleBlock]
        let embeddings: [Int32: [Double]]
        let positional: [Double], lnFinal: ([Double], [Double]), projection: [Double]

        struct DoubleBlock {
            let ln1: ([Double], [Double]), ln2: ([Double], [Double])
            let attnIn: ([Double], [Double]?), attnOut: ([Double], [Double]?)
            let fc: ([Double], [Double]?), proj: ([Double], [Double]?)
        }

        init(clip: CLIPModel, prompts: ClassPrompts, features: [[Double]], labels: [Int32]) {
            self.clip = clip; self.prompts = prompts; self.features = features; self.labels = labels
            func d(_ t: Tensor) -> [Double] { t.array.map(Double.init) }
            func lin(_ l: LinearWeights) -> ([Double], [Double]?) { (d(l.weight), l.bias.map(d)) }
            blocks = clip.text.weights.blocks.map { w in
                DoubleBlock(ln1: (d(w.ln1.weight), d(w.ln1.bias)), ln2: (d(w.ln2.weight), d(w.ln2.bias)),
                            attnIn: lin(w.attnIn), attnOut: lin(w.attnOut), fc: lin(w.fc), proj: lin(w.proj))
            }
            var emb: [Int32: [Double]] = [:]
            for id in Set(prompts.tokenized.flatMap { $0 }) { emb[id] = d(clip.text.embed([id])) }
            embeddings = emb
            let tw = clip.text.weights
            positional = d(tw.positionalEmbedding)
            lnFinal = (d(tw.lnFinal.weight), d(tw.lnFinal.bias))
            projection = d(tw.projection)
        }

        func block(_ x: inout [Double], _ w: DoubleBlock, t: Int, width: Int, heads: Int) {
            var mean = [Double](repeating: 0, count: t), rstd = mean
            var ln = [Double](repeating: 0, count: t * width)
            layerNormForward(out: &ln, mean: &mean, rstd: &rstd, inp: x, weight: w.ln1.0, bias: w.ln1.1, n: t, c: width)
            var qkv = [Double](repeating: 0, count: t * 3 * width)
            linearForward(out: &qkv, inp: ln, weight: w.attnIn.0, bias: w.attnIn.1, n: t, inFeatures: width,
                          outFeatures: 3 * width)
            var att = [Double](repeating: 0, count: t * width), probs = [Double](repeating: 0, count: heads * t * t)
            multiHeadAttentionForward(out: &att, probs: &probs, qkv: qkv, batch: 1, t: t, width: width, heads: heads,
                                      causal: true)
            var o = [Double](repeating: 0, count: t * width)
            linearForward(out: &o, inp: att, weight: w.attnOut.0, bias: w.attnOut.1, n: t, inFeatures: width,
                          outFeatures: width)
            for i in x.indices { x[i] += o[i] }
            layerNormForward(out: &ln, mean: &mean, rstd: &rstd, inp: x, weight: w.ln2.0, bias: w.ln2.1, n: t, c: width)
            var fc = [Double](repeating: 0, count: t * 4 * width), g = fc
            linearForward(out: &fc, inp: ln, weight: w.fc.0, bias: w.fc.1, n: t, inFeatures: width,
                          outFeatures: 4 * width)
            quickGeluForward(out: &g, inp: fc, n: fc.count)
            linearForward(out: &o, inp: g, weight: w.proj.0, bias: w.proj.1, n: t, inFeatures: 4 * width,
                          outFeatures: width)
            for i in x.indices { x[i] += o[i] }
        }

        /// Mean loss for parameters given as a flat Double buffer in the model's layout.
        func loss(_ p: [Double], layout: ParameterLayout) -> Double {
            func slice(_ name: String) -> [Double] {
                let s = layout.slot(name)!
                return Array(p[s.offset..<(s.offset + s.count)])
            }
            let text = clip.text, wd = text.width, e = text.embedDim, m = prompts.nCtx
            let hid = e / 16, s = Double(clip.logitScaleExp)
            var total = 0.0
            for (b, f) in features.enumerated() {
                let norm = f.reduce(0) { $0 + $1 * $1 }.squareRoot(), z = f.map { $0 / norm }
                var h = [Double](repeating: 0, count: hid), r = h, pi = [Double](repeating: 0, count: wd)
                linearForward(out: &h, inp: z, weight: slice("meta_net.linear1.weight"),
                              bias: slice("meta_net.linear1.bias"), n: 1, inFeatures: e, outFeatures: hid)
                reluForward(out: &r, inp: h, n: hid)
                linearForward(out: &pi, inp: r, weight: slice("meta_net.linear2.weight"),
                              bias: slice("meta_net.linear2.bias"), n: 1, inFeatures: hid, outFeatures: wd)
                let ctx = slice("ctx")
                var logits: [Double] = []
                for c in prompts.classnames.indices {
                    let ids = prompts.tokenized[c], eot = prompts.eotIndices[c], t = eot + 1
                    var x = [Double](repeating: 0, count: t * wd)
                    for i in 0..<t {
                        let emb = embeddings[ids[i]]!
                        for j in 0..<wd {
                            let tokenValue = (1...m).contains(i) ? ctx[(i - 1) * wd + j] + pi[j] : emb[j]
                            x[i * wd + j] = tokenValue + positional[i * wd + j]
                        }
                    }
                    for w in blocks { block(&x, w, t: t, width: wd, heads: text.heads) }
                    var ln = [Double](repeating: 0, count: wd), mean = [0.0], rstd = [0.0]
                    layerNormForward(out: &ln, mean: &mean, rstd: &rstd, inp: Array(x[(eot * wd)...]),
                                     weight: lnFinal.0, bias: lnFinal.1, n: 1, c: wd)
                    var feat = [Double](repeating: 0, count: e)
                    projectionForward(out: &feat, inp: ln, proj: projection, n: 1, inFeatures: wd, outFeatures: e)
                    let fn = feat.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    logits.append(s * zip(z, feat).reduce(0) { $0 + $1.0 * $1.1 } / fn)
                }
                let mx = logits.max()!
                total += log(logits.reduce(0) { $0 + exp($1 - mx) }) + mx - logits[Int(labels[b])]
            }
            return total / Double(features.count)
        }
    }

    @Test func wholeLossGradientAgainstDoubleFiniteDifferences() throws {
        // A small random CLIP of its own shapes (text width 64, 2 layers, 1 head; embed 32).
        let arch = CLIPArchitecture(embedDim: 32, imageResolution: 16, visionLayers: 1, visionWidth: 64,
                                    visionHeads: 1, visionPatchSize: 8, contextLength: 77, vocabSize: 49408,
                                    textWidth: 64, textHeads: 1, textLayers: 2)
        let clip = try TemporaryDirectory.with("cocoop-fd") { dir in
            try RandomWeights.writeHuggingFaceFolder(architecture: arch, seed: 5, to: dir, dtype: .f32)
            return try CLIPModel(contentsOf: dir)
        }
        let tok = try CLIPTokenizer.bundled()
        let prompts = try ClassPrompts(classnames: ["tabby cat", "dog", "golden_retriever"], nCtx: 3, ctxInit: "",
                                       tokenizer: tok)
        let model = CoCoOp(clip: clip, prompts: prompts)
        let p = try model.initialParameters(seed: 9, tokenizer: tok)
        for i in 0..<p.storage.count { p.storage.data[i] *= 8 }   // move off the tiny-init regime
        var rng = ParameterRNG(seed: 3)
        let features = (0..<2).map { _ in (0..<32).map { _ in rng.normal() } }
        let labels: [Int32] = [2, 0]
        let f = Tensor(shape: [2, 32], values: features.flatMap { $0 }.map(Float.init))
        let g = ParameterBuffer(layout: model.layout)
        let stats = model.step(imageFeatures: f, labels: labels, params: p, grads: g, gradScale: 0.5)
        let ref = DoubleReference(clip: clip, prompts: prompts, features: features, labels: labels)
        let p64 = p.storage.array.map(Double.init)
        #expect(abs(ref.loss(p64, layout: model.layout) - stats.lossSum / 2) < 1e-5)
        for slot in model.layout.slots {
            // 12 coordinates per tensor, spread over it.
            let idx = (0..<12).map { slot.offset + ($0 * 7919) % slot.count }
            let fd = idx.map { i in
                var up = p64, down = p64
                up[i] += 1e-5; down[i] -= 1e-5
                return (ref.loss(up, layout: model.layout) - ref.loss(down, layout: model.layout)) / 2e-5
            }
            let err = normwiseError(idx.map { g.storage.data[$0] }, fd)
            #expect(fd.contains { $0 != 0 } && err < 1e-4, "\(slot.name): \(err)")
        }
    }
}
