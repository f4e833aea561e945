import CLIP
import Config
import Foundation
import PromptLearning
import Support
import Tensor
import TestSupport
import Testing
@testable import Training

/// CoOp with Configs/trainers/CoOp/rn50_ep50.yaml on the tiny ResNet CLIP: three epochs of
/// four images (one step each) against the float64 reference of
/// Scripts/gen_resnet_coop_fixture.py (Tests/Fixtures/resnet/coop_rn50.safetensors), whose
/// image features are those of OpenAI's ModifiedResNet in the shared fixtures and whose text
/// side is checked there against OpenAI's encode_text. Here the image features come from our
/// ResNet tower, the learner, schedule and optimizer from the config as `cocoop train` builds them.
@Suite struct CoOpResNetTrajectoryTests {
    static let fixtures = Cocoop.fixtures.appendingPathComponent("resnet")
    static let weights = Cocoop.sharedFixtures.appendingPathComponent("resnet/clip_rn_openai.safetensors")

    @Test func followsTheFloat64Reference() throws {
        let reference = try SafetensorsFile(url: Self.fixtures.appendingPathComponent("coop_rn50.safetensors"))
        let inputs = try SafetensorsFile(url: Self.fixtures.appendingPathComponent("features.safetensors"))
        var config = RunConfig()
        try config.merge(yamlFile: Cocoop.packageRoot.appendingPathComponent("Configs/trainers/CoOp/rn50_ep50.yaml"))
        try config.applyCommandLine(trainer: "CoOp")
        let clip = try CLIPModel(contentsOf: Self.weights)
        #expect(clip.weights.architecture.backboneMismatch(named: config.model.backbone.name) == nil)
        let classnames = try JSONDecoder().decode([String].self,
                                                  from: Data(reference.metadata["classnames", default: ""].utf8))
        let tokenizer = try CLIPTokenizer.bundled()
        let learner = try #require(try RunSetup.makeLearner(config: config, clip: clip, classnames: classnames,
                                                            tokenizer: tokenizer) as? CoOp)
        #expect(learner.prompts.nCtx == 16 && !learner.classSpecific && learner.position == .end)
        let tokenized = learner.prompts.tokenized.flatMap { $0 }.map(Int64.init)
        #expect(tokenized == (try reference.int64s("input/tokenized_prompts")))
        let params = ParameterBuffer(layout: learner.layout), momentum = ParameterBuffer(layout: learner.layout)
        let ctx = try reference.floats("input/ctx")
        params["ctx"].data.update(from: ctx, count: ctx.count)
        let initial = params["ctx"].array
        let pixels = Tensor(shape: try inputs.shape("input/pixels"), values: try inputs.floats("input/pixels"))
        let features = clip.vision.encode(pixels: pixels)
        let labels = try reference.int64s("input/labels").map(Int32.init)
        let schedule = RunSetup.schedule(config), sgd = RunSetup.optimizer(config)
        let lrs = try reference.doubles("input/lr")
        for (step, lr) in lrs.enumerated() {
            #expect(abs(schedule.lr(epoch: step) - lr) <= 1e-15 * lr,
                    "epoch \(step): \(schedule.lr(epoch: step)) vs \(lr)")
            let grads = ParameterBuffer(layout: learner.layout)
            let stats = learner.step(imageFeatures: features, labels: labels, params: params, grads: grads,
                                     gradScale: 1 / Float(labels.count))
            if step == 0 {
                #expect(normwiseError(stats.logits.array, try reference.doubles("logits")) < 1e-5)
                #expect(normwiseError(grads["ctx"].array, try reference.doubles("grad/ctx")) < 1e-5)
            }
            let loss = stats.lossSum / Double(labels.count), refLoss = try reference.doubles("traj/\(step)/loss")[0]
            #expect(abs(loss - refLoss) / refLoss < 1e-5, "loss at step \(step): \(loss) vs \(refLoss)")
            sgd.step(params: params.storage.data, grads: grads.storage.data, momentumBuffer: momentum.storage.data,
                     count: learner.layout.count, lr: Float(schedule.lr(epoch: step)), firstStep: step == 0)
            let p = try reference.doubles("traj/\(step)/param/ctx")
            let m = try reference.doubles("traj/\(step)/momentum/ctx")
            let ep = normwiseError(params["ctx"].array, p), em = normwiseError(momentum["ctx"].array, m)
            #expect(ep < 1e-4 && em < 1e-4, "step \(step): param \(ep), momentum \(em)")
        }
        // What training moved, not only where it ended: the displacement from the start.
        let moved = zip(params["ctx"].array, initial).map { Float($0 - $1) }
        let start = try reference.doubles("input/ctx")
        let refMoved = zip(try reference.doubles("traj/2/param/ctx"), start).map { $0 - $1 }
        #expect(normwiseError(moved, refMoved) < 1e-4, "displacement: \(normwiseError(moved, refMoved))")
    }
}
