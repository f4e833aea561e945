import Foundation
import Testing
@testable import Config

@Suite("CoOp's shipped configuration files")
struct ShippedConfigTests {
    static func yamlFiles(in folder: String) throws -> [URL] {
        let root = configsFolder.appendingPathComponent(folder)
        let enumerator = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
        return enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == "yaml" }
            .sorted { $0.path < $1.path }
    }

    @Test("all 15 dataset files and 20 trainer files are there")
    func filesPresent() throws {
        #expect(try Self.yamlFiles(in: "datasets").count == 15)
        #expect(try Self.yamlFiles(in: "trainers").count == 20)
        #expect(FileManager.default.fileExists(atPath: configsFolder.appendingPathComponent("README.md").path))
    }

    @Test("every dataset file with every trainer file loads onto the defaults and validates")
    func everyPairLoads() throws {
        let datasets = try Self.yamlFiles(in: "datasets")
        let trainers = try Self.yamlFiles(in: "trainers")
        for dataset in datasets {
            for trainer in trainers {
                do {
                    let c = try RunConfig.resolve(datasetConfigFile: dataset, configFile: trainer,
                                                  flags: CommandLineFlags(
                                                      trainer: trainer.path.contains("CoCoOp") ? "CoCoOp" : "CoOp"))
                    #expect(!c.dataset.name.isEmpty)
                    #expect(c.input.interpolation == .bicubic)
                } catch {
                    Issue.record("\(dataset.lastPathComponent) + \(trainer.lastPathComponent): \(error)")
                }
            }
        }
    }

    @Test("CoCoOp vit_b16_c4_ep10_batch1_ctxv1 on OxfordPets, as base2new_train.sh runs it")
    func cocoopReference() throws {
        let c = try RunConfig.resolve(
            datasetConfigFile: configsFolder.appendingPathComponent("datasets/oxford_pets.yaml"),
            configFile: configsFolder.appendingPathComponent("trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml"),
            flags: CommandLineFlags(root: "/data", outputDir: "output/base2new/seed1", seed: 1, trainer: "CoCoOp"),
            overrides: ["DATASET.NUM_SHOTS", "16", "DATASET.SUBSAMPLE_CLASSES", "base"])
        #expect(c.dataset.name == "OxfordPets")
        #expect(c.dataset.root == "/data")
        #expect(c.dataset.numShots == 16)
        #expect(c.dataset.subsampleClasses == .base)
        #expect(c.seed == 1)
        #expect(c.trainer.name == .cocoop)
        #expect(c.optim.name == .sgd)
        #expect(c.optim.lr == 0.002)
        #expect(c.optim.maxEpoch == 10)
        #expect(c.optim.lrScheduler == .cosine)
        #expect(c.optim.warmupEpoch == 1)
        #expect(c.optim.warmupType == .constant)
        #expect(c.optim.warmupConsLR == 1e-5)
        #expect(c.optim.weightDecay == 5e-4 && c.optim.momentum == 0.9)
        #expect(c.trainer.cocoop.nCtx == 4)
        #expect(c.trainer.cocoop.ctxInit == "a photo of a")
        #expect(c.trainer.cocoop.prec == .fp16)
        #expect(c.input.size == [224, 224])
        #expect(c.input.interpolation == .bicubic)
        #expect(c.input.pixelMean == [0.48145466, 0.4578275, 0.40821073])
        #expect(c.input.pixelStd == [0.26862954, 0.26130258, 0.27577711])
        #expect(c.input.transforms == ["random_resized_crop", "random_flip", "normalize"])
        #expect(c.dataloader.trainX.batchSize == 1)
        #expect(c.dataloader.test.batchSize == 100)
        #expect(c.dataloader.numWorkers == 8)
        #expect(c.train.printFreq == 20)
        #expect(c.model.backbone.name == "ViT-B/16")
    }

    @Test("CoOp rn50_ep50_ctxv1 and rn50_val spot checks")
    func coopSpotChecks() throws {
        var c = RunConfig.defaults
        try c.merge(yamlFile: configsFolder.appendingPathComponent("trainers/CoOp/rn50_ep50_ctxv1.yaml"))
        #expect(c.trainer.coop.ctxInit == "a photo of a")
        #expect(c.trainer.coop.nCtx == 16)
        #expect(c.optim.maxEpoch == 50 && c.train.printFreq == 5)
        #expect(c.dataloader.trainX.batchSize == 32)
        #expect(c.model.backbone.name == "RN50")

        var v = RunConfig.defaults
        try v.merge(yamlFile: configsFolder.appendingPathComponent("trainers/CoOp/rn50_val.yaml"))
        #expect(v.dataloader.trainX.batchSize == 200 && v.dataloader.test.batchSize == 200)
        #expect(v.optim == OptimConfig(), "rn50_val sets no OPTIM key")
    }

    @Test("the copies keep CoOp's exact bytes (no trailing newline added)")
    func exactBytes() throws {
        let pets = try Data(contentsOf: configsFolder.appendingPathComponent("datasets/oxford_pets.yaml"))
        #expect(String(decoding: pets, as: UTF8.self) == "DATASET:\n  NAME: \"OxfordPets\"")
        let ctxv1 = try Data(contentsOf: configsFolder.appendingPathComponent(
            "trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml"))
        #expect(String(decoding: ctxv1, as: UTF8.self) == Self.cocoopCtxv1)
    }

    /// CoOp's configs/trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml at ff61507c.
    static let cocoopCtxv1 = """
        DATALOADER:
          TRAIN_X:
            BATCH_SIZE: 1
          TEST:
            BATCH_SIZE: 100
          NUM_WORKERS: 8

        INPUT:
          SIZE: (224, 224)
          INTERPOLATION: "bicubic"
          PIXEL_MEAN: [0.48145466, 0.4578275, 0.40821073]
          PIXEL_STD: [0.26862954, 0.26130258, 0.27577711]
          TRANSFORMS: ["random_resized_crop", "random_flip", "normalize"]

        OPTIM:
          NAME: "sgd"
          LR: 0.002
          MAX_EPOCH: 10
          LR_SCHEDULER: "cosine"
          WARMUP_EPOCH: 1
          WARMUP_TYPE: "constant"
          WARMUP_CONS_LR: 1e-5

        TRAIN:
          PRINT_FREQ: 20

        MODEL:
          BACKBONE:
            NAME: "ViT-B/16"

        TRAINER:
          COCOOP:
            N_CTX: 4
            CTX_INIT: "a photo of a"
            PREC: "fp16"
        """
}
