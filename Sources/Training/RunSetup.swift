import CLIP
import Config
import Datasets
import Distributed
import Foundation
import PromptLearning
import Tensor

/// What `cocoop train` was asked to do beyond the config (the reference's train.py flags).
public struct RunOptions {
    /// The CLIP weights (Hugging Face folder or safetensors file).
    public var weights: URL
    /// --eval-only: evaluate a trained model (from --model-dir, or the output folder).
    public var evalOnly = false
    /// --model-dir: where the checkpoints to evaluate live (default: the output folder).
    public var modelDir: URL?
    /// --load-epoch: which epoch's checkpoint to evaluate (default: the newest).
    public var loadEpoch: Int?
    /// --resume auto|never|PATH: resume from the newest valid checkpoint of the output
    /// folder (default), start fresh (refused if the folder has checkpoints), or a folder.
    public var resume = "auto"
    /// A CLIP already loaded from `weights` (a sweep loads it once for all its trials);
    /// nil: the run loads `weights` itself.
    public var clip: CLIPModel?
    /// Image features kept across evaluations (a sweep shares one across its trials); nil:
    /// the run makes its own of RUNTIME.FEATURE_CACHE_MB.
    public var featureCache: ImageFeatureCache?
    /// Whether rank 0 also prints the run's log lines on stdout (log.txt gets them anyway).
    public var echo = true

    public init(weights: URL) { self.weights = weights }
}

/// Everything a run needs, built and checked before anything is written to the output
/// folder: a bad key, a missing image or mismatched weights fail here.
public final class RunSetup {
    public let config: RunConfig
    public let options: RunOptions
    public let comm: Communicator
    public let clip: CLIPModel
    public let tokenizer: CLIPTokenizer
    public let data: DatasetSplits
    public let learner: PromptLearner?
    public let zeroShot: ZeroShotClassifier?
    public let outputDir: URL

    /// Trainer names accepted in TRAINER.NAME / --trainer.
    public static let trainers = ["CoCoOp", "CoOp", "ZeroshotCLIP"]

    public init(config: RunConfig, options: RunOptions, comm: Communicator) throws {
        self.config = config
        self.options = options
        self.comm = comm
        guard Self.trainers.contains(config.trainer.name) else {
            throw TrainingError.badOption("TRAINER.NAME '\(config.trainer.name)' is not one of \(Self.trainers.joined(separator: ", "))")
        }
        guard !config.outputDir.isEmpty else { throw TrainingError.badOption("no output folder (--output-dir or OUTPUT_DIR)") }
        if let problem = Self.unsupportedSetting(config, training: !options.evalOnly && config.trainer.name != "ZeroshotCLIP") {
            throw TrainingError.badOption(problem)
        }
        outputDir = URL(fileURLWithPath: config.outputDir)
        clip = try options.clip ?? CLIPModel(contentsOf: options.weights)
        let size = config.input.size
        guard size.count == 2, size[0] == size[1], size[0] == clip.vision.resolution else {
            throw TrainingError.badOption("INPUT.SIZE \(size) does not match the CLIP weights' image resolution \(clip.vision.resolution) (\(options.weights.path))")
        }
        tokenizer = try CLIPTokenizer.bundled()
        data = try Self.loadData(config)
        if config.selectsBestValidation && !options.evalOnly && config.trainer.name != "ZeroshotCLIP" {
            guard !data.val.isEmpty else {
                throw TrainingError.badOption("TEST.FINAL_MODEL best_val scores the validation split after every epoch, but \(data.name) has no validation images (use last_step, or a split with \"val\" entries)")
            }
            guard config.runtime.checkpoint.keepBest else {
                throw TrainingError.badOption("TEST.FINAL_MODEL best_val deploys the best epoch's checkpoint, so RUNTIME.CHECKPOINT.KEEP_BEST must stay True")
            }
        }
        if let learner = try Self.makeLearner(config: config, clip: clip, classnames: data.classnames, tokenizer: tokenizer) {
            self.learner = learner
            zeroShot = nil
        } else {
            learner = nil
            zeroShot = try ZeroShotClassifier(clip: clip, classnames: data.classnames, tokenizer: tokenizer)
        }
    }

    /// The prompt learner TRAINER.NAME names (CoCoOp or CoOp, with their TRAINER.* options)
    /// over `classnames`; nil for ZeroshotCLIP.
    public static func makeLearner(config: RunConfig, clip: CLIPModel, classnames: [String],
                                   tokenizer: CLIPTokenizer) throws -> PromptLearner? {
        switch config.trainer.name {
        case "CoCoOp":
            let c = config.trainer.cocoop
            let prompts = try ClassPrompts(classnames: classnames, nCtx: c.nCtx, ctxInit: c.ctxInit, tokenizer: tokenizer)
            return CoCoOp(clip: clip, prompts: prompts)
        case "CoOp":
            let c = config.trainer.coop
            let prompts = try ClassPrompts(classnames: classnames, nCtx: c.nCtx, ctxInit: c.ctxInit, tokenizer: tokenizer)
            let position = PromptLearning.ClassTokenPosition(rawValue: c.classTokenPosition.rawValue) ?? PromptLearning.ClassTokenPosition.end
            return CoOp(clip: clip, prompts: prompts, classSpecific: c.csc, position: position, tokenizer: tokenizer)
        default:
            return nil
        }
    }

    /// The first Dassl setting this program would otherwise ignore while it changes what the
    /// reference computes (Dassl's own default OPTIM.NAME is adam; CoOp's files all say sgd).
    static func unsupportedSetting(_ config: RunConfig, training: Bool) -> String? {
        if training && config.optim.name != .sgd {
            return "OPTIM.NAME '\(config.optim.name.rawValue)': cocoop trains with SGD only, what CoOp's and CoCoOp's configs use; set OPTIM.NAME sgd (Dassl's default is adam)"
        }
        if training && config.optim.stagedLR {
            return "OPTIM.STAGED_LR True is not supported: only the prompt learner trains, at OPTIM.LR"
        }
        if training && config.dataloader.trainX.sampler != .randomSampler {
            return "DATALOADER.TRAIN_X.SAMPLER '\(config.dataloader.trainX.sampler.rawValue)' is not supported: cocoop draws each epoch's batches as RandomSampler does"
        }
        if config.test.computeCmat {
            return "TEST.COMPUTE_CMAT True is not supported (no confusion matrix is written); TEST.PER_CLASS_RESULT True prints per-class accuracy"
        }
        return nil
    }

    /// The dataset with the few-shot subset and class subsampling of the config; every
    /// image of the splits this run reads must exist.
    static func loadData(_ config: RunConfig) throws -> DatasetSplits {
        let d = config.dataset
        guard !d.root.isEmpty else { throw TrainingError.badOption("no dataset root (--root or DATASET.ROOT)") }
        let root = URL(fileURLWithPath: d.root)
        let splitFile = d.splitFile.isEmpty ? nil : URL(fileURLWithPath: d.splitFile, relativeTo: root)
        var options = DatasetLoadOptions()
        options.numShots = d.numShots
        options.seed = config.seed
        options.subsample = try ClassSubset(parsing: d.subsampleClasses.rawValue)
        options.packedFile = d.packedFile.isEmpty ? nil : URL(fileURLWithPath: d.packedFile, relativeTo: root)
        options.checkImages = options.packedFile == nil
        return try DatasetCatalog.load(name: d.name, root: root, splitFile: splitFile, options: options)
    }

    /// The global training batch (DATALOADER.TRAIN_X.BATCH_SIZE keeps its single-GPU meaning).
    public var globalBatch: Int { config.dataloader.trainX.batchSize }

    /// Dassl's schedule for OPTIM.
    public var schedule: LRSchedule {
        let o = config.optim
        let kind: LRSchedule.Kind
        switch o.lrScheduler {
        case .cosine: kind = .cosine
        case .singleStep: kind = .singleStep(stepSize: o.stepsize.last ?? -1)
        case .multiStep: kind = .multiStep(milestones: o.stepsize)
        }
        let warmup: LRSchedule.Warmup
        if o.warmupEpoch <= 0 { warmup = .none } else {
            warmup = o.warmupType == .constant ? .constant(lr: o.warmupConsLR) : .linear(minLR: o.warmupMinLR)
        }
        return LRSchedule(baseLR: o.lr, kind: kind, gamma: o.gamma, maxEpoch: o.maxEpoch, warmup: warmup,
                          warmupEpochs: max(o.warmupEpoch, 0), warmupRecount: o.warmupRecount)
    }

    /// Dassl's SGD settings.
    public var optimizer: SGD {
        let o = config.optim
        return SGD(momentum: Float(o.momentum), weightDecay: Float(o.weightDecay),
                   dampening: Float(o.sgdDampning), nesterov: o.sgdNesterov)
    }
}
