import Checkpoint
import Config
import HDF5

/// Where a run stands and what it was made from, as a checkpoint records it: the position
/// of the next step, the optimiser's state flag, the trainer, the CLIP weights, the
/// resolved settings and classes, and the best validation so far. The one place that
/// reads and writes these root attributes, class names and metrics (schema version 1).
public struct ResumeRecord: Equatable, Sendable {
    /// Epoch of the next step (0-based); equals the number of finished epochs between epochs.
    public var epoch: Int
    /// Index of the next step within its epoch.
    public var stepInEpoch: Int
    /// Steps completed since the start of training.
    public var globalStep: Int
    /// Whether SGD's momentum buffers hold values (PyTorch initialises them on the first step).
    public var momentumInitialized: Bool
    /// MPI world size of the run that wrote it.
    public var worldSize: Int
    /// TRAINER.NAME of that run.
    public var trainer: TrainerKind
    /// SHA-256 (hex) of the frozen CLIP weights the parameters belong to.
    public var clipWeightsSHA256: String
    /// The resolved configuration of that run.
    public var config: RunConfig
    /// Class names in label order.
    public var classnames: [String]
    /// The best validation accuracy so far (TEST.FINAL_MODEL best_val), if any.
    public var best: BestValidation?

    /// A validation accuracy and the epoch-end checkpoint that holds its parameters.
    public struct BestValidation: Equatable, Sendable {
        public var accuracy: Double
        public var epoch: Int
        public var step: Int
        /// The epoch-end checkpoint's file name in OUTPUT_DIR/checkpoints.
        public var checkpointName: String { CheckpointDirectory.fileName(epoch: epoch, step: step) }

        public init(accuracy: Double, epoch: Int, step: Int) {
            self.accuracy = accuracy; self.epoch = epoch; self.step = step
        }
    }

    /// The settings a resume must match.
    public var settings: SettingsFingerprint { SettingsFingerprint(config) }

    /// A record of the given fields.
    public init(epoch: Int, stepInEpoch: Int, globalStep: Int, momentumInitialized: Bool, worldSize: Int,
                trainer: TrainerKind, clipWeightsSHA256: String, config: RunConfig, classnames: [String],
                best: BestValidation?) {
        self.epoch = epoch; self.stepInEpoch = stepInEpoch; self.globalStep = globalStep
        self.momentumInitialized = momentumInitialized; self.worldSize = worldSize; self.trainer = trainer
        self.clipWeightsSHA256 = clipWeightsSHA256; self.config = config; self.classnames = classnames
        self.best = best
    }

    // MARK: - Attribute names

    /// Root attributes beyond the schema's own.
    enum Attribute {
        static let stepInEpoch = "step_in_epoch"
        static let momentumInitialized = "momentum_initialized"
        static let trainer = "trainer"
    }

    /// Metrics that hold `best`.
    enum Metric {
        static let bestAccuracy = "best_val/accuracy"
        static let bestEpoch = "best_val/epoch"
        static let bestStep = "best_val/step"
    }

    // MARK: - Reading and writing

    /// The record of the checkpoint `contents` read from `file`.
    /// - Throws: `CheckpointError.inconsistent` naming the file and the attribute when a
    ///   value is out of range or of the wrong kind; `ConfigError` (naming
    ///   `file:config_yaml`) when the stored configuration does not parse.
    public init(reading contents: CheckpointContents, file: String) throws {
        func bad(_ what: String) -> CheckpointError { .inconsistent(file: file, reason: what) }
        var config = RunConfig.defaults
        try config.merge(yaml: contents.configYAML, file: file + ":config_yaml")
        let extras = contents.extraAttributes
        guard contents.epoch >= 0 else { throw bad("epoch \(contents.epoch) is negative") }
        guard contents.step >= 0 else { throw bad("step \(contents.step) is negative") }
        guard contents.worldSize >= 1 else { throw bad("world_size \(contents.worldSize) is not positive") }
        var stepInEpoch = 0
        if let value = extras[Attribute.stepInEpoch] {
            guard let s = value.int64Value, s >= 0, s <= Int64(contents.step) else {
                throw bad("\(Attribute.stepInEpoch) \(value) is not an integer in 0...step")
            }
            stepInEpoch = Int(s)
        }
        var momentumInitialized = contents.step > 0
        if let value = extras[Attribute.momentumInitialized] {
            guard let m = value.int64Value, m == 0 || m == 1 else {
                throw bad("\(Attribute.momentumInitialized) \(value) is neither 0 nor 1")
            }
            momentumInitialized = m != 0
        }
        let trainer: TrainerKind
        if let value = extras[Attribute.trainer] {
            guard let name = value.stringValue, let kind = TrainerKind(rawValue: name) else {
                throw bad("\(Attribute.trainer) \(value) names no trainer")
            }
            trainer = kind
        } else if let kind = config.trainer.name {
            trainer = kind
        } else {
            throw bad("neither the attribute \(Attribute.trainer) nor config_yaml's TRAINER.NAME names a trainer")
        }
        var best: BestValidation?
        if case .scalar(let a)? = contents.metrics[Metric.bestAccuracy],
           case .scalar(let e)? = contents.metrics[Metric.bestEpoch],
           case .scalar(let s)? = contents.metrics[Metric.bestStep] {
            guard let e = Int(exactly: e), let s = Int(exactly: s), e >= 0, s >= 0 else {
                throw bad("\(Metric.bestEpoch) / \(Metric.bestStep) are not non-negative integers")
            }
            best = BestValidation(accuracy: a, epoch: e, step: s)
        }
        self.init(epoch: contents.epoch, stepInEpoch: stepInEpoch, globalStep: contents.step,
                  momentumInitialized: momentumInitialized, worldSize: contents.worldSize, trainer: trainer,
                  clipWeightsSHA256: contents.clipWeightsSHA256, config: config, classnames: contents.classnames,
                  best: best)
    }

    /// Checkpoint contents holding this record, for `params` and `momentum` (schema version
    /// 1: the header attributes, `step_in_epoch`, `momentum_initialized`, `trainer`, the class
    /// names and `best_val/*` metrics beside `metrics`).
    public func contents(params: [NamedTensor], momentum: [NamedTensor], softwareVersion: String,
                         metrics: [String: MetricValue] = [:]) -> CheckpointContents {
        var all = metrics
        if let best {
            all[Metric.bestAccuracy] = .scalar(best.accuracy)
            all[Metric.bestEpoch] = .scalar(Double(best.epoch))
            all[Metric.bestStep] = .scalar(Double(best.step))
        }
        return CheckpointContents(
            epoch: epoch, step: globalStep, worldSize: worldSize, seed: config.seed, configYAML: config.yaml(),
            clipWeightsSHA256: clipWeightsSHA256, softwareVersion: softwareVersion, created: nil,
            params: params, momentum: momentum, classnames: classnames, metrics: all,
            extraAttributes: [Attribute.stepInEpoch: .int64(Int64(stepInEpoch)),
                              Attribute.momentumInitialized: .int64(momentumInitialized ? 1 : 0),
                              Attribute.trainer: .string(trainer.rawValue)])
    }
}
