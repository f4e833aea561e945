import TestSupport
import Testing
@testable import Tensor

/// The NHWC convolution (im2col + tiled GEMM + fused epilogue) against the plain seven-loop
/// oracle, in Double (the same generic kernel), and the average pool and layout change by hand.
/// Forward only: the image towers these serve are frozen.
@Suite struct ConvolutionTests {
    /// (batch, side y, side x, in, out, kernel, stride, padding).
    static let shapes: [ConvolutionShape] = [
        (2, 5, 7, 3, 4, 3, 1, 1), (1, 9, 8, 3, 5, 3, 2, 1), (3, 6, 6, 8, 6, 1, 1, 0), (2, 4, 4, 2, 3, 3, 1, 0),
        // Enough rows (2 x 30 x 30 = 1,800) for several tiles per thread.
        (2, 30, 30, 4, 3, 3, 1, 1),
        // Over 1 MiB of float weights: blocks of rows through one multi-threaded GEMM each.
        (1, 5, 4, 64, 520, 3, 1, 1), (2, 3, 3, 1100, 256, 1, 1, 0),
    ].map { ConvolutionShape(batch: $0.0, height: $0.1, width: $0.2, inChannels: $0.3, outChannels: $0.4,
                             kernel: $0.5, stride: $0.6, padding: $0.7) }

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
                #expect(normwiseError(y, expected) < 1e-14,
                        "\(s) threads \(threads) accumulate \(accumulate) relu \(relu)")
            }
        }
    }

    @Test func largeWeightsTakeTheBlockPath() {
        #expect(Self.shapes.filter(\.hasLargeWeights).count == 2)
        #expect(!Self.shapes[4].hasLargeWeights && Self.shapes[5].blockRows >= 1024)
    }

    @Test func floatPathAgreesWithDouble() {
        let s = ConvolutionShape(batch: 2, height: 12, width: 12, inChannels: 16, outChannels: 24, kernel: 3,
                                 padding: 1)
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

    /// With a bfloat16 weight matrix: the oracle on the rounded patches and weights (float32
    /// accumulation), for every shape, with the epilogue (accumulate, ReLU) as above; with a
    /// float32 one, the float32 convolution (to float32 rounding: suites running at once
    /// change the thread count, and with it how the rows are cut into products).
    @Test(.enabled(if: OneDNN.hasNativeBFloat16), arguments: shapes)
    func bfloat16WeightsMatchTheOracleOnRoundedOperands(shape s: ConvolutionShape) {
        var rng = TestRNG(seed: UInt64(s.rows * 17 + s.patchLength))
        let x = rng.floats(s.batch * s.height * s.width * s.inChannels)
        let w = rng.floats(s.outChannels * s.patchLength, scale: 0.5), b = rng.floats(s.outChannels)
        let round = { (v: Float) in Double(float(fromBFloat16: bfloat16Bits(v))) }
        var reference = [Double](repeating: 0, count: s.rows * s.outChannels)
        naiveConvolution(out: &reference, inp: x.map(round), weight: w.map(round), bias: b.map(Double.init), shape: s)
        let previous = rng.floats(reference.count)
        let matrix = Tensor(shape: [s.outChannels, s.patchLength], values: w)
        for (accumulate, relu) in [(false, false), (true, true)] {
            var y = accumulate ? previous : [Float](repeating: .nan, count: reference.count)
            convolutionForward(out: &y, inp: x, weight: FrozenMatrix(matrix, precision: .bfloat16), bias: b, shape: s,
                               accumulate: accumulate, relu: relu, scratch: ConvolutionScratch())
            let expected = reference.indices.map { i -> Double in
                let v = reference[i] + (accumulate ? Double(previous[i]) : 0)
                return relu ? max(v, 0) : v
            }
            #expect(normwiseError(y, expected) < 1e-5, "\(s) accumulate \(accumulate) relu \(relu)")
        }
        var fp32 = [Float](repeating: .nan, count: reference.count), plain = fp32
        convolutionForward(out: &fp32, inp: x, weight: FrozenMatrix(matrix), bias: b, shape: s,
                           scratch: ConvolutionScratch())
        convolutionForward(out: &plain, inp: x, weight: w, bias: b, shape: s, scratch: ConvolutionScratch())
        #expect(normwiseError(fp32, plain.map(Double.init)) < 1e-6)
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
