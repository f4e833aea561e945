import Tensor

/// CLIP's ModifiedResNet image tower (inference only, as the ViT: the tower is frozen and
/// the Meta-Net reads its output). Maps are NHWC, so every 1x1 convolution is one GEMM over
/// the pixels and a 3x3 one a GEMM over gathered patches; BatchNorms were folded into the
/// convolutions at load (eval mode, as CoOp runs the frozen encoder).
///
/// stem: three 3x3 convolutions (the first stride 2) with ReLU, 2x2 average pool; four
/// stages of Bottleneck blocks (anti-aliased: the strided ones average-pool instead);
/// the attention pool (see ResNetEncoder+AttentionPool.swift).
public struct ResNetEncoder {
    public let weights: ResNetTowerWeights
    /// Input image side (a multiple of 32).
    public let resolution: Int
    /// Channels of the stem's output (W).
    public var width: Int { weights.stem[2].outChannels }
    /// Cells per side of the last map (resolution / 32).
    public var grid: Int { resolution / CLIPArchitecture.resNetStride }
    /// Width of the image feature (E).
    public var embedDim: Int { weights.attentionPool.output.outFeatures }

    /// Workspaces of recent chunk sizes, kept for the next call.
    private let workspaces = ReuseCache<ResNetWorkspace>(capacity: 2, maxBytes: ResNetEncoder.workspaceBytes)
    /// Largest workspace a chunk may take; larger batches run in smaller chunks.
    static let workspaceBytes = 320 << 20

    public init(weights: ResNetTowerWeights, resolution: Int) {
        self.weights = weights
        self.resolution = resolution
    }

    /// Features [B, E] (projected, not normalised) of preprocessed images [B, 3, R, R].
    /// Images are processed up to `chunk` at a time, fewer when a chunk's maps would pass
    /// ``workspaceBytes``.
    public func encode(pixels: Tensor, chunk: Int = 16) -> Tensor {
        encode(pixels: pixels, chunk: chunk, observer: nil)
    }

    /// ``encode(pixels:chunk:)`` calling `observer(name, map)` with each chunk's maps after
    /// the stem's convolutions ("stem_conv"), its pool ("stem") and each stage ("layer1" ...).
    func encode(pixels: Tensor, chunk: Int, observer: ((String, FeatureMap) -> Void)?) -> Tensor {
        let n = pixels.shape[0], r = resolution
        precondition(pixels.shape == [n, 3, r, r], "expected images [B, 3, \(r), \(r)], got \(pixels.shape)")
        let perImage = ResNetWorkspace.sizes(self, batch: 1).bytes
        let step = max(1, min(chunk, Self.workspaceBytes / max(perImage, 1)))
        let out = Tensor(zeros: [n, embedDim])
        var start = 0
        while start < n {
            let b = min(step, n - start)
            let w = workspaces.take { $0.batch == b } ?? ResNetWorkspace(encoder: self, batch: b)
            forward(pixels.data + start * 3 * r * r, workspace: w, out: out.data + start * embedDim,
                    observer: observer)
            workspaces.put(w, bytes: w.byteCount)
            start += b
        }
        return out
    }

    /// Multiply-adds of one image through the tower: every convolution and the attention
    /// pool's projections and attention (the GEMM work; pools, adds and ReLUs are not counted).
    public var multiplyAddsPerImage: Int {
        var total = 0, side = resolution
        for (i, conv) in weights.stem.enumerated() {
            total += conv.shape(batch: 1, side: side, stride: i == 0 ? 2 : 1).multiplyAdds
            if i == 0 { side = (side + 1) / 2 }
        }
        side /= 2
        for block in weights.stages.joined() {
            total += block.conv1.shape(batch: 1, side: side).multiplyAdds
            total += block.conv2.shape(batch: 1, side: side).multiplyAdds
            if let ds = block.downsample { total += ds.shape(batch: 1, side: side / block.stride).multiplyAdds }
            side /= block.stride
            total += block.conv3.shape(batch: 1, side: side).multiplyAdds
        }
        let pool = weights.attentionPool, c = pool.query.inFeatures, t = side * side + 1
        return total + t * c * 2 * c + c * c + 2 * t * c + c * embedDim
    }

    // MARK: - Forward

    /// One chunk: `pixels` [B, 3, R, R] to `out` [B, E].
    private func forward(_ pixels: UnsafeMutablePointer<Float>, workspace w: ResNetWorkspace,
                         out: UnsafeMutablePointer<Float>, observer: ((String, FeatureMap) -> Void)?) {
        let b = w.batch, r = resolution
        channelsLast(out: w.pixels.data, inp: pixels, batch: b, channels: 3, pixels: r * r)
        // Stem: conv1 (stride 2) -> h1, conv2 -> h2, conv3 -> x, each + ReLU; pool -> y.
        let half = (r + 1) / 2
        let (c1, c2, c3) = (weights.stem[0], weights.stem[1], weights.stem[2])
        w.run(c1, from: w.pixels.data, to: w.h1.data, batch: b, side: r, stride: 2, relu: true)
        w.run(c2, from: w.h1.data, to: w.h2.data, batch: b, side: half, relu: true)
        var x = w.x.data, y = w.y.data
        w.run(c3, from: w.h2.data, to: x, batch: b, side: half, relu: true)
        observer?("stem_conv", FeatureMap(data: x, batch: b, side: half, channels: c3.outChannels))
        var side = half / 2
        averagePoolForward(out: y, inp: x, batch: b, height: half, width: half, channels: c3.outChannels, size: 2)
        swap(&x, &y)
        observer?("stem", FeatureMap(data: x, batch: b, side: side, channels: c3.outChannels))
        for (index, stage) in weights.stages.enumerated() {
            for block in stage {
                side = bottleneck(block, x: &x, y: &y, side: side, workspace: w)
            }
            observer?("layer\(index + 1)", FeatureMap(data: x, batch: b, side: side,
                                                     channels: stage.last!.conv3.outChannels))
        }
        attentionPool(x, side: side, workspace: w, out: out)
    }

    /// One Bottleneck block on the map `x` (side x side); the result is in `x` again
    /// (`x` and `y` swap when the identity branch has its own convolution).
    /// - Returns: the output side.
    private func bottleneck(_ block: BottleneckWeights, x: inout UnsafeMutablePointer<Float>,
                            y: inout UnsafeMutablePointer<Float>, side: Int, workspace w: ResNetWorkspace) -> Int {
        let b = w.batch, s = block.stride, outSide = side / s, planes = block.conv1.outChannels
        w.run(block.conv1, from: x, to: w.h1.data, batch: b, side: side, relu: true)
        w.run(block.conv2, from: w.h1.data, to: w.h2.data, batch: b, side: side, relu: true)
        var main = w.h2.data
        if s > 1 {
            averagePoolForward(out: w.h1.data, inp: w.h2.data, batch: b, height: side, width: side,
                               channels: planes, size: s)
            main = w.h1.data
        }
        guard let ds = block.downsample else {
            w.run(block.conv3, from: main, to: x, batch: b, side: outSide, accumulate: true, relu: true)
            return outSide
        }
        var identity = x
        if s > 1 {
            averagePoolForward(out: w.h2.data, inp: x, batch: b, height: side, width: side,
                               channels: ds.inChannels, size: s)
            identity = w.h2.data
        }
        w.run(ds, from: identity, to: y, batch: b, side: outSide, relu: false)
        w.run(block.conv3, from: main, to: y, batch: b, side: outSide, accumulate: true, relu: true)
        swap(&x, &y)
        return outSide
    }
}

extension FoldedConvolution {
    /// The convolution over `batch` square maps of `side` (padding keeps a 3x3 "same").
    func shape(batch: Int, side: Int, stride: Int = 1) -> ConvolutionShape {
        ConvolutionShape(batch: batch, height: side, width: side, inChannels: inChannels, outChannels: outChannels,
                         kernel: kernel, stride: stride, padding: kernel / 2)
    }
}

/// A chunk's NHWC map [batch, side, side, channels] (for observers).
struct FeatureMap {
    let data: UnsafeMutablePointer<Float>
    let batch: Int, side: Int, channels: Int

    /// Image `index` as [channels, side, side] (PyTorch's NCHW), in Double.
    func channelsFirst(image index: Int) -> [Double] {
        let cells = side * side, base = data + index * cells * channels
        var out = [Double](repeating: 0, count: cells * channels)
        for p in 0..<cells {
            for c in 0..<channels { out[c * cells + p] = Double(base[p * channels + c]) }
        }
        return out
    }
}

/// The buffers of one ``ResNetEncoder`` chunk of `batch` images (each overwritten before
/// it is read, so a workspace serves any number of calls).
final class ResNetWorkspace {
    let batch: Int
    /// The images, NHWC.
    let pixels: Tensor
    /// The block input/output maps (they alternate when a block has a downsample branch).
    let x: Tensor, y: Tensor
    /// A block's inner maps (conv1, conv2, the pooled ones); the stem's first two maps.
    let h1: Tensor, h2: Tensor
    /// The attention pool's tokens [B, T, C], keys and values [B T, 2C], query and output [B, C].
    let tokens: Tensor, keyValue: Tensor, query: Tensor, attention: Tensor
    /// Patches of the convolutions' tiles in flight.
    let scratch = ConvolutionScratch()

    init(encoder e: ResNetEncoder, batch b: Int) {
        let sizes = Self.sizes(e, batch: b)
        batch = b
        pixels = Tensor(zeros: [b * 3 * e.resolution * e.resolution])
        x = Tensor(zeros: [sizes.block]); y = Tensor(zeros: [sizes.block])
        h1 = Tensor(zeros: [sizes.inner]); h2 = Tensor(zeros: [sizes.inner])
        let c = e.weights.attentionPool.query.inFeatures, t = e.grid * e.grid + 1
        tokens = Tensor(zeros: [b, t, c]); keyValue = Tensor(zeros: [b * t, 2 * c])
        query = Tensor(zeros: [b, c]); attention = Tensor(zeros: [b, c])
    }

    /// Floats of the largest block-level map and of the largest inner map of `batch` images,
    /// and the bytes of the whole workspace (the convolution scratch aside).
    static func sizes(_ e: ResNetEncoder, batch b: Int) -> (block: Int, inner: Int, bytes: Int) {
        let half = (e.resolution + 1) / 2
        var block = half * half * e.width, inner = half * half * e.weights.stem[0].outChannels
        var side = half / 2
        for stage in e.weights.stages {
            for blockWeights in stage {
                let planes = blockWeights.conv1.outChannels
                inner = max(inner, side * side * planes)
                side /= blockWeights.stride
                block = max(block, side * side * blockWeights.conv3.outChannels)
            }
        }
        let c = e.weights.attentionPool.query.inFeatures, t = side * side + 1
        let floats = b * (2 * block + 2 * inner + 3 * e.resolution * e.resolution + 3 * t * c + 2 * c)
        return (b * block, b * inner, floats * MemoryLayout<Float>.size)
    }

    /// Bytes held by the buffers.
    var byteCount: Int {
        scratch.byteCount + [pixels, x, y, h1, h2, tokens, keyValue, query, attention].reduce(0) { $0 + $1.byteCount }
    }

    /// `conv` (BatchNorm folded) over `batch` maps of `side` from `inp` into `out`.
    func run(_ conv: FoldedConvolution, from inp: UnsafeMutablePointer<Float>, to out: UnsafeMutablePointer<Float>,
             batch: Int, side: Int, stride: Int = 1, accumulate: Bool = false, relu: Bool) {
        convolutionForward(out: out, inp: inp, weight: conv.matrix, bias: conv.bias.data,
                           shape: conv.shape(batch: batch, side: side, stride: stride),
                           accumulate: accumulate, relu: relu, scratch: scratch)
    }
}
