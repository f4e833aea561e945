import Tensor

/// CLIP's vision transformer (inference only: the image tower is frozen and the Meta-Net
/// reads its output, so no gradient flows into it). Patch "convolution" as one GEMM over
/// im2col rows ordered (channel, ky, kx), class token, positions, ln_pre, blocks without
/// a mask, ln_post on the class token, projection.
public struct VisionEncoder {
    public let weights: VisionTowerWeights
    public let heads: Int
    public let patchSize: Int
    public let resolution: Int
    public var width: Int { weights.classEmbedding.count }
    public var grid: Int { resolution / patchSize }
    public var embedDim: Int { weights.projectionMatrix.shape[1] }

    /// Buffers of recent small chunk sizes (a training batch), kept for the next call.
    private let workspaces = ReuseCache<VisionWorkspace>(capacity: 2, maxBytes: 64 << 20)

    public init(weights: VisionTowerWeights, heads: Int, patchSize: Int, resolution: Int) {
        self.weights = weights; self.heads = heads
        self.patchSize = patchSize; self.resolution = resolution
    }

    /// Features [B, E] (projected, not normalised) of preprocessed images [B, 3, R, R].
    /// Images are processed `chunk` at a time to bound memory.
    public func encode(pixels: Tensor, chunk: Int = 16) -> Tensor {
        encode(pixels: pixels, chunk: chunk, observer: nil)
    }

    /// ``encode(pixels:chunk:)`` calling `observer(layer, activations, output)` after each
    /// block (tests compare every layer with the reference).
    func encode(pixels: Tensor, chunk: Int, observer: ((Int, BlockActivations, Tensor) -> Void)?) -> Tensor {
        let n = pixels.shape[0]
        precondition(pixels.shape == [n, 3, resolution, resolution],
                     "expected images [B, 3, \(resolution), \(resolution)], got \(pixels.shape)")
        let out = Tensor(zeros: [n, embedDim])
        var start = 0
        while start < n {
            let b = min(chunk, n - start)
            let f = encodeChunk(pixels.data + start * 3 * resolution * resolution, batch: b,
                                observer: observer)
            (out.data + start * embedDim).update(from: f.data, count: b * embedDim)
            start += b
        }
        return out
    }

    private func encodeChunk(_ pixels: UnsafeMutablePointer<Float>, batch b: Int,
                             observer: ((Int, BlockActivations, Tensor) -> Void)?) -> Tensor {
        let w = workspaces.take { $0.batch == b } ?? VisionWorkspace(encoder: self, batch: b)
        defer { workspaces.put(w, bytes: w.byteCount) }
        let p = patchSize, g = grid, r = resolution, d = width
        let t = g * g + 1, patchLen = 3 * p * p
        // im2col: one row per patch, (c, ky, kx) order, patches row-major over the grid.
        for s in 0..<b {
            let img = pixels + s * 3 * r * r
            for gy in 0..<g {
                for gx in 0..<g {
                    var dst = w.cols.data + ((s * g + gy) * g + gx) * patchLen
                    for c in 0..<3 {
                        for ky in 0..<p {
                            dst.update(from: img + (c * r + gy * p + ky) * r + gx * p, count: p)
                            dst += p
                        }
                    }
                }
            }
        }
        linearForward(out: w.patches.data, inp: w.cols.data, weight: weights.patchMatrix,
                      bias: nil, n: b * g * g, inFeatures: patchLen, outFeatures: d)
        let x = w.x, pos = weights.positionalEmbedding.data
        for s in 0..<b {
            let seq = x.data + s * t * d
            residualForward(out: seq, a: weights.classEmbedding.data, b: pos, n: d)
            residualForward(out: seq + d, a: w.patches.data + s * g * g * d, b: pos + d, n: g * g * d)
        }
        layerNormForward(out: x.data, mean: w.mean.data, rstd: w.rstd.data, inp: x.data,
                         weight: weights.lnPre.weight.data, bias: weights.lnPre.bias.data,
                         n: b * t, c: d)
        for (l, block) in weights.blocks.enumerated() {
            block.forward(x.data, layout: w.layout, heads: heads, act: w.act, scratch: w.scratch.data,
                          saveForBackward: observer != nil)
            observer?(l, w.act, x)
        }
        for s in 0..<b { (w.cls.data + s * d).update(from: x.data + s * t * d, count: d) }
        layerNormForward(out: w.cls.data, mean: w.mean.data, rstd: w.rstd.data, inp: w.cls.data,
                         weight: weights.lnPost.weight.data, bias: weights.lnPost.bias.data,
                         n: b, c: d)
        let features = Tensor(zeros: [b, embedDim])
        projectionForward(out: features.data, inp: w.cls.data, proj: weights.projectionMatrix,
                          n: b, inFeatures: d, outFeatures: embedDim)
        return features
    }
}

/// The working buffers of one ``VisionEncoder`` chunk of `batch` images (every one is
/// overwritten before it is read, so a workspace serves any number of calls).
final class VisionWorkspace {
    let batch: Int
    let layout: UniformSequences
    let cols: Tensor, patches: Tensor, x: Tensor, mean: Tensor, rstd: Tensor
    let act: BlockActivations, scratch: Tensor, cls: Tensor

    init(encoder e: VisionEncoder, batch b: Int) {
        let g = e.grid, d = e.width, t = g * g + 1
        batch = b
        layout = UniformSequences(batch: b, length: t, causal: false)
        cols = Tensor(zeros: [b * g * g, 3 * e.patchSize * e.patchSize])
        patches = Tensor(zeros: [b * g * g, d])
        x = Tensor(zeros: [b, t, d])
        mean = Tensor(zeros: [b * t]); rstd = Tensor(zeros: [b * t])
        act = BlockActivations(layout: layout, width: d, heads: e.heads)
        scratch = Tensor(zeros: [b * t, d])
        cls = Tensor(zeros: [b, d])
    }

    /// Bytes held by the buffers.
    var byteCount: Int {
        act.byteCount + [cols, patches, x, mean, rstd, scratch, cls].reduce(0) { $0 + $1.byteCount }
    }
}
