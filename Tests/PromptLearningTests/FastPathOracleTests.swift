import Foundation
import Testing
import TestSupport
import CLIP
import Tensor
@testable import PromptLearning

/// The shared-prefix fast path against the plain oracle (one full 77-token sequence per
/// (image, class)) on random CLIPs of several shapes, batch sizes and class counts.
@Suite struct FastPathOracleTests {
    static let names = ["tabby cat", "golden_retriever", "sea anemone", "ox", "Great Pyrenees dog",
                        "crane bird", "a very long class name with many words in it"]

    static func randomCLIP(width: Int, heads: Int, layers: Int, embed: Int, seed: UInt64) throws -> CLIPModel {
        let arch = CLIPArchitecture(embedDim: embed, imageResolution: 16, visionLayers: 1, visionWidth: 64,
                                    visionHeads: 1, visionPatchSize: 8, contextLength: 77, vocabSize: 49408,
                                    textWidth: width, textHeads: heads, textLayers: layers)
        return try TemporaryDirectory.with("cocoop-oracle") { dir in
            try RandomWeights.writeHuggingFaceFolder(architecture: arch, seed: seed, to: dir, dtype: .f32)
            return try CLIPModel(weights: CLIPWeights.load(from: dir))
        }
    }

    static func features(_ b: Int, _ e: Int, seed: UInt64) -> Tensor {
        var rng = ParameterRNG(seed: seed)
        return Tensor(shape: [b, e], values: (0..<(b * e)).map { _ in Float(rng.normal()) })
    }

    static func compare(_ run: (PromptExecution) -> (BatchStats, ParameterBuffer)) -> (Double, Double) {
        let (fast, gFast) = run(.sharedPrefix)
        let (slow, gSlow) = run(.padded(length: 77))
        let logitErr = normwiseError(fast.logits.buffer, slow.logits.buffer)
        let gradErr = normwiseError(gFast.storage.buffer, gSlow.storage.buffer)
        return (logitErr, gradErr)
    }

    @Test(arguments: [(64, 1, 2, 32), (128, 2, 1, 48), (192, 3, 2, 64)])
    func coCoOpFastPathEqualsOracle(shape: (Int, Int, Int, Int)) throws {
        let clip = try Self.randomCLIP(width: shape.0, heads: shape.1, layers: shape.2, embed: shape.3, seed: 11)
        let tok = try CLIPTokenizer.bundled()
        for (batch, classes) in [(1, 2), (3, 4), (2, 7)] {
            for ctxInit in ["", "a photo of a"] {
                let prompts = try ClassPrompts(classnames: Array(Self.names.prefix(classes)), nCtx: 3, ctxInit: ctxInit,
                                               tokenizer: tok)
                let model = CoCoOp(clip: clip, prompts: prompts)
                let p = try model.initialParameters(seed: 2, tokenizer: tok)
                for i in 0..<p.storage.count { p.storage.data[i] *= 10 }
                let f = Self.features(batch, shape.3, seed: 4)
                let labels = (0..<batch).map { Int32($0 % classes) }
                let (le, ge) = Self.compare { execution in
                    model.execution = execution
                    // The fast path also splits the batch into passes of at most one image.
                    model.maxRowsPerPass = execution == .sharedPrefix ? 1 : 1 << 30
                    let g = ParameterBuffer(layout: model.layout)
                    return (model.step(imageFeatures: f, labels: labels, params: p, grads: g,
                                       gradScale: 1 / Float(batch)), g)
                }
                #expect(le < 1e-5 && ge < 1e-4,
                        "shape \(shape) B=\(batch) C=\(classes) init '\(ctxInit)': logits \(le), grads \(ge)")
            }
        }
    }

    @Test(arguments: ClassTokenPosition.allCases)
    func coOpFastPathEqualsOracle(position: ClassTokenPosition) throws {
        let clip = try Self.randomCLIP(width: 64, heads: 2, layers: 2, embed: 32, seed: 12)
        let tok = try CLIPTokenizer.bundled()
        for csc in [false, true] {
            let prompts = try ClassPrompts(classnames: Array(Self.names.prefix(5)), nCtx: 4, ctxInit: "",
                                           tokenizer: tok)
            let model = CoOp(clip: clip, prompts: prompts, classSpecific: csc, position: position, tokenizer: tok)
            let p = try model.initialParameters(seed: 3, tokenizer: tok)
            for i in 0..<p.storage.count { p.storage.data[i] *= 10 }
            let f = Self.features(3, 32, seed: 5)
            let (le, ge) = Self.compare { execution in
                model.execution = execution
                let g = ParameterBuffer(layout: model.layout)
                return (model.step(imageFeatures: f, labels: [0, 4, 2], params: p, grads: g, gradScale: 1 / 3), g)
            }
            #expect(le < 1e-5 && ge < 1e-4, "\(position) csc \(csc): logits \(le), grads \(ge)")
        }
    }
}
