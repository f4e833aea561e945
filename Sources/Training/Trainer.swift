import Checkpoint
import CLIP
import Config
import Datasets
import Distributed
import Foundation
import PromptLearning
import RunState
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

    // MARK: - Start: fresh, initialised from a file, or resumed

    /// Fills `state`: resumes from the newest valid checkpoint when there is one (and
    /// `--resume` allows it), else initial parameters (MODEL.INIT_WEIGHTS or seeded). Rank 0
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

    /// The folder `--resume` takes checkpoints from: a given folder's `checkpoints/` when it
    /// has one (a run's output folder, as CoOp's `--resume` names it), else the folder itself.
    var resumeFolder: CheckpointDirectory {
        if case .from(let url) = setup.options.resume { return CheckpointDirectory.model(url) }
        return checkpoints
    }

    /// Rank 0's part of `prepare()`: returns whether it resumed.
    private func prepareOnRoot() throws -> Bool {
        let cfg = setup.config, policy = setup.options.resume
        if !setup.options.dryRun {
            for stale in try checkpoints.removeStaleTemporaries() {
                log.info("Removed \(stale.path), left by a checkpoint save that was interrupted")
            }
        }
        let dir = resumeFolder
        let existing = try dir.entries()
        if policy == .never && !existing.isEmpty {
            throw TrainingError.invalidSetting(
                key: "--resume",
                problem: "never, but \(dir.url.path) already holds checkpoints; use another --output-dir")
        }
        if policy != .never && !existing.isEmpty {
            let steps = try EpochSampler(count: setup.data.train.count, batchSize: setup.globalBatch,
                                         seed: 0).stepsPerEpoch
            let result = try dir.loadNewestValid { c, entry in
                let record = try ResumeRecord(reading: c, file: entry.url.path)
                // A position this run cannot reach is a damaged (or foreign) file: the previous
                // checkpoint is tried instead of trapping or reporting the run done.
                // (A stop after an epoch's last step saves step_in_epoch = steps.)
                let inEpoch = record.stepInEpoch
                guard c.epoch <= cfg.optim.maxEpoch, inEpoch <= steps else {
                    throw RunStateError.incompatible(
                        file: entry.url.path, use: .resume,
                        reason: "its position (epoch \(c.epoch), step \(inEpoch) of the epoch) is not in this run's "
                            + "\(cfg.optim.maxEpoch) epochs of \(steps) steps")
                }
                return record
            }
            for w in result.warnings { log.warn(w) }
            guard let (entry, contents, record) = result.loaded else {
                throw RunStateError.noCheckpoint(directory: dir.url.path,
                                                 detail: result.warnings.joined(separator: "; "))
            }
            try CheckpointPolicy.check(record, file: entry.url.path, for: .resume, run: setup.checkpointRun)
            try state.restore(from: contents, record: record, file: entry.url.path, use: .resume)
            lastCheckpoint = entry.url
            log.info("Resuming from \(entry.url.path) (epoch \(state.epoch), step \(state.stepInEpoch) of the epoch, "
                     + "written by \(record.worldSize) rank(s))")
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

    /// MODEL.INIT_WEIGHTS: one of our checkpoints (.h5), or a file with CoOp's names
    /// (safetensors, or a PyTorch file such as Dassl's `model.pth.tar-N`).
    static func loadInitWeights(_ url: URL, layout: ParameterLayout) throws -> ParameterBuffer {
        guard url.pathExtension == "h5" else { return try CoOpParameterFile.load(url, layout: layout) }
        return try TrainingState.parameters(of: try Checkpoint.load(from: url), layout: layout, file: url.path,
                                            use: .initWeights)
    }

    // MARK: - Checkpoints

    /// Parameters beyond this magnitude have diverged: prompt vectors and Meta-Net weights of
    /// a healthy run stay within a few units (CLIP's token embeddings are about 0.01-1).
    static let divergedMagnitude: Float = 1e6

    /// The first parameter that is NaN, Inf or beyond ``divergedMagnitude``, described; nil
    /// when the state is fit to be a checkpoint.
    func divergedParameter() -> String? {
        let values = state.params.storage.data
        for slot in learner.layout.slots {
            for i in 0..<slot.count where !(abs(values[slot.offset + i]) <= Self.divergedMagnitude) {
                return "prompt_learner.\(slot.name)[\(i)] is \(values[slot.offset + i])"
            }
        }
        return nil
    }

    /// Rank 0 writes the state (temporary name, fsync, rename) and prunes old files;
    /// all ranks wait for it.
    @discardableResult
    func saveCheckpoint() throws -> URL? {
        // Rank 0 writes; the agreement doubles as the barrier that keeps ranks in step.
        try comm.together { () throws -> URL? in
            guard comm.isRoot else { return nil }
            try log.check()
            if let problem = divergedParameter() {
                // A diverged state would become the "last good checkpoint" of the exit 4 that follows.
                log.warn("no checkpoint written: the parameters diverged (\(problem)); the last good checkpoint "
                         + "stays \(lastCheckpoint?.path ?? "none")")
                return lastCheckpoint
            }
            watchdog.beat("writing a checkpoint")
            let record = state.record(worldSize: comm.size, trainer: setup.trainer, config: setup.config,
                                      weightsSHA256: try setup.weightsSHA256(), classnames: setup.data.classnames)
            let url = try checkpoints.save(state.contents(record, softwareVersion: softwareVersion))
            lastCheckpoint = url
            // Keep the newest K and the newest epoch-end checkpoint.
            let steps = try EpochSampler(count: setup.data.train.count, batchSize: setup.globalBatch,
                                         seed: 0).stepsPerEpoch
            let epochEnd = try checkpoints.entries().first { $0.step == $0.epoch * steps }
            var keeping = Set(epochEnd.map { [$0.name] } ?? [])
            if setup.config.runtime.checkpoint.keepBest, let best = state.best { keeping.insert(best.checkpointName) }
            _ = try checkpoints.prune(keepNewest: max(setup.config.runtime.checkpoint.keep, 1), keeping: keeping)
            return url
        }
    }
}
