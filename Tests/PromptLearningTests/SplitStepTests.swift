import Foundation
import Testing
import CLIP
import Tensor
@testable import PromptLearning

/// A step split over N ranks' shares (each share's forward, the logits gathered, the loss
/// everywhere, each share's backward, the gradients summed) equals the whole step within
/// fp32 rounding, for CoCoOp and CoOp, any batch and class count, any number of ranks.
@Suite(.serialized) struct SplitStepTests {
    /// 19 class names of different token lengths.
    static let names = FastPathOracleTests.names + ["cat", "dog", "hot-air balloon", "sunflower", "Komodo dragon",
                                                    "red fox", "airliner", "Persian", "tree frog", "laptop",
                                                    "ladybug", "sports car"]

    static let clip = Result { try FastPathOracleTests.randomCLIP(width: 64, heads: 4, layers: 2, embed: 32, seed: 11) }

    static func learners(classes: Int) throws -> [(String, PromptLearner, ParameterBuffer)] {
        let clip = try Self.clip.get(), tok = try CLIPTokenizer.bundled()
        let prompts = try ClassPrompts(classnames: Array(names.prefix(classes)), nCtx: 4, ctxInit: "a photo of a",
                                       tokenizer: tok)
        let cocoop = CoCoOp(clip: clip, prompts: prompts)
        let coop = CoOp(clip: clip, prompts: prompts, classSpecific: false, position: .end, tokenizer: tok)
        let csc = CoOp(clip: clip, prompts: try ClassPrompts(classnames: Array(names.prefix(classes)), nCtx: 2,
                                                             ctxInit: "", tokenizer: tok),
                       classSpecific: true, position: .middle, tokenizer: tok)
        let all: [(String, PromptLearner)] = [("CoCoOp", cocoop), ("CoOp", coop), ("CoOp CSC middle", csc)]
        return try all.map { name, learner in
            let p = try learner.initialParameters(seed: 3, tokenizer: tok)
            for i in 0..<p.storage.count { p.storage.data[i] *= 5 }   // far from the init: larger gradients
            return (name, learner, p)
        }
    }

    static func normwise(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a, b) { num = max(num, Double(abs(x - y))); den = max(den, Double(abs(y))) }
        return den == 0 ? num : num / den
    }

    /// The split step of `learner` over `parts` shares: logits, loss sum, hits, gradient.
    static func split(_ learner: PromptLearner, _ p: ParameterBuffer, features: Tensor, labels: [Int32],
                      parts: Int) -> (logits: [Float], loss: Double, correct: Int, grads: [Float]) {
        let b = features.shape[0]
        let shares = learner.partition(images: b, parts: parts)
        let forwards = shares.map { learner.shareForward(imageFeatures: features, share: $0, params: p, training: true) }
        let all = forwards.flatMap(\.logits)
        let logits = all.withUnsafeBufferPointer { learner.stepLogits($0.baseAddress!, images: b) }
        let (stats, dlogits) = stepLoss(logits: logits, labels: labels, gradScale: 1 / Float(b))
        let grads = ParameterBuffer(layout: learner.layout)
        for f in forwards { learner.shareBackward(f, dlogits: dlogits, params: p, grads: grads) }
        return (logits.array, stats.lossSum, stats.correct, grads.storage.array)
    }

    @Test(arguments: [1, 7, 19])
    func splitEqualsWhole(classes: Int) throws {
        for (name, learner, p) in try Self.learners(classes: classes) {
            for b in [1, 2, 5] {
                let features = Tensor(shape: [b, 32], values: (0..<(b * 32)).map { Float(sin(Double($0) * 0.7)) })
                let labels = (0..<b).map { Int32(($0 * 5 + 3) % classes) }
                let whole = ParameterBuffer(layout: learner.layout)
                let ref = learner.step(imageFeatures: features, labels: labels, params: p, grads: whole,
                                       gradScale: 1 / Float(b))
                for parts in [1, 2, 3, 4] {
                    let s = Self.split(learner, p, features: features, labels: labels, parts: parts)
                    let at = "\(name), B \(b), C \(classes), \(parts) shares"
                    #expect(Self.normwise(s.logits, ref.logits.array) < 1e-5, "\(at): logits")
                    #expect(abs(s.loss - ref.lossSum) <= 1e-5 * max(1, abs(ref.lossSum)), "\(at): loss")
                    #expect(s.correct == ref.correct, "\(at): top-1")
                    let e = Self.normwise(s.grads, whole.storage.array)
                    #expect(e < 1e-5, "\(at): gradient \(e)")
                    // One class: the softmax is 1 whatever the logits, so the gradient is exactly 0.
                    #expect(whole.storage.array.contains { $0 != 0 } == (classes > 1), "\(at): gradient zero?")
                }
            }
        }
    }

    @Test func partitionsAreContiguousCompleteAndBalanced() {
        // 3 groups x 5 classes of different costs over 1...8 parts.
        let costs: [Double] = [3, 1, 4, 1, 5]
        for parts in 1...8 {
            let shares = StepPartition.split(groups: 3, classCosts: costs, prefixCost: 2, parts: parts)
            #expect(shares.count == parts)
            var units: [Int] = []
            for s in shares { for part in s.parts { units += part.classes.map { part.group * 5 + $0 } } }
            #expect(units == Array(0..<15), "\(parts) parts: every unit once, in order")
            let loads = shares.map { s in s.parts.reduce(0.0) { acc, part in
                acc + part.classes.reduce(0.0) { $0 + costs[$1] + ($1 == 0 ? 2 : 0) } } }
            #expect(loads.max()! - loads.min()! <= 7 + 1e-9, "\(parts) parts: \(loads)")
        }
        // One unit over four ranks: one share holds it, the others are empty.
        let one = StepPartition.split(groups: 1, classCosts: [1], prefixCost: 1, parts: 4).map(\.units)
        #expect(one.reduce(0, +) == 1 && one.filter { $0 == 0 }.count == 3)
    }
}
