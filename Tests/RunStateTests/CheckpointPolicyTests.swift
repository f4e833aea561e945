import Checkpoint
import Config
import Foundation
import PromptLearning
import Testing
@testable import RunState

@Suite("CheckpointPolicy: one table of checks for every use of a checkpoint")
struct CheckpointPolicyTests {
    /// A run that matches `sampleRecord()` in everything.
    func matchingRun() throws -> CheckpointPolicy.Run {
        CheckpointPolicy.Run(clipWeightsSHA256: { String(repeating: "ab", count: 32) }, weightsPath: "/w/clip",
                             trainer: .cocoop, classnames: [["cat", "dog"]],
                             settings: SettingsFingerprint(try cocoopConfig()))
    }

    /// Which uses refuse `record` for `run`.
    func refusals(_ run: CheckpointPolicy.Run) throws -> [CheckpointUse] {
        let record = try sampleRecord()
        return CheckpointUse.allCases.filter { use in
            do {
                try CheckpointPolicy.check(record, file: "/c.h5", for: use, run: run)
                return false
            } catch {
                return true
            }
        }
    }

    @Test("each difference is refused exactly by the uses whose row checks it")
    func table() throws {
        #expect(try refusals(matchingRun()).isEmpty)
        var weights = try matchingRun()
        weights.clipWeightsSHA256 = { String(repeating: "cd", count: 32) }
        #expect(try refusals(weights) == [.resume, .evaluate, .predict])
        var trainer = try matchingRun()
        trainer.trainer = .coop
        #expect(try refusals(trainer) == [.resume, .evaluate])
        var classes = try matchingRun()
        classes.classnames = [["dog", "cat"]]
        #expect(try refusals(classes) == [.resume])
        var settings = try matchingRun()
        settings.settings = SettingsFingerprint(try cocoopConfig(lr: 0.5))
        #expect(try refusals(settings) == [.resume])
    }

    @Test("evaluating a checkpoint of other CLIP weights names both hashes and the weights")
    func otherWeights() throws {
        var run = try matchingRun()
        run.clipWeightsSHA256 = { String(repeating: "cd", count: 32) }
        #expect(throws: RunStateError.incompatible(
            file: "/c.h5", use: .evaluate,
            reason: "it was trained on other CLIP weights (sha256 \(String(repeating: "ab", count: 32))); "
                + "/w/clip has sha256 \(String(repeating: "cd", count: 32))")) {
            try CheckpointPolicy.check(try sampleRecord(), file: "/c.h5", for: .evaluate, run: run)
        }
    }

    @Test("the CLIP weights are hashed only for the uses that check them")
    func lazyHash() throws {
        var run = try matchingRun()
        run.clipWeightsSHA256 = { throw CocoaError(.fileReadNoPermission) }
        try CheckpointPolicy.check(try sampleRecord(), file: "/c.h5", for: .initWeights, run: run)
        #expect(throws: CocoaError.self) {
            try CheckpointPolicy.check(try sampleRecord(), file: "/c.h5", for: .resume, run: run)
        }
    }

    @Test("the settings fingerprint names the groups that differ and ignores the rest")
    func fingerprint() throws {
        let base = try cocoopConfig()
        var other = base
        other.outputDir = "/elsewhere"
        other.runtime.checkpoint.keep = 9
        other.dataloader.numWorkers = 1
        #expect(SettingsFingerprint(other).differences(from: SettingsFingerprint(base)).isEmpty)
        other.optim.lr = 0.1
        other.dataloader.trainX.batchSize = 8
        other.dataset.numShots = 4
        #expect(SettingsFingerprint(other).differences(from: SettingsFingerprint(base))
                    == ["OPTIM", "DATASET", "DATALOADER.TRAIN_X.BATCH_SIZE"])
    }

    @Test("restoring names the tensor that is missing or has another shape")
    func layout() throws {
        let state = TrainingState(params: ParameterBuffer(layout: ParameterLayout([("ctx", [2, 3])])))
        let c = try sampleRecord().contents(params: sampleTensors, momentum: sampleTensors, softwareVersion: "t")
        try state.restore(from: c, record: try sampleRecord(), file: "/c.h5", use: .resume)
        #expect(state.params["ctx"].array == [1, 2, 3, 4, 5, 6] && state.globalStep == 23 && state.best?.epoch == 2)
        let wide = ParameterLayout([("ctx", [3, 2])])
        #expect(throws: RunStateError.incompatible(file: "/c.h5", use: .evaluate,
                                                   reason: "ctx has shape [2, 3], this run needs [3, 2]")) {
            try TrainingState.parameters(of: c, layout: wide, file: "/c.h5", use: .evaluate)
        }
        let meta = ParameterLayout([("ctx", [2, 3]), ("meta_net.linear1.weight", [1, 1])])
        #expect(throws: RunStateError.incompatible(file: "/c.h5", use: .predict,
                                                   reason: "it has no tensor meta_net/linear1/weight")) {
            try TrainingState.parameters(of: c, layout: meta, file: "/c.h5", use: .predict)
        }
    }
}
