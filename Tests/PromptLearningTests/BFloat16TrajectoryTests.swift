import Foundation
import Testing
import TestSupport
import CLIP
import Support
import Tensor
@testable import PromptLearning

/// CoCoOp on the fixture's CLIP with its towers' products in bfloat16 against the float64
/// reference and against the float32 run: bfloat16 keeps 8 significant bits (2^-9 relative
/// rounding), so the image features carry errors of a few 1e-3 (seen: 2.6e-3) where float32
/// is at 1e-6.
@Suite(.enabled(if: OneDNN.hasNativeBFloat16)) struct BFloat16TrajectoryTests {
    static func bf16Model() throws -> CLIPModel { try Fixtures.model().at(.bfloat16) }

    @Test func modelsArePerPrecisionAndShared() throws {
        let fp32 = try Fixtures.model()
        #expect(fp32.at(.float32) === fp32)
        let bf16 = fp32.at(.bfloat16)
        #expect(bf16.precision == .bfloat16 && fp32.at(.bfloat16) === bf16)
        #expect(bf16.weights === fp32.weights)
    }

    @Test func featuresLogitsAndGradientsWithinBFloat16Rounding() throws {
        let (model, p, features, labels, f) = try CoCoOpFixtureTests.setUp(.sharedPrefix, clip: try Self.bf16Model())
        let ef = normwiseError(features.buffer, try f.doubles("image_features"))
        #expect(ef > 1e-5 && ef < 1e-2, "image features: \(ef)")   // > 1e-5: bfloat16 did run
        let g = ParameterBuffer(layout: model.layout)
        let stats = model.step(imageFeatures: features, labels: labels, params: p, grads: g,
                               gradScale: 1 / Float(labels.count))
        // Logits are 10 x cosines of nearby directions, and the gradients differences of
        // softmax terms: both amplify the features' error (seen: 2.6e-2 and 0.6-1.7e-2).
        let el = normwiseError(stats.logits.buffer, try f.doubles("logits"))
        #expect(el < 5e-2, "logits: \(el)")
        for name in ["ctx"] + MetaNet.names {
            let err = normwiseError(g[name].buffer, try f.doubles("grad/" + name))
            #expect(err < 5e-2, "grad/\(name): \(err)")
        }
    }

    /// The fixture's three SGD steps (learning rate 0.5 after the warm-up step) in both
    /// precisions: the final parameters, and what the steps changed in them, agree to about
    /// 1e-2 (seen: 7.8e-3 and 9.7e-3).
    @Test func threeStepTrajectoryFollowsTheFloat32One() throws {
        func run(_ clip: CLIPModel) throws -> (initial: [Float], final: [Float]) {
            let (model, p, features, labels, _) = try CoCoOpFixtureTests.setUp(.sharedPrefix, clip: clip)
            let initial = Array(p.storage.buffer)
            let sgd = SGD(momentum: 0.9, weightDecay: 5e-4)
            let momentum = ParameterBuffer(layout: model.layout)
            for step in 0..<3 {
                let g = ParameterBuffer(layout: model.layout)
                _ = model.step(imageFeatures: features, labels: labels, params: p, grads: g,
                               gradScale: 1 / Float(labels.count))
                sgd.step(params: p.storage.data, grads: g.storage.data, momentumBuffer: momentum.storage.data,
                         count: model.layout.count, lr: step == 0 ? 1e-5 : 0.5, firstStep: step == 0)
            }
            return (initial, Array(p.storage.buffer))
        }
        let fp32 = try run(try Fixtures.model()), bf16 = try run(try Self.bf16Model())
        #expect(fp32.initial == bf16.initial)
        let params = normwiseError(bf16.final, fp32.final.map(Double.init))
        let change = normwiseError(zip(bf16.final, bf16.initial).map { $0 - $1 },
                                   zip(fp32.final, fp32.initial).map { Double($0 - $1) })
        #expect(params > 0 && params < 2e-2, "final parameters: \(params)")
        #expect(change < 3e-2, "parameter change: \(change)")
    }
}
