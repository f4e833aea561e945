import Foundation
import Testing
import TestSupport
import CLIP
import Support
import Tensor
@testable import PromptLearning

/// CoCoOp, CoOp and zero-shot CLIP against the float64 reference (fixtures/cocoop).
@Suite struct CoCoOpFixtureTests {
    static let classnames = ["Abyssinian", "american_bulldog", "great_pyrenees", "Egyptian_Mau",
                             "staffordshire_bull_terrier"]

    /// The CoCoOp model of the fixture with its initial parameters, and the batch features
    /// (on the fixture's float32 CLIP, or on `clip`).
    static func setUp(_ execution: PromptExecution, clip: CLIPModel? = nil)
        throws -> (CoCoOp, ParameterBuffer, Tensor, [Int32], SafetensorsFile) {
        let clip = try clip ?? Fixtures.model()
        let tok = try CLIPTokenizer.bundled()
        let prompts = try ClassPrompts(classnames: Self.classnames, nCtx: 4, ctxInit: "a photo of a", tokenizer: tok)
        let model = CoCoOp(clip: clip, prompts: prompts)
        model.execution = execution
        let f = try Fixtures.file("cocoop/cocoop.safetensors")
        let p = try model.initialParameters(seed: 0, tokenizer: tok)
        for name in ["ctx"] + MetaNet.names {
            let v = try f.floats("input/" + name)
            p[name].data.update(from: v, count: v.count)
        }
        let images = try f.tensor("input/images")
        let labels = try f.int64s("input/labels").map { Int32($0) }
        return (model, p, clip.vision.encode(pixels: images), labels, f)
    }

    @Test func promptsMatchTheReference() throws {
        let tok = try CLIPTokenizer.bundled()
        let prompts = try ClassPrompts(classnames: Self.classnames, nCtx: 16, ctxInit: "a photo of a", tokenizer: tok)
        let f = try Fixtures.file("cocoop/cocoop.safetensors")
        #expect(prompts.nCtx == 4)
        #expect(prompts.tokenized.flatMap { $0 }.map(Int64.init) == (try f.int64s("input/tokenized_prompts")))
        #expect(prompts.eotIndices == [9, 8, 8, 8, 9])
    }

    @Test func initialContextIsTheInitTextEmbedding() throws {
        let (model, _, _, _, f) = try Self.setUp(.sharedPrefix)
        let p = try model.initialParameters(seed: 1, tokenizer: try CLIPTokenizer.bundled())
        #expect(normwiseError(p["ctx"].buffer, try f.doubles("input/ctx")) == 0)
    }

    @Test(arguments: [PromptExecution.sharedPrefix, .padded(length: 77)])
    func logitsLossAndGradients(execution: PromptExecution) throws {
        let (model, p, features, labels, f) = try Self.setUp(execution)
        #expect(normwiseError(features.buffer, try f.doubles("image_features")) < 1e-5)
        let g = ParameterBuffer(layout: model.layout)
        let stats = model.step(imageFeatures: features, labels: labels, params: p, grads: g,
                               gradScale: 1 / Float(labels.count))
        #expect(normwiseError(stats.logits.buffer, try f.doubles("logits")) < 1e-5)
        let loss = stats.lossSum / Double(labels.count), ref = try f.doubles("loss")[0]
        #expect(abs(loss - ref) / ref < 1e-5)
        for name in ["ctx"] + MetaNet.names {
            let err = normwiseError(g[name].buffer, try f.doubles("grad/" + name))
            #expect(err < 1e-5, "grad/\(name): \(err)")
        }
    }

    @Test func evaluationLogitsInChunksEqualTheTrainingForward() throws {
        let (model, p, features, labels, f) = try Self.setUp(.sharedPrefix)
        for chunk in [1, 2, 5, 10, 15] {   // 10 and 15: two and three images per pass
            let logits = model.logits(imageFeatures: features, params: p, classChunk: chunk)
            #expect(normwiseError(logits.buffer, try f.doubles("logits")) < 1e-5, "chunk \(chunk)")
        }
        _ = labels
    }

    @Test func threeStepSGDTrajectory() throws {
        let (model, p, features, labels, f) = try Self.setUp(.sharedPrefix)
        let sgd = SGD(momentum: 0.9, weightDecay: 5e-4)
        let schedule = LRSchedule(baseLR: 0.5, kind: .cosine, maxEpoch: 10, warmup: .constant(lr: 1e-5),
                                  warmupEpochs: 1, warmupRecount: true)
        let momentum = ParameterBuffer(layout: model.layout)
        for step in 0..<3 {
            let g = ParameterBuffer(layout: model.layout)
            let stats = model.step(imageFeatures: features, labels: labels, params: p, grads: g,
                                   gradScale: 1 / Float(labels.count))
            let ref = try f.doubles("traj/\(step)/loss")[0]
            #expect(abs(stats.lossSum / 3 - ref) / ref < 1e-5, "loss at step \(step)")
            sgd.step(params: p.storage.data, grads: g.storage.data, momentumBuffer: momentum.storage.data,
                     count: model.layout.count, lr: Float(schedule.lr(epoch: step)), firstStep: step == 0)
            for name in ["ctx"] + MetaNet.names {
                let ep = normwiseError(p[name].buffer, try f.doubles("traj/\(step)/param/\(name)"))
                let em = normwiseError(momentum[name].buffer, try f.doubles("traj/\(step)/momentum/\(name)"))
                #expect(ep < 1e-5 && em < 1e-4, "step \(step) \(name): param \(ep), momentum \(em)")
            }
        }
    }

    @Test func coopLogitsLossAndGradient() throws {
        let clip = try Fixtures.model()
        let tok = try CLIPTokenizer.bundled()
        let prompts = try ClassPrompts(classnames: Self.classnames, nCtx: 2, ctxInit: "", tokenizer: tok)
        let f = try Fixtures.file("cocoop/coop.safetensors")
        #expect(prompts.tokenized.flatMap { $0 }.map(Int64.init) == (try f.int64s("input/tokenized_prompts")))
        for execution in [PromptExecution.sharedPrefix, .padded(length: 77)] {
            let model = CoOp(clip: clip, prompts: prompts, classSpecific: false, position: .end, tokenizer: tok)
            model.execution = execution
            let p = ParameterBuffer(layout: model.layout)
            let ctx = try f.floats("input/ctx")
            p["ctx"].data.update(from: ctx, count: ctx.count)
            let features = clip.vision.encode(pixels: try f.tensor("input/images"))
            let labels = try f.int64s("input/labels").map { Int32($0) }
            let g = ParameterBuffer(layout: model.layout)
            let stats = model.step(imageFeatures: features, labels: labels, params: p, grads: g,
                                   gradScale: 1 / Float(labels.count))
            #expect(normwiseError(stats.logits.buffer, try f.doubles("logits")) < 1e-5)
            let ref = try f.doubles("loss")[0]
            #expect(abs(stats.lossSum / 3 - ref) / abs(ref) < 1e-5)
            #expect(normwiseError(g["ctx"].buffer, try f.doubles("grad/ctx")) < 1e-5)
        }
    }

    @Test func zeroShotLogits() throws {
        let clip = try Fixtures.model()
        let f = try Fixtures.file("cocoop/zeroshot.safetensors")
        let zs = try ZeroShotClassifier(clip: clip, classnames: Self.classnames, tokenizer: try CLIPTokenizer.bundled())
        let logits = zs.logits(imageFeatures: clip.vision.encode(pixels: try f.tensor("input/images")))
        #expect(normwiseError(logits.buffer, try f.doubles("logits")) < 1e-5)
    }

    @Test func perEpochLearningRatesOfTheCoCoOpConfig() throws {
        let json = try Fixtures.json("cocoop/cocoop.json")
        let cfg = json["lr_schedule_real_config"] as! [String: Any]
        let schedule = LRSchedule(baseLR: 0.002, kind: .cosine, maxEpoch: 10, warmup: .constant(lr: 1e-5),
                                  warmupEpochs: 1, warmupRecount: true)
        for row in cfg["per_epoch"] as! [[String: Any]] {
            let e = row["epoch"] as! Int, lr = row["lr"] as! Double
            #expect(abs(schedule.lr(epoch: e) - lr) <= 1e-15, "epoch \(e)")
        }
    }
}

/// Every Dassl schedule kind x warm-up type x WARMUP_RECOUNT against Dassl's own scheduler
/// (Tests/Fixtures/lr_schedules.json, made by Scripts/gen_lr_fixture.py).
@Suite struct LRScheduleTests {
    @Test func matchesDasslForEveryKindAndWarmup() throws {
        let json = try Fixtures.json("lr_schedules.json")
        let cases = json["cases"] as! [[String: Any]]
        #expect(cases.count == 15)
        for c in cases {
            let cfg = c["config"] as! [String: Any]
            let kind: LRSchedule.Kind
            switch cfg["LR_SCHEDULER"] as! String {
            case "cosine": kind = .cosine
            case "single_step": kind = .singleStep(stepSize: cfg["STEPSIZE"] as! Int)
            default: kind = .multiStep(milestones: cfg["STEPSIZE"] as! [Int])
            }
            let warmup: LRSchedule.Warmup
            switch cfg["WARMUP_TYPE"] as! String {
            case "constant": warmup = .constant(lr: cfg["WARMUP_CONS_LR"] as! Double)
            case "linear": warmup = .linear(minLR: cfg["WARMUP_MIN_LR"] as! Double)
            default: warmup = .none
            }
            let s = LRSchedule(baseLR: cfg["LR"] as! Double, kind: kind, gamma: cfg["GAMMA"] as! Double,
                               maxEpoch: cfg["MAX_EPOCH"] as! Int, warmup: warmup,
                               warmupEpochs: cfg["WARMUP_EPOCH"] as! Int,
                               warmupRecount: cfg["WARMUP_RECOUNT"] as! Bool)
            for (e, lr) in (c["lr_per_epoch"] as! [Double]).enumerated() {
                #expect(abs(s.lr(epoch: e) - lr) <= 1e-15 * max(1, lr) + 1e-18, "\(cfg) epoch \(e)")
            }
        }
    }
}
