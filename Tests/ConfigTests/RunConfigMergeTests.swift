import Foundation
import Testing
@testable import Config

@Suite("RunConfig merging")
struct RunConfigMergeTests {
    @Test("defaults are Dassl's, CoOp's and ours")
    func defaults() {
        let c = RunConfig.defaults
        #expect(c.outputDir == "./output" && c.resume == "" && c.seed == -1 && c.useCUDA && c.verbose)
        #expect(c.input.size == [224, 224] && c.input.interpolation == .bilinear && c.input.transforms.isEmpty)
        #expect(c.input.pixelMean == [0.485, 0.456, 0.406] && c.input.rrcropScale == [0.08, 1.0])
        #expect(c.dataset.numShots == -1 && c.dataset.subsampleClasses == .all && c.dataset.onBadImage == .stop)
        #expect(c.dataloader.trainX.batchSize == 32 && c.dataloader.test.sampler == .sequentialSampler)
        #expect(c.optim.name == .adam && c.optim.lr == 0.0003 && c.optim.stepsize == [-1])
        #expect(c.optim.warmupEpoch == -1 && c.optim.warmupType == .linear && c.optim.warmupConsLR == 1e-5)
        #expect(c.trainer.coop.nCtx == 16 && c.trainer.coop.prec == .fp16 && c.trainer.coop.classTokenPosition == .end)
        #expect(c.trainer.cocoop.nCtx == 16 && c.trainer.cocoop.ctxInit == "")
        #expect(c.test.finalModel == .lastStep && c.train.printFreq == 10)
        #expect(c.runtime.checkpoint.keep == 3)
        #expect(RunConfig.keys.count == Set(RunConfig.keys).count)
        #expect(RunConfig.keys.contains("DATALOADER.TRAIN_X.BATCH_SIZE"))
    }

    @Test("a file's values are read by type: tuples in text, 1e-5, quoted strings, bools")
    func fileValues() throws {
        var c = RunConfig.defaults
        try c.merge(yaml: """
        INPUT:
          SIZE: (32, 48)
          PIXEL_STD: [1, 0.5, 0.25]
        OPTIM:
          LR: 1
          WARMUP_CONS_LR: 1e-5
          STEPSIZE: 20
          SGD_NESTEROV: yes
        TRAINER:
          COCOOP:
            CTX_INIT: "a photo of a"
        DATASET:
          NAME: 123
          ROOT:
        """, file: "values.yaml")
        #expect(c.input.size == [32, 48])
        #expect(c.input.pixelStd == [1.0, 0.5, 0.25])
        #expect(c.optim.lr == 1.0)
        #expect(c.optim.warmupConsLR == 1e-5)
        #expect(c.optim.stepsize == [20])
        #expect(c.optim.sgdNesterov == true)
        #expect(c.trainer.cocoop.ctxInit == "a photo of a")
        #expect(c.dataset.name == "123")
        #expect(c.dataset.root == "")
    }

    @Test("an unknown key in a file names the dotted key, the file and the line")
    func unknownKeyInFile() throws {
        let url = try writeTemporaryFile("OPTIM:\n  LR: 0.1\n  LEARNING_RATE: 0.2\n")
        var c = RunConfig.defaults
        let error = configError { try c.merge(yamlFile: url) }
        #expect(error == .unknownKey(key: "OPTIM.LEARNING_RATE",
                                     origin: .file(path: url.path, line: 3, column: 3), suggestion: nil))
        let message = error?.description ?? ""
        #expect(message.contains("OPTIM.LEARNING_RATE") && message.contains("\(url.path):3"))
        #expect(c == RunConfig.defaults, "a failed merge leaves the configuration unchanged")

        let typo = configError { try c.merge(yaml: "TRAINER:\n  COCOOP:\n    N_CXT: 4\n", file: "typo.yaml") }
        #expect(typo?.description == "unknown config key TRAINER.COCOOP.N_CXT (typo.yaml:3:5); "
                                     + "did you mean TRAINER.COCOOP.N_CTX?")
        let section = configError { try c.merge(yaml: "MCD:\n  N_STEP_F: 4\n", file: "s.yaml") }
        #expect(section == .unknownKey(key: "MCD", origin: .file(path: "s.yaml", line: 1, column: 1), suggestion: nil))
    }

    @Test("a wrong type names key, file, line, expected type and the value")
    func wrongTypeInFile() {
        var c = RunConfig.defaults
        let error = configError { try c.merge(yaml: "OPTIM:\n  MAX_EPOCH: 2.5\n", file: "t.yaml") }
        #expect(error == .typeMismatch(key: "OPTIM.MAX_EPOCH", origin: .file(path: "t.yaml", line: 2, column: 14),
                                       expected: "int", found: "\"2.5\" (float 2.5)"))
        #expect(error?.description
                    == "wrong type for config key OPTIM.MAX_EPOCH (t.yaml:2:14): "
                       + "expected int, found \"2.5\" (float 2.5)")

        let list = configError { try c.merge(yaml: "INPUT:\n  SIZE: 224\n", file: "t.yaml") }
        #expect(list?.description.contains("expected list of int") == true)
        let enumValue = configError { try c.merge(yaml: "DATASET:\n  SUBSAMPLE_CLASSES: novel\n", file: "t.yaml") }
        #expect(enumValue?.description.contains("one of \"all\", \"base\", \"new\"") == true)
        let sectionAsValue = configError { try c.merge(yaml: "OPTIM: 0.1\n", file: "t.yaml") }
        #expect(sectionAsValue?.description.contains("OPTIM is a section") == true)
        let valueAsSection = configError { try c.merge(yaml: "SEED:\n  A: 1\n", file: "t.yaml") }
        #expect(valueAsSection == .typeMismatch(key: "SEED", origin: .file(path: "t.yaml", line: 2, column: 3),
                                                expected: "int", found: "a mapping"))
        let boolAsInt = configError { try c.merge(yaml: "SEED: true\n", file: "t.yaml") }
        #expect(boolAsInt?.description.contains("expected int") == true)
        let nullInt = configError { try c.merge(yaml: "SEED:\n", file: "t.yaml") }
        #expect(nullInt?.description.contains("null") == true)
        let mixedList = configError { try c.merge(yaml: "INPUT:\n  SIZE: [224, a]\n", file: "t.yaml") }
        #expect(mixedList != nil)
        let notMapping = configError { try c.merge(yaml: "- 1\n- 2\n", file: "t.yaml") }
        #expect(notMapping?.description.contains("must be a mapping") == true)
    }

    @Test("overrides: KEY VALUE pairs read like yacs' merge_from_list")
    func overrides() throws {
        var c = RunConfig.defaults
        try c.merge(overrides: [
            "DATASET.NUM_SHOTS", "16",
            "DATASET.SUBSAMPLE_CLASSES", "base",
            "OPTIM.LR", "0.01",
            "OPTIM.STEPSIZE", "[5, 8]",
            "TRAINER.COCOOP.CTX_INIT", "a photo of a",
            "MODEL.BACKBONE.NAME", "'ViT-B/16'",
            "INPUT.TRANSFORMS", "['random_flip', 'normalize']",
            "DATASET.SOURCE_DOMAINS", "[photo, sketch]",
        ])
        #expect(c.dataset.numShots == 16)
        #expect(c.dataset.subsampleClasses == .base)
        #expect(c.optim.lr == 0.01)
        #expect(c.optim.stepsize == [5, 8])
        #expect(c.trainer.cocoop.ctxInit == "a photo of a")
        #expect(c.model.backbone.name == "ViT-B/16")
        #expect(c.input.transforms == ["random_flip", "normalize"])
        #expect(c.dataset.sourceDomains == ["photo", "sketch"])
    }

    @Test("overriding a nested list: INPUT.SIZE as a tuple or a list")
    func nestedListOverride() throws {
        for text in ["(32, 32)", "[32, 32]", "32, 32"] {
            var c = RunConfig.defaults
            try c.merge(overrides: ["INPUT.SIZE", text])
            #expect(c.input.size == [32, 32], "INPUT.SIZE \(text)")
        }
        var c = RunConfig.defaults
        try c.merge(overrides: ["INPUT.PIXEL_MEAN", "(0.5, 0.5, 0.5)", "INPUT.RRCROP_SCALE", "[0.5, 1]"])
        #expect(c.input.pixelMean == [0.5, 0.5, 0.5] && c.input.rrcropScale == [0.5, 1.0])
        let error = configError { try c.merge(overrides: ["INPUT.SIZE", "(32.5, 32)"]) }
        #expect(error == .typeMismatch(key: "INPUT.SIZE", origin: .override(index: 1), expected: "list of int",
                                       found: "\"(32.5, 32)\" (list [32.5, 32])"))
    }

    @Test("bools: Python's True/False and YAML's words, nothing else")
    func bools() throws {
        for (text, expected) in [("True", true), ("False", false), ("true", true), ("off", false), ("YES", true)] {
            var c = RunConfig.defaults
            c.test.noTest = !expected
            try c.merge(overrides: ["TEST.NO_TEST", text])
            #expect(c.test.noTest == expected, "TEST.NO_TEST \(text)")
        }
        var c = RunConfig.defaults
        for bad in ["1", "0", "maybe", "[True]"] {
            let error = configError { try c.merge(overrides: ["TEST.NO_TEST", bad]) }
            #expect(error?.description.contains("expected bool") == true, "TEST.NO_TEST \(bad)")
        }
        try c.merge(yaml: "USE_CUDA: False\nVERBOSE: off\n", file: "b.yaml")
        #expect(!c.useCUDA && !c.verbose)
    }

    @Test("unknown override keys, wrong types and an odd count are errors; nothing is applied")
    func overrideErrors() {
        var c = RunConfig.defaults
        let unknown = configError { try c.merge(overrides: ["OPTIM.LR", "0.1", "OPTIM.LRR", "0.2"]) }
        #expect(unknown == .unknownKey(key: "OPTIM.LRR", origin: .override(index: 2), suggestion: "OPTIM.LR"))
        #expect(unknown?.description == "unknown config key OPTIM.LRR (command-line override #2); "
                                        + "did you mean OPTIM.LR?")
        #expect(c.optim.lr == 0.0003, "no partial merge")

        #expect(configError { try c.merge(overrides: ["NOPE.X", "1"]) }?.description.contains("NOPE.X") == true)
        #expect(configError { try c.merge(overrides: ["OPTIM.LR.X", "1"]) } != nil)
        #expect(configError { try c.merge(overrides: ["", "1"]) } != nil)

        let type = configError { try c.merge(overrides: ["DATASET.NUM_SHOTS", "sixteen"]) }
        #expect(type == .typeMismatch(key: "DATASET.NUM_SHOTS", origin: .override(index: 1),
                                      expected: "int", found: "\"sixteen\""))
        let section = configError { try c.merge(overrides: ["TRAINER.COCOOP", "4"]) }
        #expect(section?.description.contains("TRAINER.COCOOP.N_CTX") == true)

        let odd = configError { try c.merge(overrides: ["DATASET.NUM_SHOTS", "16", "OPTIM.LR"]) }
        #expect(odd == .oddOverrideCount(count: 3, items: ["DATASET.NUM_SHOTS", "16", "OPTIM.LR"]))
        #expect(c == RunConfig.defaults)
    }

    @Test("later layers win: dataset file, method file, flags, overrides")
    func mergeOrder() throws {
        let dataset = try writeTemporaryFile("DATASET:\n  NAME: \"OxfordPets\"\n  NUM_SHOTS: 4\nOPTIM:\n  LR: 0.5\n",
                                             name: "d.yaml")
        let method = try writeTemporaryFile("OPTIM:\n  LR: 0.002\n  MAX_EPOCH: 10\nSEED: 3\nOUTPUT_DIR: file\n",
                                            name: "m.yaml")
        let c = try RunConfig.resolve(datasetConfigFile: dataset, configFile: method,
                                      flags: CommandLineFlags(outputDir: "flag", seed: 7),
                                      overrides: ["OPTIM.MAX_EPOCH", "5", "SEED", "9"])
        #expect(c.dataset.name == "OxfordPets")
        #expect(c.dataset.numShots == 4)
        #expect(c.optim.lr == 0.002)
        #expect(c.optim.maxEpoch == 5)
        #expect(c.seed == 9)
        #expect(c.outputDir == "flag")

        var twice = RunConfig.defaults
        try twice.merge(yaml: "SEED: 1\n", file: "a")
        try twice.merge(yaml: "SEED: 2\n", file: "b")
        #expect(twice.seed == 2)
    }

    @Test("CoOp's named flags map to their keys; nil and empty change nothing")
    func commandLineFlags() throws {
        var c = RunConfig.defaults
        try c.applyCommandLine(root: "/data", outputDir: "out", resume: "old", seed: 0,
                           sourceDomains: ["a"], targetDomains: ["b", "c"], transforms: ["normalize"],
                           trainer: "CoCoOp", backbone: "ViT-B/16", head: "mlp")
        #expect(c.dataset.root == "/data" && c.outputDir == "out" && c.resume == "old" && c.seed == 0)
        #expect(c.dataset.sourceDomains == ["a"] && c.dataset.targetDomains == ["b", "c"])
        #expect(c.input.transforms == ["normalize"] && c.trainer.name == .cocoop)
        #expect(c.model.backbone.name == "ViT-B/16" && c.model.head.name == "mlp")
        let before = c
        try c.applyCommandLine(root: "", outputDir: nil, sourceDomains: [], trainer: "")
        #expect(c == before)
    }

    @Test("TRAINER.NAME is one of CoOp's trainers wherever it is set, and unset by default")
    func trainerNames() throws {
        #expect(RunConfig.defaults.trainer.name == nil)
        var c = RunConfig.defaults
        let flag = configError { try c.applyCommandLine(trainer: "CoCoOP") }
        #expect(flag == .typeMismatch(key: "TRAINER.NAME", origin: .flag("--trainer"),
                                      expected: #"one of "CoOp", "CoCoOp", "ZeroshotCLIP", "ZeroshotCLIP2""#,
                                      found: #""CoCoOP""#))
        let override = configError { try c.merge(overrides: ["TRAINER.NAME", "cocoop"]) }
        #expect(override?.description.contains("TRAINER.NAME") == true)
        try c.merge(overrides: ["TRAINER.NAME", "ZeroshotCLIP"])
        #expect(c.trainer.name == .zeroshotCLIP)
        #expect(c.yaml().contains("NAME: \"ZeroshotCLIP\""))
        try c.merge(overrides: ["TRAINER.NAME", "\"\""])
        #expect(c.trainer.name == nil)
    }

    @Test("PREC is fp16, fp32 or amp in both trainer sections; another value is an error naming the key")
    func precisionValues() throws {
        #expect(RunConfig.defaults.trainer.cocoop.prec == .fp16 && RunConfig.defaults.trainer.coop.prec == .fp16)
        var c = RunConfig.defaults
        try c.merge(overrides: ["TRAINER.COCOOP.PREC", "fp32", "TRAINER.COOP.PREC", "amp"])
        #expect(c.trainer.cocoop.prec == .fp32 && c.trainer.coop.prec == .amp)
        let bad = configError { try c.merge(yaml: "TRAINER:\n  COCOOP:\n    PREC: bf16\n", file: "t.yaml") }
        #expect(bad == .typeMismatch(key: "TRAINER.COCOOP.PREC", origin: .file(path: "t.yaml", line: 3, column: 11),
                                     expected: #"one of "fp16", "fp32", "amp""#, found: #""bf16""#))
        let flag = configError { try c.merge(overrides: ["TRAINER.COOP.PREC", "half"]) }
        #expect(flag?.description.contains("TRAINER.COOP.PREC") == true)
        #expect(c.trainer.cocoop.prec == .fp32 && c.trainer.coop.prec == .amp)   // nothing half-applied
    }

    @Test("yamlValue(forKey:) and keys")
    func lookups() {
        let c = RunConfig.defaults
        #expect(c.yamlValue(forKey: "OPTIM.WARMUP_CONS_LR") == "1.0e-05")
        #expect(c.yamlValue(forKey: "DATALOADER.TEST.SAMPLER") == "\"SequentialSampler\"")
        #expect(c.yamlValue(forKey: "INPUT.SIZE") == "[224, 224]")
        #expect(c.yamlValue(forKey: "OPTIM") == nil)
        #expect(c.yamlValue(forKey: "OPTIM.NOPE") == nil)
        #expect(RunConfig.keys.first == "VERSION")
        #expect(RunConfig.keys.allSatisfy { c.yamlValue(forKey: $0) != nil })
    }
}
