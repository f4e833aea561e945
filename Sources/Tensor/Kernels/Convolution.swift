// Forward-only 2-D convolution and average pooling over NHWC maps (channels last:
// [batch, height, width, channels], row-major), as the frozen ResNet image tower needs
// them (no backward: nothing upstream of a frozen tower asks for a gradient).
//
// A convolution is a GEMM over the output pixels: out[rows, Cout] = patches[rows, K] W^T
// with K = kernel x kernel x Cin ordered (ky, kx, c), so W is PyTorch's [Cout, Cin, kh, kw]
// reordered to [Cout, kh, kw, Cin]. A 1x1 stride-1 convolution reads its input rows as
// they are; a larger one gathers each tile's patches first (im2col: one contiguous copy of
// kernel x Cin floats per kernel row). Small weights: the output rows are cut into equal
// tiles, as many per thread; each tile runs a single-threaded GEMM, then adds the bias and
// applies ReLU while the tile is still in cache (the epilogue: a BatchNorm folded into W and
// the bias costs nothing more). Large weights (the deep stages: megabytes of weights for a
// few hundred rows per image) would be repacked by every tile's GEMM, so they run as blocks
// of many rows, each one multi-threaded GEMM whose threads share the packed weights.

// MARK: - Shape

/// The geometry of a 2-D convolution over NHWC maps, square kernel, zero padding.
public struct ConvolutionShape: Equatable, Sendable {
    public var batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int
    public var kernel: Int, stride: Int, padding: Int

    /// A `kernel` x `kernel` convolution of `inChannels` -> `outChannels` channels.
    public init(batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int,
                kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.batch = batch; self.height = height; self.width = width
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernel = kernel; self.stride = stride; self.padding = padding
    }

    /// Output height, `(H + 2 padding - kernel) / stride + 1`.
    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    /// Output width.
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Output pixels, the GEMM's rows: batch x outHeight x outWidth.
    public var rows: Int { batch * outHeight * outWidth }
    /// Inputs of one output pixel, the GEMM's K: kernel x kernel x inChannels.
    public var patchLength: Int { kernel * kernel * inChannels }
    /// Whether the input rows are the GEMM's rows as they are (1x1, stride 1, no padding).
    public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
    /// Multiply-adds of the whole convolution.
    public var multiplyAdds: Int { rows * patchLength * outChannels }

    /// Rows per tile aimed at: a few hundred rows amortise the weights' packing in each
    /// tile's GEMM, and a tile's patches and outputs (about 1 MiB) stay in a core's L2.
    var targetTileRows: Int {
        let perRow = MemoryLayout<Float>.size * ((isPointwise ? 0 : patchLength) + outChannels)
        return min(4096, max(256, (1 << 20) / perRow))
    }

    /// Whether the weights are large enough (over 1 MiB) that the rows run as a few large
    /// multi-threaded GEMMs rather than as one tile per thread and repacking.
    var hasLargeWeights: Bool { outChannels * patchLength * MemoryLayout<Float>.size > 1 << 20 }

    /// Rows per multi-threaded GEMM with large weights: at least 1,024 (the weights' packing
    /// amortised), else as many as 16 MiB of patches hold.
    var blockRows: Int { max(1024, (16 << 20) / (MemoryLayout<Float>.size * patchLength)) }
}

// MARK: - Scratch

/// Per-thread patch buffers of ``convolutionForward(out:inp:weight:bias:shape:accumulate:relu:scratch:)``,
/// kept between calls (fresh pages cost a page fault and a clear each). One scratch serves
/// one caller at a time.
public final class ConvolutionScratch {
    private var buffers: [UnsafeMutableRawPointer] = []
    private var capacity = 0

    public init() {}

    deinit { buffers.forEach { $0.deallocate() } }

    /// Bytes held.
    public var byteCount: Int { buffers.count * capacity }

    /// Makes `count` buffers of at least `bytes` bytes each available.
    func reserve(_ count: Int, bytes: Int) {
        if bytes > capacity {
            buffers.forEach { $0.deallocate() }
            buffers.removeAll()
            capacity = bytes
        }
        while buffers.count < count {
            buffers.append(UnsafeMutableRawPointer.allocate(byteCount: max(capacity, 64), alignment: 64))
        }
    }

    /// Buffer `index` (see ``reserve(_:bytes:)``) as `T`s.
    func buffer<T>(_ index: Int, as type: T.Type) -> UnsafeMutablePointer<T> {
        buffers[index].assumingMemoryBound(to: T.self)
    }
}

// MARK: - Convolution

/// `out[r, o] = act(bias[o] + sum_k patches[r, k] * weight[o, k] (+ out[r, o] when accumulate))`
/// where act is ReLU when `relu`, else the identity.
/// - Parameters: out (rows, Cout) = NHWC [B, OH, OW, Cout], written (or added to, with
///   `accumulate`: the residual connection); inp NHWC [B, H, W, Cin]; weight (Cout, kh, kw, Cin);
///   bias (Cout) or nil; `scratch` holds the patches of the tiles in flight.
@_specialize(exported: true, where T == Float)
public func convolutionForward<T: KernelFloat>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>,
                                               weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                               shape s: ConvolutionShape, accumulate: Bool = false,
                                               relu: Bool = false, scratch: ConvolutionScratch) {
    let rows = s.rows, k = s.patchLength, n = s.outChannels
    if rows == 0 { return }
    if s.hasLargeWeights {
        convolutionInBlocks(out: out, inp: inp, weight: weight, bias: bias, shape: s, accumulate: accumulate,
                            relu: relu, scratch: scratch)
        return
    }
    let threads = min(KernelThreads.count, max(1, rows / 64))
    let perThread = max(1, (rows + threads * s.targetTileRows - 1) / (threads * s.targetTileRows))
    let tiles = threads * perThread, tileRows = (rows + tiles - 1) / tiles
    if !s.isPointwise { scratch.reserve(threads, bytes: tileRows * k * MemoryLayout<T>.stride) }
    parallelChunks(threads, of: tiles, singleThreadedBLAS: true) { thread, range in
        for tile in range {
            let r0 = tile * tileRows, count = min(tileRows, rows - r0)
            if count <= 0 { continue }
            var a = inp + r0 * s.inChannels
            if !s.isPointwise {
                let patches = scratch.buffer(thread, as: T.self)
                im2colNHWC(patches, inp, shape: s, rows: r0 ..< r0 + count)
                a = UnsafePointer(patches)
            }
            let c = out + r0 * n
            gemm(.none, .transpose, m: count, n: n, k: k, a: a, lda: k, b: weight, ldb: k,
                 beta: accumulate ? 1 : 0, c: c, ldc: n)
            biasActivation(c, bias: bias, rows: count, columns: n, relu: relu)
        }
    }
}

/// ``convolutionForward(out:inp:weight:bias:shape:accumulate:relu:scratch:)`` for large
/// weights: blocks of ``ConvolutionShape/blockRows`` rows, each gathered in parallel, one
/// multi-threaded GEMM, then the epilogue in parallel.
func convolutionInBlocks<T: KernelFloat>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>,
                                         weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                         shape s: ConvolutionShape, accumulate: Bool, relu: Bool,
                                         scratch: ConvolutionScratch) {
    let k = s.patchLength, n = s.outChannels
    convolutionInBlocks(out: out, inp: inp, bias: bias, shape: s, relu: relu, scratch: scratch) { a, count, c in
        gemm(.none, .transpose, m: count, n: n, k: k, a: a, lda: k, b: weight, ldb: k,
             beta: accumulate ? 1 : 0, c: c, ldc: n)
    }
}

/// The blocks of ``convolutionInBlocks(out:inp:weight:bias:shape:accumulate:relu:scratch:)``
/// with the product `product(patches, rows, out)` given.
func convolutionInBlocks<T: KernelFloat>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>,
                                         bias: UnsafePointer<T>?, shape s: ConvolutionShape, relu: Bool,
                                         scratch: ConvolutionScratch,
                                         product: (UnsafePointer<T>, Int, UnsafeMutablePointer<T>) -> Void) {
    let rows = s.rows, k = s.patchLength, n = s.outChannels, block = min(rows, s.blockRows)
    if !s.isPointwise { scratch.reserve(1, bytes: block * k * MemoryLayout<T>.stride) }
    for r0 in stride(from: 0, to: rows, by: block) {
        let count = min(block, rows - r0)
        var a = inp + r0 * s.inChannels
        if !s.isPointwise {
            let patches = scratch.buffer(0, as: T.self)
            parallelFor(count, grain: 64) { range in
                im2colNHWC(patches + range.lowerBound * k, inp, shape: s,
                           rows: r0 + range.lowerBound ..< r0 + range.upperBound)
            }
            a = UnsafePointer(patches)
        }
        let c = out + r0 * n
        product(a, count, c)
        parallelFor(count, grain: max(1, elementwiseGrain / n)) { range in
            biasActivation(c + range.lowerBound * n, bias: bias, rows: range.count, columns: n, relu: relu)
        }
    }
}

/// ``convolutionForward(out:inp:weight:bias:shape:accumulate:relu:scratch:)`` with a frozen
/// weight matrix `[Cout, kh kw Cin]`: with its bfloat16 copy, the patches are rounded to
/// bfloat16 and each block of rows is one oneDNN product on every thread (float32
/// accumulation); otherwise the float32 convolution.
public func convolutionForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: FrozenMatrix,
                               bias: UnsafePointer<Float>?, shape s: ConvolutionShape, accumulate: Bool = false,
                               relu: Bool = false, scratch: ConvolutionScratch) {
    let k = s.patchLength, n = s.outChannels
    if s.rows == 0 { return }
    guard weight.bfloat16 != nil else {
        let w = weight.float32!   // without a bfloat16 copy, a frozen matrix has its float32 tensor
        withExtendedLifetime(w) {
            convolutionForward(out: out, inp: inp, weight: w.data, bias: bias, shape: s, accumulate: accumulate,
                               relu: relu, scratch: scratch)
        }
        return
    }
    convolutionInBlocks(out: out, inp: inp, bias: bias, shape: s, relu: relu, scratch: scratch) { a, count, c in
        gemm(.none, .transpose, m: count, n: n, k: k, a: a, lda: k, b: weight, ldb: k,
             beta: accumulate ? 1 : 0, c: c, ldc: n)
    }
}

/// `x[r, o] = act(x[r, o] + bias[o])` over a tile (rows, columns).
@inline(__always)
func biasActivation<T: KernelFloat>(_ x: UnsafeMutablePointer<T>, bias: UnsafePointer<T>?,
                                    rows: Int, columns: Int, relu: Bool) {
    for r in 0..<rows {
        let row = x + r * columns
        switch (bias, relu) {
        case let (b?, true): for o in 0..<columns { row[o] = max(row[o] + b[o], 0) }
        case let (b?, false): for o in 0..<columns { row[o] += b[o] }
        case (nil, true): for o in 0..<columns { row[o] = max(row[o], 0) }
        case (nil, false): return
        }
    }
}

/// The patches of output rows `rows` (row r = pixel (b, oy, ox)), each (ky, kx, c) ordered,
/// zero where the kernel reaches into the padding.
/// - Parameters: patches (rows.count, patchLength); inp NHWC [B, H, W, Cin].
@inline(__always)
func im2colNHWC<T: KernelFloat>(_ patches: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>,
                                shape s: ConvolutionShape, rows: Range<Int>) {
    let oh = s.outHeight, ow = s.outWidth, c = s.inChannels, kk = s.kernel
    var dst = patches
    for r in rows {
        let b = r / (oh * ow), oy = (r / ow) % oh, ox = r % ow
        let x0 = ox * s.stride - s.padding
        // The kernel columns that fall inside the image: kx in kxLo ..< kxHi.
        let kxLo = max(0, -x0), kxHi = min(kk, s.width - x0)
        for ky in 0..<kk {
            let iy = oy * s.stride - s.padding + ky
            guard iy >= 0 && iy < s.height && kxLo < kxHi else {
                dst.update(repeating: 0, count: kk * c)
                dst += kk * c
                continue
            }
            if kxLo > 0 { dst.update(repeating: 0, count: kxLo * c) }
            (dst + kxLo * c).update(from: inp + ((b * s.height + iy) * s.width + x0 + kxLo) * c,
                                    count: (kxHi - kxLo) * c)
            if kxHi < kk { (dst + kxHi * c).update(repeating: 0, count: (kk - kxHi) * c) }
            dst += kk * c
        }
    }
}

/// The plain seven-loop convolution (NHWC, weight (Cout, kh, kw, Cin)), kept as the test
/// oracle for ``convolutionForward(out:inp:weight:bias:shape:accumulate:relu:scratch:)``.
public func naiveConvolution<T: KernelFloat>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>,
                                             weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                             shape s: ConvolutionShape) {
    for b in 0..<s.batch {
        for oy in 0..<s.outHeight {
            for ox in 0..<s.outWidth {
                for o in 0..<s.outChannels {
                    var sum: T = bias?[o] ?? 0
                    for ky in 0..<s.kernel {
                        for kx in 0..<s.kernel {
                            let iy = oy * s.stride - s.padding + ky, ix = ox * s.stride - s.padding + kx
                            if iy < 0 || iy >= s.height || ix < 0 || ix >= s.width { continue }
                            for c in 0..<s.inChannels {
                                sum += inp[((b * s.height + iy) * s.width + ix) * s.inChannels + c]
                                    * weight[((o * s.kernel + ky) * s.kernel + kx) * s.inChannels + c]
                            }
                        }
                    }
                    out[((b * s.outHeight + oy) * s.outWidth + ox) * s.outChannels + o] = sum
                }
            }
        }
    }
}

// MARK: - Average pooling

/// `size` x `size` average pooling with stride `size` (PyTorch's `AvgPool2d(size)`: no
/// padding, a partial last row or column dropped).
/// - Parameters: out NHWC [B, H / size, W / size, C]; inp NHWC [B, H, W, C].
@_specialize(exported: true, where T == Float)
public func averagePoolForward<T: KernelFloat>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>,
                                               batch: Int, height: Int, width: Int, channels: Int,
                                               size: Int) {
    let oh = height / size, ow = width / size, scale = 1 / T(size * size)
    parallelFor(batch * oh, grain: max(1, elementwiseGrain / max(1, ow * channels * size * size))) { range in
        for row in range {
            let b = row / oh, oy = row % oh
            for ox in 0..<ow {
                let y = out + ((b * oh + oy) * ow + ox) * channels
                y.update(repeating: 0, count: channels)
                for dy in 0..<size {
                    for dx in 0..<size {
                        let x = inp + ((b * height + oy * size + dy) * width + ox * size + dx) * channels
                        for c in 0..<channels { y[c] += x[c] }
                    }
                }
                for c in 0..<channels { y[c] *= scale }
            }
        }
    }
}

// MARK: - Layout

/// NCHW [B, C, H*W] to NHWC [B, H*W, C] (images as the preprocessing writes them to the
/// layout the convolutions read).
@_specialize(exported: true, where T == Float)
public func channelsLast<T: KernelFloat>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>,
                                         batch: Int, channels: Int, pixels: Int) {
    for b in 0..<batch {
        let x = inp + b * channels * pixels, y = out + b * channels * pixels
        for c in 0..<channels {
            for p in 0..<pixels { y[p * channels + c] = x[c * pixels + p] }
        }
    }
}
