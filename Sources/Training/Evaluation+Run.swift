import Checkpoint
import Config
import Datasets
import Foundation
import PromptLearning
import RunState
import Support
import Tensor

extension RunConfig {
    /// TEST.FINAL_MODEL best_val with testing on: score the validation split after every
    /// epoch and deploy the best epoch's parameters for the final test (Dassl's rule).
    var selectsBestValidation: Bool { test.finalModel == .bestVal && !test.noTest }
}

extension RunSetup {
    /// Evaluates the run's model on TEST.SPLIT (test, or val when it exists), distributed
    /// over the ranks, prints Dassl's result block (rank 0, also into log.txt), writes
    /// results.json (recording `epoch`, the model's) and Dassl's TensorBoard scalars at `step`
    /// (Dassl's `self.epoch`: the last 0-based epoch after training, 0 for `--eval-only`).
    /// `params` is nil for zero-shot CLIP. Every rank stops here if rank 0 could not write
    /// the log (see `RunLog.check()`).
    public func evaluate(params: ParameterBuffer?, pipeline: DataPipeline, log: RunLog,
                         epoch: Int, step: Int, checkpoint: String?) throws -> EvaluationResult {
        var split = config.test.split.rawValue
        var items = split == "val" ? data.val : data.test
        if items.isEmpty && split == "val" { split = "test"; items = data.test }
        let result = try score(split: split, items: items, params: params, pipeline: pipeline, log: log, epoch: epoch,
                               step: step)
        let json: JSONValue = .object([
            ("trainer", .string(trainer.rawValue)), ("dataset", .string(data.name)),
            ("subsample_classes", .string(config.dataset.subsampleClasses.rawValue)),
            ("num_shots", .int(config.dataset.numShots)), ("seed", .int(config.seed)),
            ("classes", .int(data.classnames.count)), ("epoch", .int(epoch)),
            ("checkpoint", checkpoint.map { .string($0) } ?? .null),
            ("split", .string(result.split)), ("total", .int(result.total)), ("correct", .int(result.correct)),
            ("accuracy", .double(result.accuracy)), ("error", .double(result.error)),
            ("macro_f1", .double(result.macroF1)),
        ])
        log.writeAtomically(json.serialized(indent: 2) + "\n", to: "results.json")
        try comm.together { try log.check() }
        return result
    }

    /// Scores `params` on the validation split after epoch `epoch` (1-based; TEST.FINAL_MODEL
    /// best_val), logged like the final evaluation but without results.json; TensorBoard's
    /// step is Dassl's 0-based epoch.
    func validate(params: ParameterBuffer, pipeline: DataPipeline, log: RunLog, epoch: Int) throws -> EvaluationResult {
        try score(split: "val", items: data.val, params: params, pipeline: pipeline, log: log, epoch: epoch,
                  step: epoch - 1)
    }

    /// One distributed evaluation: Dassl's "Evaluate on the *split* set" and result block,
    /// Dassl's TensorBoard scalars (`<split>/accuracy`, `error_rate`, `macro_f1`, and
    /// `perclass_accuracy` with TEST.PER_CLASS_RESULT) at `step`, and a metrics.jsonl event.
    private func score(split: String, items: [Datum], params: ParameterBuffer?, pipeline: DataPipeline, log: RunLog,
                       epoch: Int, step: Int) throws -> EvaluationResult {
        log.info("Evaluate on the *\(split)* set")
        let evaluator = Evaluator(comm: comm, pipeline: pipeline, batchSize: config.dataloader.test.batchSize,
                                  resolution: clip.vision.resolution)
        let chunk = config.runtime.evalClassChunk > 0 ? config.runtime.evalClassChunk : data.classnames.count
        // Cached features are those of this model, this test transform and this image.
        let cache = options.featureCache.map { c -> (features: ImageFeatureCache, key: (Datum) -> String) in
            c.bind(clip)
            c.resetCounts()
            let source = data.imageSource, transform = "\(DataPipeline.transformSettings(config).test)"
            return (c, { transform + "|" + source.displayName(for: $0) })
        }
        let result = try evaluator.evaluate(
            split: split, items: items, classes: data.classnames.count,
            encode: { clip.vision.encode(pixels: $0) },
            logits: { features in
                if let learner, let params {
                    return learner.evaluationLogits(imageFeatures: features, params: params, classChunk: chunk)
                }
                return zeroShot!.logits(imageFeatures: features)
            }, cache: cache)
        if let c = cache?.features {
            log.info("Image features (rank 0): \(c.hits) from the cache, \(c.misses) encoded; \(c.count) cached")
        }
        log.info(result.resultBlock)
        log.scalar("\(split)/accuracy", result.accuracy, step: step)
        log.scalar("\(split)/error_rate", result.error, step: step)
        log.scalar("\(split)/macro_f1", result.macroF1, step: step)
        if config.test.perClassResult {
            log.info(result.perClassBlock(classnames: data.classnames))
            let seen = result.perClassAccuracy.compactMap { $0 }
            log.scalar("\(split)/perclass_accuracy", seen.reduce(0, +) / Double(max(seen.count, 1)), step: step)
        }
        log.metrics([("event", .string("evaluation")), ("epoch", .int(epoch)), ("result", result.json)])
        return result
    }

    /// The parameters of the checkpoint to evaluate: in `--model-dir` (or its checkpoints/
    /// folder; default the output folder), the newest valid one of epoch `--load-epoch` (any
    /// epoch when not given), checked as `CheckpointPolicy` says for `.evaluate`. Rank 0
    /// reads and checks it (hashing the CLIP weights once, not on every rank) and sends the
    /// parameters to the others; a failure on rank 0 fails every rank. Collective.
    /// - Returns: the parameters, the checkpoint's epoch and its path.
    public func loadForEvaluation(layout: ParameterLayout, log: RunLog) throws -> (ParameterBuffer, Int, String) {
        let (params, epoch, path) = try comm.together {
            comm.isRoot ? try loadCheckpointForEvaluation(layout: layout, log: log)
                        : (ParameterBuffer(layout: layout), 0, "")
        }
        try comm.broadcast(params.storage.data, count: layout.count, root: 0)
        let position = try comm.broadcast([Int64(epoch)], root: 0)
        return (params, Int(position[0]), try comm.broadcast(path, root: 0))
    }

    /// Rank 0's part of `loadForEvaluation`.
    private func loadCheckpointForEvaluation(layout: ParameterLayout, log: RunLog) throws
        -> (ParameterBuffer, Int, String) {
        let dir = CheckpointDirectory.model(options.modelDir ?? outputDir)
        let result = try dir.loadNewestValid(epoch: options.loadEpoch) { c, entry in
            try ResumeRecord(reading: c, file: entry.url.path)
        }
        for w in result.warnings { log.warn(w) }
        guard let (entry, contents, record) = result.loaded else {
            // CoOp's own layout (prompt_learner/model.pth.tar-N), where Dassl's load_model looks.
            let coop = CoOpParameterFile.dasslCheckpointPath(modelDir: options.modelDir ?? outputDir,
                                                             epoch: options.loadEpoch)
            if result.skipped.isEmpty, FileManager.default.fileExists(atPath: coop.path) {
                let (params, epoch) = try CoOpParameterFile.loadDassl(coop, layout: layout)
                log.warn("\(coop.path) is a CoOp (Dassl) checkpoint: the CLIP weights, class names and settings "
                         + "it was trained with are not recorded in it, so they are not checked")
                log.info("Loading weights from \(coop.path) (epoch \(epoch.map(String.init) ?? "unknown"))")
                return (params, epoch ?? options.loadEpoch ?? 0, coop.path)
            }
            var detail = result.skipped.isEmpty ? options.loadEpoch.map { "none of epoch \($0)" } ?? ""
                : result.skipped.map { "\($0.entry.name): \($0.reason)" }.joined(separator: "; ")
            if result.skipped.isEmpty {
                detail += (detail.isEmpty ? "" : "; ") + "no cocoop checkpoint (checkpoints/*.h5) and no CoOp "
                    + "checkpoint (\(coop.path)); --model-dir is the training run's output folder"
                    + (options.loadEpoch == nil ? ", and without --load-epoch CoOp's model-best.pth.tar is looked for"
                                                : "")
            }
            throw RunStateError.noCheckpoint(directory: dir.url.path, detail: detail)
        }
        try CheckpointPolicy.check(record, file: entry.url.path, for: .evaluate, run: checkpointRun)
        let params = try TrainingState.parameters(of: contents, layout: layout, file: entry.url.path, use: .evaluate)
        log.info("Loading weights from \(entry.url.path) (epoch \(record.epoch))")
        return (params, record.epoch, entry.url.path)
    }
}
