import Foundation
import Testing
@testable import Config

@Suite("yaml() round trip and validation")
struct RoundTripTests {
    /// A configuration with every kind of value changed from the defaults, including awkward strings.
    static func unusualConfig() -> RunConfig {
        var c = RunConfig.defaults
        c.outputDir = "out dir/with \"quotes\" and \\ backslash: # not a comment"
        c.resume = "'single quoted'"
        c.seed = -12345
        c.useCUDA = false
        c.input.size = [32, 48]
        c.input.interpolation = .nearest
        c.input.transforms = ["random_flip", "normalize"]
        c.input.pixelMean = [0.48145466, 0.4578275, 0.40821073]
        c.input.gnStd = 1e-300
        c.dataset.name = "123"
        c.dataset.root = "données/日本\ttab\nnewline"
        c.dataset.sourceDomains = ["True", "null", "1.5", "", "a, b"]
        c.dataset.subsampleClasses = .new
        c.dataset.onBadImage = .skip
        c.dataset.splitFile = "yes"
        c.dataloader.trainX.batchSize = 6
        c.dataloader.trainU.sameAsX = false
        c.dataloader.test.sampler = .randomClassSampler
        c.model.head.hiddenLayers = [512, 256]
        c.model.backbone.weights = "~"
        c.optim.name = .sgd
        c.optim.lr = 0.002
        c.optim.stepsize = [3, 6, 9]
        c.optim.warmupConsLR = 1.5e-7
        c.optim.lrScheduler = .multiStep
        c.optim.newLayers = []
        c.test.finalModel = .bestVal
        c.trainer.name = .cocoop
        c.trainer.cocoop.ctxInit = "a photo of a"
        c.trainer.coop.classTokenPosition = .middle
        c.trainer.coop.prec = .amp
        c.runtime.checkpoint.keep = 7
        c.runtime.evalClassChunk = 0
        return c
    }

    @Test("defaults and an unusual configuration read back equal from yaml()")
    func roundTrip() throws {
        for original in [RunConfig.defaults, Self.unusualConfig()] {
            let text = original.yaml()
            var reloaded = RunConfig.defaults
            try reloaded.merge(yaml: text, file: "config.yaml")
            #expect(reloaded == original)
            #expect(reloaded.yaml() == text, "stable output")
        }
    }

    @Test("yaml() writes every key once, in Dassl's order")
    func everyKey() throws {
        let text = RunConfig.defaults.yaml()
        let doc = try YAMLReader.parse(text, file: "dump")
        var keys: [String] = []
        func walk(_ node: YAMLNode, _ prefix: String) {
            guard case .mapping(let entries) = node.kind else { return }
            for e in entries {
                let key = prefix.isEmpty ? e.key : "\(prefix).\(e.key)"
                if case .mapping = e.value.kind { walk(e.value, key) } else { keys.append(key) }
            }
        }
        walk(try #require(doc.root), "")
        #expect(keys == RunConfig.keys)
        #expect(text.hasPrefix("VERSION: 1\nOUTPUT_DIR: \"./output\"\nRESUME: \"\"\nSEED: -1\nUSE_CUDA: true\n"))
        #expect(text.contains("\nINPUT:\n  SIZE: [224, 224]\n  INTERPOLATION: \"bilinear\"\n  TRANSFORMS: []\n"))
        #expect(text.contains("\n  STEPSIZE: [-1]\n"))
        #expect(text.contains("\n  WARMUP_CONS_LR: 1.0e-05\n"))
        #expect(text.contains("\nTRAINER:\n  NAME: \"\"\n  COOP:\n    N_CTX: 16\n"))
    }

    @Test("the defaults validate; bad values are reported with key and value")
    func validation() throws {
        try RunConfig.defaults.validate()
        try Self.unusualConfig().validate()

        var c = RunConfig.defaults
        c.input.size = [224]
        c.optim.lr = 0
        c.input.transforms = ["random_flip", "mixup"]
        c.runtime.checkpoint.keep = 0
        let problems = c.validationProblems()
        #expect(problems.count == 4)
        #expect(problems.first == .invalidValue(key: "INPUT.SIZE", value: "[224]",
                                                problem: "expected two positive ints (height, width)"))
        let text = problems.map(\.description).joined(separator: "\n")
        #expect(text.contains("OPTIM.LR") && text.contains("mixup")
                    && text.contains("RUNTIME.CHECKPOINT.KEEP"))
        #expect(configError { try c.validate() } == problems.first)

        var scale = RunConfig.defaults
        scale.input.rrcropScale = [0.9, 0.5]
        #expect(scale.validationProblems().map(\.description).first?.contains("INPUT.RRCROP_SCALE") == true)
    }
}
