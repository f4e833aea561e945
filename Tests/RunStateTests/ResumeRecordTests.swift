import Checkpoint
import Config
import Foundation
import HDF5
import Testing
import TestSupport
@testable import RunState

/// A resolved CoCoOp configuration as a run would hold it.
func cocoopConfig(lr: Double = 0.002, batch: Int = 1) throws -> RunConfig {
    var c = RunConfig.defaults
    try c.merge(overrides: ["TRAINER.NAME", "CoCoOp", "SEED", "2", "OPTIM.LR", "\(lr)",
                            "DATALOADER.TRAIN_X.BATCH_SIZE", "\(batch)", "DATASET.NAME", "OxfordPets"])
    return c
}

/// A record in the middle of epoch 2, with a best validation.
func sampleRecord() throws -> ResumeRecord {
    ResumeRecord(epoch: 2, stepInEpoch: 3, globalStep: 23, momentumInitialized: true, worldSize: 4,
                 trainer: .cocoop, clipWeightsSHA256: String(repeating: "ab", count: 32), config: try cocoopConfig(),
                 classnames: ["cat", "dog"], best: .init(accuracy: 81.25, epoch: 2, step: 20))
}

let sampleTensors = [NamedTensor(name: "ctx", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])]


@Suite("ResumeRecord: the run state a checkpoint records")
struct ResumeRecordTests {
    @Test("written into a checkpoint file and read back, every field survives")
    func roundTrip() throws {
        let scratch = try TemporaryDirectory("cocoop-runstate")
        let record = try sampleRecord()
        let file = scratch.url.appendingPathComponent("c.h5")
        try Checkpoint.save(record.contents(params: sampleTensors, momentum: sampleTensors, softwareVersion: "t"),
                            to: file)
        let loaded = try Checkpoint.load(from: file)
        #expect(try ResumeRecord(reading: loaded, file: file.path) == record)
        // The schema version 1 names, as README documents them.
        #expect(loaded.extraAttributes["step_in_epoch"] == .int64(3))
        #expect(loaded.extraAttributes["momentum_initialized"] == .int64(1))
        #expect(loaded.extraAttributes["trainer"] == .string("CoCoOp"))
        #expect(loaded.metrics["best_val/accuracy"] == .scalar(81.25))
        #expect(loaded.epoch == 2 && loaded.step == 23 && loaded.worldSize == 4 && loaded.seed == 2)
    }

    @Test("a version-1 file without the optional attributes reads with the old defaults")
    func olderFiles() throws {
        var c = try sampleRecord().contents(params: sampleTensors, momentum: sampleTensors, softwareVersion: "t")
        c.extraAttributes = [:]
        c.metrics = [:]
        let r = try ResumeRecord(reading: c, file: "old.h5")
        #expect(r.stepInEpoch == 0 && r.momentumInitialized && r.trainer == .cocoop && r.best == nil)
    }

    @Test("out-of-range or mistyped attributes are refused, naming the file and the attribute")
    func badAttributes() throws {
        let good = try sampleRecord().contents(params: sampleTensors, momentum: sampleTensors, softwareVersion: "t")
        let cases: [(String, (inout CheckpointContents) -> Void)] = [
            ("step_in_epoch", { $0.extraAttributes["step_in_epoch"] = .int64(-1) }),
            ("step_in_epoch", { $0.extraAttributes["step_in_epoch"] = .int64(999) }),
            ("step_in_epoch", { $0.extraAttributes["step_in_epoch"] = .string("3") }),
            ("momentum_initialized", { $0.extraAttributes["momentum_initialized"] = .int64(2) }),
            ("trainer", { $0.extraAttributes["trainer"] = .string("CoCoOP") }),
            ("epoch", { $0.epoch = -1 }),
            ("step", { $0.step = -5 }),
            ("world_size", { $0.worldSize = 0 }),
            ("best_val/epoch", { $0.metrics["best_val/epoch"] = .scalar(1.5) }),
        ]
        for (name, damage) in cases {
            var c = good
            damage(&c)
            do {
                _ = try ResumeRecord(reading: c, file: "/runs/x.h5")
                Issue.record("\(name): accepted")
            } catch let CheckpointError.inconsistent(file, reason) {
                #expect(file == "/runs/x.h5" && reason.contains(name), "\(name): \(reason)")
            }
        }
        var c = good
        c.configYAML = "OPTIM:\n  LRR: 1\n"
        #expect(throws: ConfigError.self) { try ResumeRecord(reading: c, file: "/runs/x.h5") }
    }

    @Test("loadNewestValid skips a newer checkpoint whose record does not read")
    func newestWithReadableRecord() throws {
        let scratch = try TemporaryDirectory("cocoop-runstate")
        let folder = CheckpointDirectory(scratch.url)
        var older = try sampleRecord()
        older.globalStep = 10
        older.stepInEpoch = 0
        try folder.save(older.contents(params: sampleTensors, momentum: sampleTensors, softwareVersion: "t"))
        var newer = try sampleRecord().contents(params: sampleTensors, momentum: sampleTensors, softwareVersion: "t")
        newer.extraAttributes["trainer"] = .string("Nope")
        try folder.save(newer)
        let result = try folder.loadNewestValid { c, e in try ResumeRecord(reading: c, file: e.url.path) }
        #expect(result.loaded?.accepted.globalStep == 10)
        #expect(result.skipped.map(\.entry.step) == [23])
        #expect(result.warnings.first?.contains("trainer") == true)
        #expect(try folder.loadNewestValid(epoch: 7).loaded == nil)
    }
}
