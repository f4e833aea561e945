import Config
import Foundation
import Training

// MARK: - Trials and tasks

/// One run of a sweep (training, or evaluation of a trained model) with its own folder and
/// its fully resolved configuration.
public struct SweepTrial {
    /// What the run does; the raw value is the folder name used by CoOp's scripts.
    public enum Stage: String, Sendable {
        /// base2new: train on the base classes (evaluated on the base test classes).
        case trainBase = "train_base"
        /// base2new: evaluate the final checkpoint of `train_base` on the new classes.
        case testNew = "test_new"
        /// Train on all classes (train pipeline, and cross_dataset's source).
        case train
        /// cross_dataset: evaluate the source's final checkpoint on a target dataset.
        case evaluate
    }

    /// Position in `SweepPlan.trials`.
    public let index: Int
    /// What the run does.
    public let stage: Stage
    /// The folder relative to the sweep's output root, e.g.
    /// `base2new/train_base/oxford_pets/shots_16/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1/seed1`.
    public let relativePath: String
    /// The run's OUTPUT_DIR.
    public let outputDir: URL
    /// The dataset's label (sweep file name).
    public let dataset: String
    /// SEED.
    public let seed: Int
    /// DATASET.NUM_SHOTS as resolved.
    public let shots: Int
    /// The values of the config-key axes, as `KEY=value` joined by ','; empty without such axes.
    public let variant: String
    /// The resolved configuration (OUTPUT_DIR set).
    public let config: RunConfig
    /// Whether the run only evaluates (`--eval-only`).
    public let evalOnly: Bool
    /// For evaluation trials: the training trial whose checkpoint is evaluated.
    public let dependency: Int?
    /// For evaluation trials: the epoch of the checkpoint to load.
    public let loadEpoch: Int?

    /// The options `TrainingJob.run` needs for this trial.
    public func options(weights: URL, modelDir: URL?) -> RunOptions {
        var o = RunOptions(weights: weights)
        o.evalOnly = evalOnly
        o.modelDir = modelDir
        o.loadEpoch = loadEpoch
        o.resume = ResumePolicy(config.resume)
        return o
    }
}

/// Trials that one group runs back to back (base2new: train on base, then test on new).
/// Tasks of phase p start only once every task of phase p-1 has ended (cross_dataset:
/// every training before the evaluations that load its checkpoints).
public struct SweepTask: Sendable {
    /// 0 or 1.
    public let phase: Int
    /// Indices into `SweepPlan.trials`, run in this order.
    public let trials: [Int]
}

// MARK: - The plan

/// A sweep file expanded: every trial with its resolved configuration, grouped into tasks.
/// Built identically on every rank; any bad key or value fails here, before any run starts.
public struct SweepPlan {
    /// The sweep file it was expanded from.
    public let spec: SweepSpec
    /// Every trial, in grid order (datasets x shots x config axes x seeds).
    public let trials: [SweepTrial]
    /// The units handed to groups, in order.
    public let tasks: [SweepTask]

    /// The tasks of each phase, in order.
    public var phases: [[SweepTask]] {
        let n = (tasks.map(\.phase).max() ?? -1) + 1
        return (0..<n).map { p in tasks.filter { $0.phase == p } }
    }

    /// Expands `spec` (datasets x shots x config axes x seeds) into trials and tasks.
    /// - Throws: `ConfigError` (a bad key or value, naming the sweep or config file and
    ///   line), `SweepError.duplicateTrialFolder`, or a bad option for sweeps.
    public init(spec: SweepSpec) throws {
        self.spec = spec
        var builder = Builder(spec: spec)
        let shotsAxis: [Int?] = spec.shots.isEmpty ? [nil] : spec.shots.map { $0 }
        let points = Self.grid(spec.configAxes)
        // One setting per (shots, config-axis point, seed), seeds innermost.
        let settings = shotsAxis.flatMap { shots in
            points.flatMap { p in spec.seeds.map { Builder.Setting(shots: shots, point: p, seed: $0) } }
        }
        switch spec.pipeline {
        case .base2new:
            for dataset in spec.datasets {
                for s in settings {
                    let train = try builder.add(.trainBase, dataset: dataset, setting: s, subsample: "base")
                    let test = try builder.add(.testNew, dataset: dataset, setting: s, subsample: "new",
                                               dependency: train)
                    builder.tasks.append(SweepTask(phase: 0, trials: [train, test]))
                }
            }
        case .train:
            for dataset in spec.datasets {
                for s in settings {
                    let t = try builder.add(.train, dataset: dataset, setting: s)
                    builder.tasks.append(SweepTask(phase: 0, trials: [t]))
                }
            }
        case .crossDataset:
            // Phase 0 trains on the source once per setting; phase 1 evaluates every target.
            var trained: [Int] = []
            for s in settings {
                let t = try builder.add(.train, dataset: spec.source!, setting: s)
                trained.append(t)
                builder.tasks.append(SweepTask(phase: 0, trials: [t]))
            }
            for dataset in spec.datasets {
                for (i, s) in settings.enumerated() {
                    let e = try builder.add(.evaluate, dataset: dataset, setting: s, dependency: trained[i])
                    builder.tasks.append(SweepTask(phase: 1, trials: [e]))
                }
            }
        }
        trials = builder.trials
        tasks = builder.tasks
    }

    /// Every combination of the config axes' values (one empty point without axes).
    static func grid(_ axes: [SweepSpec.ConfigAxis]) -> [[(key: String, value: YAMLNode)]] {
        var points: [[(key: String, value: YAMLNode)]] = [[]]
        for axis in axes {
            points = points.flatMap { p in axis.values.map { p + [(axis.key, $0)] } }
        }
        return points
    }

    /// The trial of a relative folder, if any.
    public func trial(atRelativePath path: String) -> SweepTrial? { trials.first { $0.relativePath == path } }
}

// MARK: - Building trials

extension SweepPlan {
    struct Builder {
        let spec: SweepSpec
        var trials: [SweepTrial] = []
        var tasks: [SweepTask] = []
        var folders: Set<String> = []

        /// One grid point: shots (nil: the configs' value), config-axis values and seed.
        struct Setting {
            let shots: Int?
            let point: [(key: String, value: YAMLNode)]
            let seed: Int
        }

        init(spec: SweepSpec) { self.spec = spec }

        /// The options scripts/coop/main.sh names its `nctx<N>_csc<CSC>_ctp<POS>` folder after.
        static let coopMainKeys = ["TRAINER.COOP.N_CTX", "TRAINER.COOP.CSC", "TRAINER.COOP.CLASS_TOKEN_POSITION"]

        mutating func add(_ stage: SweepTrial.Stage, dataset: SweepSpec.Dataset, setting: Setting,
                          subsample: String? = nil, dependency: Int? = nil) throws -> Int {
            var config = try resolve(dataset: dataset, setting: setting, subsample: subsample)
            let seed = setting.seed
            let variant = setting.point.map { "\($0.key)=\(Self.label($0.value))" }.joined(separator: ",")
            // A TRAINER.NAME axis is the <Trainer> level of CoOp's tree, not a folder of its own;
            // CoOp trained by main.sh has its nctx<N>_csc<CSC>_ctp<POS> level instead of those axes.
            let trainer = config.trainer.name ?? spec.trainer
            let coopLevel = trainer == .coop && stage == .train
            let folded = coopLevel ? Self.coopMainKeys + ["TRAINER.NAME"] : ["TRAINER.NAME"]
            var pathVariant = setting.point.filter { !folded.contains($0.key) }
                .map { "\($0.key)=\(Self.label($0.value))" }.joined(separator: ",")
            if coopLevel {
                let c = config.trainer.coop
                let level = "nctx\(c.nCtx)_csc\(c.csc ? "True" : "False")_ctp\(c.classTokenPosition.rawValue)"
                pathVariant = pathVariant.isEmpty ? level : level + "/" + pathVariant
            }
            let path = relativePath(stage, dataset: dataset.name, shots: config.dataset.numShots,
                                    trainer: trainer.rawValue, variant: pathVariant, seed: seed)
            guard folders.insert(path).inserted else { throw SweepError.duplicateTrialFolder(path: path) }
            let outputDir = spec.outputRoot.appendingPathComponent(path)
            config.outputDir = outputDir.path
            let evalOnly = stage == .testNew || stage == .evaluate
            if !evalOnly && config.test.noTest {
                throw TrainingError.invalidSetting(key: "TEST.NO_TEST", problem: "is True for \(path) (\(spec.file)), "
                                                   + "but a sweep reads every trial's results.json")
            }
            var loadEpoch: Int?
            if let dependency { loadEpoch = spec.loadEpoch ?? trials[dependency].config.optim.maxEpoch }
            trials.append(SweepTrial(index: trials.count, stage: stage, relativePath: path, outputDir: outputDir,
                                     dataset: dataset.name, seed: seed, shots: config.dataset.numShots,
                                     variant: variant, config: config, evalOnly: evalOnly, dependency: dependency,
                                     loadEpoch: loadEpoch))
            return trials.count - 1
        }

        /// Layers as `cocoop train` does: defaults, dataset file, trainer file, the named
        /// flags, then the sweep's overrides (base, dataset, shots, axes, pipeline).
        func resolve(dataset: SweepSpec.Dataset, setting: Setting, subsample: String?) throws -> RunConfig {
            var c = RunConfig.defaults
            if let f = dataset.configFile { try c.merge(yamlFile: f) }
            if let f = spec.configFile { try c.merge(yamlFile: f) }
            try c.applyCommandLine(CommandLineFlags(root: spec.root, seed: setting.seed,
                                                    trainer: spec.trainer.rawValue))
            c.model.backbone.weights = spec.weights.path
            try c.merge(document: wrap(spec.overrides))
            try c.merge(document: wrap(dataset.overrides))
            if let shots = setting.shots { c.dataset.numShots = shots }
            try c.merge(document: wrap(setting.point.map {
                SweepYAML.nested(key: $0.key, value: $0.value, line: $0.value.line, column: $0.value.column)
            }))
            if let subsample { try c.merge(overrides: ["DATASET.SUBSAMPLE_CLASSES", subsample]) }
            try c.validate()
            return c
        }

        func wrap(_ entries: [YAMLNode.Entry]) -> YAMLDocument {
            YAMLDocument(file: spec.file, root: YAMLNode(.mapping(entries), line: 1, column: 1))
        }

        /// The folder of CoOp's scripts for this stage (base2new_train.sh, base2new_test.sh,
        /// xd_train.sh, xd_test.sh, main.sh) for `trainer` (the trial's TRAINER.NAME), with the
        /// other config-axis values as one more level.
        func relativePath(_ stage: SweepTrial.Stage, dataset: String, shots: Int, trainer t: String, variant: String,
                          seed: Int) -> String {
            let cfg = spec.configName
            let v = variant.isEmpty ? "" : "/" + variant
            switch stage {
            case .trainBase, .testNew:
                return "base2new/\(stage.rawValue)/\(dataset)/shots_\(shots)/\(t)/\(cfg)\(v)/seed\(seed)"
            case .train:
                return "\(dataset)/\(t)/\(cfg)_\(shots)shots\(v)/seed\(seed)"
            case .evaluate:
                return "evaluation/\(t)/\(cfg)_\(shots)shots\(v)/\(dataset)/seed\(seed)"
            }
        }

        /// A value as folder-name text: scalars as written, lists joined by '_'; characters
        /// other than letters, digits and `.+-_` become '_'.
        static func label(_ node: YAMLNode) -> String {
            let raw: String
            switch node.kind {
            case .scalar(let text, _): raw = text
            case .sequence(let items): raw = items.map(label).joined(separator: "_")
            case .mapping(let entries): raw = entries.map { "\($0.key)_\(label($0.value))" }.joined(separator: "_")
            }
            return String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || ".+-_".contains($0)) ? $0 : "_" })
        }
    }
}
