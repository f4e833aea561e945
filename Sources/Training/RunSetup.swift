import CLIP
import Checkpoint
import Config
import Datasets
import Distributed
import Foundation
import PromptLearning
import RunState
import Tensor

/// `--resume`: where a training run's starting state comes from.
public enum ResumePolicy: Equatable, Sendable {
    /// The newest valid checkpoint in OUTPUT_DIR/checkpoints if there is one, else a fresh
    /// start (the default).
    case auto
    /// A fresh start; refused when OUTPUT_DIR/checkpoints already holds checkpoints.
    case never
    /// The newest valid checkpoint in this folder, else a fresh start.
    case from(URL)

    /// `auto`, `never` or a folder; empty means `auto` (RESUME's default "").
    public init(_ text: String) {
        switch text {
        case "", "auto": self = .auto
        case "never": self = .never
        default: self = .from(URL(fileURLWithPath: text))
        }
    }
}

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
    /// --resume auto|never|PATH (see `ResumePolicy`).
    public var resume = ResumePolicy.auto
    /// --no-train: build and check everything (config, data, weights, the checkpoint a
    /// resume would take), then stop without training or writing anything.
    public var dryRun = false
    /// A CLIP already loaded from `weights` (a sweep loads it once for all its trials);
    /// nil: the run loads `weights` itself.
    public var clip: CLIPModel?
    /// Image features kept across evaluations (a sweep shares one across its trials); nil:
    /// the run makes its own of RUNTIME.FEATURE_CACHE_MB.
    public var featureCache: ImageFeatureCache?
    /// Whether rank 0 also prints the run's log lines on stdout (log.txt gets them anyway).
    public var echo = true
    /// The command line as train.py's argparse namespace (`root: DATA`, `transforms: None`,
    /// ...), printed at the top of log.txt as Dassl's `** Arguments **` block; empty: no block.
    public var arguments: [(name: String, value: String)] = []

    public init(weights: URL) { self.weights = weights }
}

/// Everything a run needs, built and checked before anything is written to the output
/// folder: a bad key, a missing image or mismatched weights fail here.
public final class RunSetup {
    public let config: RunConfig
    public let options: RunOptions
    public let comm: Communicator
    public let clip: CLIPModel
    /// What the trainer's PREC became on this CPU (the model's products run at it).
    public let precision: ComputePrecision
    public let tokenizer: CLIPTokenizer
    public let data: DatasetSplits
    public let learner: PromptLearner?
    public let zeroShot: ZeroShotClassifier?
    /// The zero-shot prompt templates (ZeroshotCLIP: one, ZeroshotCLIP2: the ensemble); empty otherwise.
    public private(set) var templates: [String] = []
    public let outputDir: URL
    /// TRAINER.NAME, one of `TrainerKind.implemented`.
    public let trainer: TrainerKind
    private var weightsDigest: String?

    public init(config: RunConfig, options: RunOptions, comm: Communicator) throws {
        self.config = config
        self.options = options
        self.comm = comm
        let implemented = TrainerKind.implemented.map(\.rawValue).joined(separator: ", ")
        guard let trainer = config.trainer.name else {
            throw TrainingError.invalidSetting(key: "TRAINER.NAME",
                                               problem: "is not set: give --trainer \(implemented)")
        }
        guard TrainerKind.implemented.contains(trainer) else {
            throw TrainingError.invalidSetting(
                key: "TRAINER.NAME", problem: "'\(trainer.rawValue)' is not implemented; cocoop runs \(implemented)")
        }
        self.trainer = trainer
        guard !config.outputDir.isEmpty else {
            throw TrainingError.invalidSetting(key: "OUTPUT_DIR", problem: "is empty: give --output-dir DIR")
        }
        let trains = !options.evalOnly && trainer.learnsPrompts
        if let (key, problem) = Self.unsupportedSetting(config, training: trains) {
            throw TrainingError.invalidSetting(key: key, problem: problem)
        }
        outputDir = URL(fileURLWithPath: config.outputDir)
        if trains, case .from(let url) = options.resume, try CheckpointDirectory.model(url).entries().isEmpty {
            // A folder asked for by name that holds nothing is a mistake, not a fresh start.
            throw TrainingError.invalidSetting(
                key: "--resume", problem: "\(url.path) holds no checkpoint (ckpt-e*-s*.h5, in it or in its "
                    + "checkpoints/ folder); give a run's output folder, or --resume auto to start afresh")
        }
        // The architecture first (from the file's header alone): a mismatch stops before the
        // tensors are read.
        let architecture = try options.clip?.weights.architecture ?? CLIPWeights.architecture(at: options.weights)
        if let problem = Self.backboneMismatch(config.model.backbone.name, architecture, weights: options.weights) {
            throw TrainingError.invalidSetting(key: "MODEL.BACKBONE.NAME", problem: problem)
        }
        precision = ComputePrecision(config: config)
        clip = try options.clip?.at(precision.matmul)
            ?? CLIPModel(contentsOf: options.weights, precision: precision.matmul)
        let size = config.input.size
        guard size.count == 2, size[0] == size[1], size[0] == clip.vision.resolution else {
            throw TrainingError.invalidSetting(key: "INPUT.SIZE", problem: "\(size) does not match the CLIP weights' "
                                               + "image resolution \(clip.vision.resolution) (\(options.weights.path))")
        }
        tokenizer = try clip.tokenizer()
        data = try Self.loadData(config)
        // The evaluation's split (TEST.SPLIT val falls back to test when there is no val):
        // an empty one would report 0.0% with exit 0 after the whole training.
        if !config.test.noTest && data.test.isEmpty && (config.test.split.rawValue != "val" || data.val.isEmpty) {
            throw TrainingError.invalidSetting(
                key: "TEST.SPLIT", problem: "the \(config.test.split.rawValue) split of \(data.name) has no images "
                    + "to evaluate on (set TEST.NO_TEST True to train without a final evaluation)")
        }
        if config.selectsBestValidation && trains {
            guard !data.val.isEmpty else {
                throw TrainingError.invalidSetting(
                    key: "TEST.FINAL_MODEL", problem: "best_val scores the validation split after every epoch, but "
                        + "\(data.name) has no validation images (use last_step, or a split with \"val\" entries)")
            }
            guard config.runtime.checkpoint.keepBest else {
                throw TrainingError.invalidSetting(
                    key: "TEST.FINAL_MODEL", problem: "best_val deploys the best epoch's checkpoint, "
                        + "so RUNTIME.CHECKPOINT.KEEP_BEST must stay True")
            }
        }
        if let learner = try Self.makeLearner(config: config, clip: clip, classnames: data.classnames,
                                              tokenizer: tokenizer) {
            self.learner = learner
            zeroShot = nil
        } else {
            learner = nil
            let name = config.dataset.name, override = config.dataset.promptTemplate
            let templates = trainer == .zeroshotCLIP2 ? ZeroShotTemplates.ensemble(dataset: name, override: override)
                : [ZeroShotTemplates.single(dataset: name, override: override)]
            zeroShot = try ZeroShotClassifier(clip: clip, classnames: data.classnames, templates: templates,
                                              tokenizer: tokenizer)
            self.templates = templates
        }
    }

    /// The prompt learner TRAINER.NAME names (CoCoOp or CoOp, with their TRAINER.* options)
    /// over `classnames`; nil for ZeroshotCLIP.
    public static func makeLearner(config: RunConfig, clip: CLIPModel, classnames: [String],
                                   tokenizer: CLIPTokenizer) throws -> PromptLearner? {
        switch config.trainer.name {
        case .cocoop?:
            let c = config.trainer.cocoop
            let prompts = try ClassPrompts(classnames: classnames, nCtx: c.nCtx, ctxInit: c.ctxInit,
                                           tokenizer: tokenizer)
            return CoCoOp(clip: clip, prompts: prompts)
        case .coop?:
            let c = config.trainer.coop
            let prompts = try ClassPrompts(classnames: classnames, nCtx: c.nCtx, ctxInit: c.ctxInit,
                                           tokenizer: tokenizer)
            let position: PromptLearning.ClassTokenPosition
            switch c.classTokenPosition {
            case .end: position = .end
            case .middle: position = .middle
            case .front: position = .front
            }
            return CoOp(clip: clip, prompts: prompts, classSpecific: c.csc, position: position, tokenizer: tokenizer)
        default:
            return nil
        }
    }

    /// Why the weights at `weights` (of `architecture`) are not the backbone `name`
    /// (MODEL.BACKBONE.NAME), or nil: see `CLIPArchitecture.backboneMismatch(named:)`. An
    /// empty name, or one that is none of OpenAI's models, is not checked.
    static func backboneMismatch(_ name: String, _ architecture: CLIPArchitecture, weights: URL) -> String? {
        guard let phrase = architecture.backboneMismatch(named: name) else { return nil }
        return "\(phrase) (\(weights.path)); give --weights of \(name), or set MODEL.BACKBONE.NAME \"\" "
            + "to run these weights on purpose"
    }

    /// The first Dassl setting this program would otherwise ignore while it changes what the
    /// reference computes (Dassl's own default OPTIM.NAME is adam; CoOp's files all say sgd).
    /// - Returns: the key and the problem.
    static func unsupportedSetting(_ config: RunConfig, training: Bool) -> (key: String, problem: String)? {
        if training && config.optim.name != .sgd {
            return ("OPTIM.NAME", "'\(config.optim.name.rawValue)': cocoop trains with SGD only, what CoOp's and "
                        + "CoCoOp's configs use; set OPTIM.NAME sgd (Dassl's default is adam)")
        }
        if training && config.optim.stagedLR {
            return ("OPTIM.STAGED_LR", "True is not supported: only the prompt learner trains, at OPTIM.LR")
        }
        if training && config.dataloader.trainX.sampler != .randomSampler {
            return ("DATALOADER.TRAIN_X.SAMPLER", "'\(config.dataloader.trainX.sampler.rawValue)' is not supported: "
                        + "cocoop draws each epoch's batches as RandomSampler does")
        }
        if config.test.computeCmat {
            return ("TEST.COMPUTE_CMAT", "True is not supported (no confusion matrix is written); "
                        + "TEST.PER_CLASS_RESULT True prints per-class accuracy")
        }
        return nil
    }

    /// The dataset with the few-shot subset and class subsampling of the config; every
    /// image of the splits this run reads must exist.
    static func loadData(_ config: RunConfig) throws -> DatasetSplits {
        let d = config.dataset
        guard !d.root.isEmpty else {
            throw TrainingError.invalidSetting(key: "DATASET.ROOT", problem: "is empty: give --root DIR")
        }
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

    // MARK: - Checkpoints

    /// SHA-256 of the CLIP weights file (computed once, on the ranks that ask).
    public func weightsSHA256() throws -> String {
        if let d = weightsDigest { return d }
        let d = try clip.weights.contentSHA256()
        weightsDigest = d
        return d
    }

    /// This run as the checkpoint checks see it (see `CheckpointPolicy`).
    public var checkpointRun: CheckpointPolicy.Run {
        var classLists = [data.classnames]
        if let names = learner?.prompts.classnames, names != data.classnames { classLists.append(names) }
        return CheckpointPolicy.Run(clipWeightsSHA256: { try self.weightsSHA256() }, weightsPath: options.weights.path,
                                    trainer: trainer, classnames: classLists, settings: SettingsFingerprint(config))
    }

    /// The global training batch (DATALOADER.TRAIN_X.BATCH_SIZE keeps its single-GPU meaning).
    public var globalBatch: Int { config.dataloader.trainX.batchSize }

    /// Dassl's schedule for OPTIM.
    public var schedule: LRSchedule { Self.schedule(config) }

    /// Dassl's SGD settings.
    public var optimizer: SGD { Self.optimizer(config) }

    /// Dassl's schedule for `config`'s OPTIM section.
    public static func schedule(_ config: RunConfig) -> LRSchedule {
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

    /// Dassl's SGD settings for `config`'s OPTIM section.
    public static func optimizer(_ config: RunConfig) -> SGD {
        let o = config.optim
        return SGD(momentum: Float(o.momentum), weightDecay: Float(o.weightDecay),
                   dampening: Float(o.sgdDampning), nesterov: o.sgdNesterov)
    }
}
