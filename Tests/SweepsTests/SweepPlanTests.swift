import Foundation
import Sweeps
import Testing

@Suite("Expanding a sweep into trials and tasks")
struct SweepPlanTests {
    static let cfg = "vit_b16_c4_ep10_batch1_ctxv1"

    @Test("base2new: datasets x shots x seeds, each task a train_base then its test_new")
    func base2new() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let plan = try SweepPlan(spec: sweepSpec("""
            pipeline: base2new
            output_root: \(out.path)
            \(base("overrides: {OPTIM.MAX_EPOCH: 3}"))
            axes:
              datasets: [oxford_pets, dtd]
              shots: [2, 4]
              seeds: [1, 2]
            """))
        #expect(plan.trials.count == 16 && plan.tasks.count == 8 && plan.phases.count == 1)
        // Grid order: datasets, then shots, then seeds innermost.
        let trains = plan.tasks.map { plan.trials[$0.trials[0]] }
        #expect(trains.map(\.dataset) == ["oxford_pets", "oxford_pets", "oxford_pets", "oxford_pets",
                                          "dtd", "dtd", "dtd", "dtd"])
        #expect(trains.map(\.shots) == [2, 2, 4, 4, 2, 2, 4, 4])
        #expect(trains.map(\.seed) == [1, 2, 1, 2, 1, 2, 1, 2])
        for task in plan.tasks {
            #expect(task.trials.count == 2 && task.phase == 0)
            let train = plan.trials[task.trials[0]], test = plan.trials[task.trials[1]]
            #expect(train.stage == .trainBase && !train.evalOnly && train.dependency == nil && train.loadEpoch == nil)
            #expect(test.stage == .testNew && test.evalOnly && test.dependency == train.index && test.loadEpoch == 3)
            #expect(train.config.dataset.subsampleClasses == .base && test.config.dataset.subsampleClasses == .new)
            #expect(train.config.seed == train.seed && train.config.dataset.numShots == train.shots)
            #expect(train.config.outputDir == train.outputDir.path)
            #expect(train.outputDir.path == out.appendingPathComponent(train.relativePath).path)
        }
        #expect(plan.trials[1].relativePath == "base2new/test_new/oxford_pets/shots_2/CoCoOp/\(Self.cfg)/seed1")
        #expect(plan.trial(atRelativePath: "base2new/train_base/dtd/shots_4/CoCoOp/\(Self.cfg)/seed2")?.index == 14)
        #expect(plan.trials[0].config.dataset.name == "OxfordPets")
        #expect(plan.trials[15].config.dataset.name == "DescribableTextures")
        let options = plan.trials[1].options(weights: URL(fileURLWithPath: "/w"), modelDir: plan.trials[0].outputDir)
        #expect(options.evalOnly && options.loadEpoch == 3 && options.resume == .auto)
        #expect(options.modelDir == plan.trials[0].outputDir)
    }

    @Test("cross_dataset: phase 0 trains on the source, phase 1 evaluates each target; config axes add a folder")
    func crossDataset() throws {
        let plan = try SweepPlan(spec: sweepSpec("""
            pipeline: cross_dataset
            output_root: /out
            source: imagenet
            \(base("shots: 16\nload_epoch: 2"))
            axes:
              datasets: [caltech101, oxford_pets]
              OPTIM.LR: [0.002, 0.004]
            """))
        let phases = plan.phases
        #expect(phases.count == 2 && phases[0].count == 2 && phases[1].count == 4)
        let sources = phases[0].map { plan.trials[$0.trials[0]] }
        #expect(sources.map(\.relativePath) == ["imagenet/CoCoOp/\(Self.cfg)_16shots/OPTIM.LR=0.002/seed1",
                                                "imagenet/CoCoOp/\(Self.cfg)_16shots/OPTIM.LR=0.004/seed1"])
        #expect(sources.map(\.config.optim.lr) == [0.002, 0.004])
        #expect(sources.map(\.variant) == ["OPTIM.LR=0.002", "OPTIM.LR=0.004"])
        let last = plan.trials[phases[1][3].trials[0]]
        #expect(last.relativePath == "evaluation/CoCoOp/\(Self.cfg)_16shots/OPTIM.LR=0.004/oxford_pets/seed1")
        #expect(last.stage == .evaluate && last.evalOnly && last.loadEpoch == 2)
        #expect(last.dependency == sources[1].index)
        #expect(last.config.optim.lr == 0.004 && last.config.dataset.subsampleClasses == .all)
    }

    @Test("two trials in one folder, or a trial that would write no results, fail the plan")
    func badPlans() throws {
        let duplicates = "pipeline: train\n\(base())axes: {datasets: [dtd], TRAIN.PRINT_FREQ: [5, 5]}\n"
        let duplicate = #expect(throws: SweepError.self) { try SweepPlan(spec: sweepSpec(duplicates)) }
        guard case .duplicateTrialFolder(let path)? = duplicate else {
            Issue.record("\(String(describing: duplicate))"); return
        }
        #expect(path == "dtd/CoCoOp/\(Self.cfg)_-1shots/TRAIN.PRINT_FREQ=5/seed1")

        let noTest = "pipeline: train\n\(base("overrides: {TEST.NO_TEST: True}"))axes: {datasets: [dtd]}\n"
        let noTestError = #expect(throws: (any Error).self) { try SweepPlan(spec: sweepSpec(noTest)) }
        #expect(noTestError.map { "\($0)" }?.contains("TEST.NO_TEST is True for dtd/") == true)

        let badValue = "pipeline: train\n\(base())axes: {datasets: [dtd], OPTIM.MAX_EPOCH: [1, two]}\n"
        let badValueError = #expect(throws: (any Error).self) { try SweepPlan(spec: sweepSpec(badValue)) }
        #expect(badValueError.map { "\($0)" }?.contains("OPTIM.MAX_EPOCH") == true,
                "\(String(describing: badValueError))")
    }

    @Test("a TRAINER.NAME axis is CoOp's <Trainer> folder level; CoOp train trials get main.sh's nctx_csc_ctp level")
    func trainerLevel() throws {
        let plan = try SweepPlan(spec: sweepSpec("""
            pipeline: base2new
            output_root: /out
            \(base("shots: 16"))
            axes:
              datasets: [oxford_pets]
              TRAINER.NAME: [CoCoOp, CoOp]
            """))
        #expect(plan.trials.map(\.relativePath) == [
            "base2new/train_base/oxford_pets/shots_16/CoCoOp/\(Self.cfg)/seed1",
            "base2new/test_new/oxford_pets/shots_16/CoCoOp/\(Self.cfg)/seed1",
            "base2new/train_base/oxford_pets/shots_16/CoOp/\(Self.cfg)/seed1",
            "base2new/test_new/oxford_pets/shots_16/CoOp/\(Self.cfg)/seed1",
        ])
        #expect(plan.trials.map(\.config.trainer.name) == [.cocoop, .cocoop, .coop, .coop])
        // The summary keeps the trainers apart.
        #expect(plan.trials.map(\.variant) == ["TRAINER.NAME=CoCoOp", "TRAINER.NAME=CoCoOp",
                                              "TRAINER.NAME=CoOp", "TRAINER.NAME=CoOp"])

        let main = try SweepPlan(spec: sweepSpec("""
            pipeline: train
            output_root: /out
            \(base("trainer: CoOp\nshots: 4"))
            axes:
              datasets: [dtd]
              TRAINER.COOP.CSC: [False, True]
              OPTIM.LR: [0.002]
            """))
        #expect(main.trials.map(\.relativePath) == [
            "dtd/CoOp/\(Self.cfg)_4shots/nctx16_cscFalse_ctpend/OPTIM.LR=0.002/seed1",
            "dtd/CoOp/\(Self.cfg)_4shots/nctx16_cscTrue_ctpend/OPTIM.LR=0.002/seed1",
        ])
    }
}
