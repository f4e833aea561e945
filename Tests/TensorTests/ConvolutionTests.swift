import Testing
@testable import Tensor

/// The NHWC convolution (im2col + tiled GEMM + fused epilogue) against the plain seven-loop
/// oracle, in Double (the same generic kernel), and the average pool and layout change by hand.
/// Forward only: the image towers these serve are frozen.
@Suite struct ConvolutionTests {
    static let shapes: [ConvolutionShape] = [
        ConvolutionShape(batch: 2, height: 5, width: 7, inChannels: 3, outChannels: 4, kernel: 3, stride: 1, padding: 1),
        ConvolutionShape(batch: 1, height: 9, width: 8, inChannels: 3, outChannels: 5, kernel: 3, stride: 2, padding: 1),
        ConvolutionShape(batch: 3, height: 6, width: 6, inChannels: 8, outChannels: 6, kernel: 1),
        ConvolutionShape(batch: 2, height: 4, width: 4, inChannels: 2, outChannels: 3, kernel: 3, stride: 1, padding: 0),
        // Enough rows (2 x 30 x 30 = 1,800) for several tiles per thread.
        ConvolutionShape(batch: 2, height: 30, width: 30, inChannels: 4, outChannels: 3, kernel: 3, stride: 1, padding: 1),
        // Over 1 MiB of float weights: blocks of rows through one multi-threaded GEMM each.
        ConvolutionShape(batch: 1, height: 5, width: 4, inChannels: 64, outChannels: 520, kernel: 3, stride: 1, padding: 1),
        ConvolutionShape(batch: 2, height: 3, width: 3, inChannels: 1100, outChannels: 256, kernel: 1),
    ]

    @Test(arguments: shapes)
    func matchesTheOracle(shape s: ConvolutionShape) {
        var rng = TestRNG(seed: UInt64(s.rows * 31 + s.patchLength))
        let x = rng.doubles(s.batch * s.height * s.width * s.inChannels)
        let w = rng.doubles(s.outChannels * s.patchLength, scale: 0.5), b = rng.doubles(s.outChannels)
        var reference = [Double](repeating: 0, count: s.rows * s.outChannels)
        naiveConvolution(out: &reference, inp: x, weight: w, bias: b, shape: s)
        let previous = rng.doubles(reference.count)
        for threads in [1, 2, 3] {
            for (accumulate, relu) in [(false, false), (false, true), (true, true)] {
                var y = accumulate ? previous : [Double](repeating: .nan, count: reference.count)
                KernelThreads.$override.withValue(threads) {
                    convolutionForward(out: &y, inp: x, weight: w, bias: b, shape: s, accumulate: accumulate,
                                       relu: relu, scratch: ConvolutionScratch())
                }
                let expected = reference.indices.map { i -> Double in
                    let v = reference[i] + (accumulate ? previous[i] : 0)
                    return relu ? max(v, 0) : v
                }
                #expect(normwiseError(y, expected) < 1e-14, "\(s) threads \(threads) accumulate \(accumulate) relu \(relu)")
            }
        }
    }

    @Test func largeWeightsTakeTheBlockPath() {
        #expect(Self.shapes.filter(\.hasLargeWeights).count == 2)
        #expect(!Self.shapes[4].hasLargeWeights && Self.shapes[5].blockRows >= 1024)
    }

    @Test func floatPathAgreesWithDouble() {
        let s = ConvolutionShape(batch: 2, height: 12, width: 12, inChannels: 16, outChannels: 24, kernel: 3, padding: 1)
        var rng = TestRNG(seed: 9)
        let x = rng.doubles(s.batch * s.height * s.width * s.inChannels)
        let w = rng.doubles(s.outChannels * s.patchLength, scale: 0.2), b = rng.doubles(s.outChannels)
        var reference = [Double](repeating: 0, count: s.rows * s.outChannels)
        naiveConvolution(out: &reference, inp: x, weight: w, bias: b, shape: s)
        var y = [Float](repeating: 0, count: reference.count)
        let scratch = ConvolutionScratch()
        convolutionForward(out: &y, inp: x.map(Float.init), weight: w.map(Float.init), bias: b.map(Float.init),
                           shape: s, scratch: scratch)
        #expect(normwiseError(y.map(Double.init), reference) < 1e-6)
        #expect(scratch.byteCount > 0, "a 3x3 convolution gathers its patches in the scratch")
        let kept = scratch.byteCount
        convolutionForward(out: &y, inp: x.map(Float.init), weight: w.map(Float.init), bias: b.map(Float.init),
                           shape: s, scratch: scratch)
        #expect(scratch.byteCount == kept, "the scratch is reused")
    }

    @Test func averagePoolAndChannelsLastByHand() {
        // One image, 2 channels, 4 x 5 (the last column is dropped, as AvgPool2d(2) does).
        let h = 4, w = 5, c = 2
        let x = (0..<(h * w * c)).map(Double.init)   // NHWC: x[y, x, c] = (y w + x) c + c
        var y = [Double](repeating: 0, count: 2 * 2 * c)
        averagePoolForward(out: &y, inp: x, batch: 1, height: h, width: w, channels: c, size: 2)
        func at(_ yy: Int, _ xx: Int, _ cc: Int) -> Double { Double((yy * w + xx) * c + cc) }
        var expected: [Double] = []
        for oy in 0..<2 { for ox in 0..<2 { for cc in 0..<c {
            expected.append((at(2 * oy, 2 * ox, cc) + at(2 * oy, 2 * ox + 1, cc)
                             + at(2 * oy + 1, 2 * ox, cc) + at(2 * oy + 1, 2 * ox + 1, cc)) / 4)
        } } }
        #expect(y == expected)
        var nhwc = [Double](repeating: 0, count: 12)
        channelsLast(out: &nhwc, inp: (0..<12).map(Double.init), batch: 2, channels: 3, pixels: 2)
        #expect(nhwc == [0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11])
    }
}
