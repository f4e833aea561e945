import Checkpoint
import CLIP
import Config
import Datasets
import Distributed
import Foundation
import PromptLearning
import Support
import Tensor

/// The training loop of one run: every rank takes its share of each global batch, computes
/// the gradient of its samples, one all-reduce sums gradients and counters, every rank
/// applies the same SGD update; rank 0 logs and writes checkpoints.
public final class Trainer {
    public let setup: RunSetup
    public let learner: PromptLearner
    public let log: RunLog
    public let pipeline: DataPipeline
    public let state: TrainingState
    let comm: Communicator
    let checkpoints: CheckpointDirectory
    let softwareVersion: String
    let watchdog: Watchdog
    private var weightsDigest: String?
    public internal(set) var lastCheckpoint: URL?

    public init(setup: RunSetup, learner: PromptLearner, log: RunLog, pipeline: DataPipeline,
                softwareVersion: String) throws {
        self.setup = setup; self.learner = learner; self.log = log; self.pipeline = pipeline
        self.softwareVersion = softwareVersion
        comm = setup.comm
        checkpoints = CheckpointDirectory(setup.outputDir.appendingPathComponent("checkpoints"))
        watchdog = Watchdog(limit: TimeInterval(setup.config.runtime.watchdogSeconds), rank: comm.rank)
        state = TrainingState(params: ParameterBuffer(layout: learner.layout))
    }

    /// SHA-256 of the CLIP weights file (rank 0, computed once).
    func weightsSHA256() throws -> String {
        if let d = weightsDigest { return d }
        let d = try setup.clip.weights.contentSHA256()
        weightsDigest = d
        return d
    }

    // MARK: - Start: fresh, initialised from a file, or resumed

    /// Fills `state`: resumes from the newest valid checkpoint when there is one (and
    /// `resume` allows it), else initial parameters (MODEL.INIT_WEIGHTS or seeded). Rank 0
    /// decides and broadcasts, so every rank starts from identical bits.
    public func prepare() throws {
        let resumed = try comm.together { comm.isRoot ? (try prepareOnRoot() ? 1 : 0) : 0 }
        watchdog.beat("broadcasting the initial state")
        try comm.broadcast(state.params.storage.data, count: state.params.layout.count, root: 0)
        try comm.broadcast(state.momentum.storage.data, count: state.momentum.layout.count, root: 0)
        var position = [Int64(state.epoch), Int64(state.stepInEpoch), Int64(state.globalStep),
                        state.momentumInitialized ? 1 : 0, Int64(resumed)]
        position = try comm.broadcast(position, root: 0)
        state.epoch = Int(position[0]); state.stepInEpoch = Int(position[1])
        state.globalStep = Int(position[2]); state.momentumInitialized = position[3] != 0
    }

    private func prepareOnRoot() throws -> Bool {
        let cfg = setup.config
        let mode = setup.options.resume
        let dir = mode == "auto" || mode == "never" ? checkpoints : CheckpointDirectory(URL(fileURLWithPath: mode))
        let existing = (try? dir.entries()) ?? []
        if mode == "never" && !existing.isEmpty {
            throw TrainingError.badOption("--resume never, but \(dir.url.path) already holds checkpoints; use another --output-dir")
        }
        if mode != "never" && !existing.isEmpty {
            let result = try dir.loadNewestValid()
            for w in result.warnings { log.warn(w) }
            guard let (entry, contents) = result.loaded else {
                throw TrainingError.noCheckpoint(directory: dir.url.path, detail: result.warnings.joined(separator: "; "))
            }
            try checkCompatible(contents, path: entry.url.path)
            try state.restore(from: contents, path: entry.url.path)
            lastCheckpoint = entry.url
            log.info("Resuming from \(entry.url.path) (epoch \(state.epoch), step \(state.stepInEpoch) of the epoch, written by \(contents.worldSize) rank(s))")
            return true
        }
        let p: ParameterBuffer
        if !cfg.model.initWeights.isEmpty {
            p = try Self.loadInitWeights(URL(fileURLWithPath: cfg.model.initWeights), layout: learner.layout)
            log.info("Initial prompt-learner parameters from \(cfg.model.initWeights)")
        } else {
            p = try learner.initialParameters(seed: UInt64(max(cfg.seed, 0)), tokenizer: setup.tokenizer)
        }
        state.params.storage.data.update(from: p.storage.data, count: p.layout.count)
        return false
    }

    /// MODEL.INIT_WEIGHTS: one of our checkpoints (.h5) or a safetensors file with CoOp's names.
    static func loadInitWeights(_ url: URL, layout: ParameterLayout) throws -> ParameterBuffer {
        if url.pathExtension == "h5" { return try TrainingState.parameters(fromCheckpoint: url, layout: layout).params }
        return try CoOpParameterFile.load(url, layout: layout)
    }

    /// A checkpoint may resume this run only if it was made from the same CLIP weights,
    /// classes and training-defining settings.
    func checkCompatible(_ c: CheckpointContents, path: String) throws {
        let sha = try weightsSHA256()
        if c.clipWeightsSHA256 != sha {
            throw TrainingError.incompatibleCheckpoint(path: path, reason: "it was trained on other CLIP weights (sha256 \(c.clipWeightsSHA256.prefix(12))…, these are \(sha.prefix(12))…)")
        }
        if c.classnames != learner.prompts.classnames.map({ $0 }) && c.classnames != setup.data.classnames {
            throw TrainingError.incompatibleCheckpoint(path: path, reason: "its classes differ from this run's")
        }
        var old = RunConfig.defaults
        try old.merge(yaml: c.configYAML, file: path + ":config_yaml")
        let new = setup.config
        var differs: [String] = []
        if old.trainer != new.trainer { differs.append("TRAINER") }
        if old.optim != new.optim { differs.append("OPTIM") }
        if old.input != new.input { differs.append("INPUT") }
        if old.seed != new.seed { differs.append("SEED") }
        if old.dataset.name != new.dataset.name || old.dataset.numShots != new.dataset.numShots
            || old.dataset.subsampleClasses != new.dataset.subsampleClasses { differs.append("DATASET") }
        if old.dataloader.trainX.batchSize != new.dataloader.trainX.batchSize { differs.append("DATALOADER.TRAIN_X.BATCH_SIZE") }
        if !differs.isEmpty {
            throw TrainingError.incompatibleCheckpoint(path: path, reason: "its config differs in \(differs.joined(separator: ", "))")
        }
    }
}
