import Foundation
import Testing
import CLIP
import Tensor
@testable import PromptLearning

/// The speed-ups that must not change a single bit: buffers reused from step to step
/// (text tapes, vision workspaces) and kernels split over threads.
///
/// OpenBLAS's thread count is process-wide and attention kernels lower it to 1 while they
/// run (`BLASInfo.singleThreaded`), and OpenBLAS may round differently with 1 and 2
/// threads; so that tests running concurrently cannot change it under a comparison, each
/// step here runs in one single-threaded BLAS section (the element-wise kernels still
/// split over `KernelThreads`), and the suite's tests run one at a time.
@Suite(.serialized) struct ReuseAndThreadCountTests {
    /// Logits and gradients of one CoCoOp step, flattened, plus the image features.
    static func step(_ model: CoCoOp, _ p: ParameterBuffer, pixels: Tensor, classes: Int) -> [Float] {
        BLASInfo.singleThreaded {
            let f = model.clip.vision.encode(pixels: pixels)
            let g = ParameterBuffer(layout: model.layout)
            let labels = (0..<f.shape[0]).map { Int32($0 % classes) }
            let stats = model.step(imageFeatures: f, labels: labels, params: p, grads: g,
                                   gradScale: 1 / Float(f.shape[0]))
            return f.array + stats.logits.array + g.storage.array
        }
    }

    /// How many values differ in their bits (0 when the runs agree exactly).
    static func differing(_ a: [Float], _ b: [Float]) -> Int {
        a.count != b.count ? max(a.count, b.count) : zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
    }

    static func setUp(classes: Int) throws -> (CoCoOp, ParameterBuffer) {
        let clip = try FastPathOracleTests.randomCLIP(width: 64, heads: 4, layers: 2, embed: 32, seed: 7)
        let tok = try CLIPTokenizer.bundled()
        let prompts = try ClassPrompts(classnames: Array(FastPathOracleTests.names.prefix(classes)), nCtx: 4,
                                       ctxInit: "a photo of a", tokenizer: tok)
        let model = CoCoOp(clip: clip, prompts: prompts)
        let p = try model.initialParameters(seed: 5, tokenizer: tok)
        for i in 0..<p.storage.count { p.storage.data[i] *= 10 }
        return (model, p)
    }

    static func pixels(_ b: Int, seed: Int) -> Tensor {
        Tensor(shape: [b, 3, 16, 16], values: (0..<(b * 768)).map { Float(($0 * 7919 + seed) % 255) / 255 - 0.5 })
    }

    @Test func reusedBuffersGiveTheSameBits() throws {
        let (model, p) = try Self.setUp(classes: 5)
        let first = Self.step(model, p, pixels: Self.pixels(3, seed: 1), classes: 5)
        // Another shape in between (the cache must not hand its buffers to the wrong size) ...
        _ = Self.step(model, p, pixels: Self.pixels(2, seed: 9), classes: 5)
        // ... then the first shape again, now on recycled buffers full of stale values.
        let again = Self.step(model, p, pixels: Self.pixels(3, seed: 1), classes: 5)
        #expect(Self.differing(first, again) == 0)
        // The padded oracle path (uniform sequences) as well.
        model.execution = .padded(length: 20)
        let padded = Self.step(model, p, pixels: Self.pixels(3, seed: 1), classes: 5)
        let paddedAgain = Self.step(model, p, pixels: Self.pixels(3, seed: 1), classes: 5)
        #expect(Self.differing(padded, paddedAgain) == 0)
    }

    @Test(arguments: [2, 3, 5])
    func stepDoesNotDependOnThreadCount(threads: Int) throws {
        let (model, p) = try Self.setUp(classes: 7)
        for execution in [PromptExecution.sharedPrefix, .padded(length: 24)] {
            model.execution = execution
            let one = KernelThreads.$override.withValue(1) { Self.step(model, p, pixels: Self.pixels(3, seed: 4), classes: 7) }
            let many = KernelThreads.$override.withValue(threads) {
                Self.step(model, p, pixels: Self.pixels(3, seed: 4), classes: 7)
            }
            #expect(Self.differing(one, many) == 0, "\(execution), \(threads) threads")
        }
    }
}
