import Checkpoint
import Datasets
import Distributed
import Foundation
import PromptLearning
import RunState
import Support
import Tensor

/// The step's all-reduce buffer: the flat gradient, then the counters (`StepReduction`).
final class StepBuffers {
    let reduce: Tensor
    /// The gradient, a view of the first `layout.count` floats of `reduce`.
    let grads: ParameterBuffer
    /// Where the counters start in `reduce`.
    var counters: UnsafeMutablePointer<Float> { reduce.data + grads.layout.count }

    init(layout: ParameterLayout) {
        reduce = Tensor(zeros: [layout.count + StepReduction.slots])
        grads = ParameterBuffer(layout: layout, storage: reduce)
    }
}

/// What the step's all-reduce sums besides the gradient, each in a named slot (float32,
/// like the gradient, so one MPI_Allreduce carries both).
struct StepReduction {
    /// Sum of the per-sample losses.
    var lossSum = 0.0
    /// Samples whose top-1 prediction is the label.
    var correct = 0.0
    /// Samples in the step.
    var samples = 0.0
    /// Whether any rank has received a stop signal.
    var stopRequested = false
    /// Ranks whose share failed (images that did not load, a log that cannot be written).
    var failedRanks = 0

    /// The number of float slots.
    static let slots = 5

    init() {}

    /// Reads the slots at `p`.
    init(loading p: UnsafePointer<Float>) {
        lossSum = Double(p[0]); correct = Double(p[1]); samples = Double(p[2])
        stopRequested = p[3] > 0; failedRanks = Int(p[4])
    }

    /// Writes the slots at `p`.
    func store(into p: UnsafeMutablePointer<Float>) {
        p[0] = Float(lossSum); p[1] = Float(correct); p[2] = Float(samples)
        p[3] = stopRequested ? 1 : 0; p[4] = Float(failedRanks)
    }

    /// The mean loss over the step's samples.
    var meanLoss: Double { lossSum / max(samples, 1) }
    /// Top-1 accuracy in percent.
    var accuracy: Double { 100 * correct / max(samples, 1) }
}

/// Running averages as Dassl's AverageMeter: the last value and the mean so far.
struct Meter {
    var value = 0.0, sum = 0.0, count = 0.0
    mutating func update(_ v: Double, n: Double = 1) { value = v; sum += v * n; count += n }
    var average: Double { count > 0 ? sum / count : 0 }
}

extension Trainer {
    // MARK: - The loop

    /// Trains from `state` to OPTIM.MAX_EPOCH. Returns normally at the end; throws
    /// ``TrainingError/stopped`` after a stop signal (a checkpoint is written first) and
    /// ``TrainingError/nonFiniteLoss`` when the loss stops being finite.
    public func train() throws {
        let cfg = setup.config, train = setup.data.train
        guard !train.isEmpty else { throw TrainingError.emptyTrainingSet(dataset: setup.data.name) }
        let sampler = try EpochSampler(count: train.count, batchSize: setup.globalBatch,
                                       seed: UInt64(max(cfg.seed, 0)))
        let schedule = setup.schedule, maxEpoch = cfg.optim.maxEpoch, steps = sampler.stepsPerEpoch
        let buffers = StepBuffers(layout: learner.layout)
        let mode = StepMode.resolve(cfg.runtime.stepSplit, learner: learner, batch: setup.globalBatch,
                                    ranks: comm.size)
        let split = SplitStep(comm: comm, learner: learner)
        var batchTime = Meter(), dataTime = Meter(), loss = Meter(), acc = Meter()
        // Debugging and fault-injection tests: pause after every step (milliseconds).
        let stepDelay = Double(ProcessInfo.processInfo.environment["COCOOP_DEBUG_STEP_DELAY_MS"] ?? "") ?? 0
        log.info("Training \(setup.trainer.rawValue) on \(setup.data.name): \(train.count) images, "
                 + "\(setup.data.classnames.count) classes, global batch \(setup.globalBatch) over \(comm.size) "
                 + "rank(s), \(steps) steps x \(maxEpoch) epochs")
        let names = learner.layout.slots.map { "prompt_learner." + $0.name }.sorted().joined(separator: ", ")
        log.info("Parameters to be updated: \(names) (\(learner.layout.count) floats)")
        if comm.size > 1 {
            log.info(mode == .images ? "Step split: whole images per rank (RUNTIME.STEP_SPLIT \(cfg.runtime.stepSplit))"
                     : "Step split: the step's prompts over \(comm.size) ranks, image features shared "
                        + "(RUNTIME.STEP_SPLIT \(cfg.runtime.stepSplit))")
        }
        while state.epoch < maxEpoch {
            let epoch = state.epoch
            let plan = sampler.plan(epoch: epoch)
            let lr = schedule.lr(epoch: epoch)
            let (input, batches) = try stepInput(mode: mode, plan: plan, first: state.stepInEpoch, split: split)
            defer { batches.shutdown() }
            while state.stepInEpoch < steps {
                let s = state.stepInEpoch
                let t0 = Date()
                let (reduced, loaded) = try step(s, epoch: epoch, globalCount: plan.globalBatch(step: s).count,
                                                 input: input, lr: lr, buffers: buffers)
                let t1 = Date()
                if stepDelay > 0 { Thread.sleep(forTimeInterval: stepDelay / 1000) }
                watchdog.beat("epoch \(epoch + 1) step \(s + 1): done")
                dataTime.update(loaded.timeIntervalSince(t0)); batchTime.update(t1.timeIntervalSince(t0))
                loss.update(reduced.meanLoss); acc.update(reduced.accuracy)
                let remaining = (steps - state.stepInEpoch) + (maxEpoch - epoch - 1) * steps
                report(epoch: epoch, step: s, steps: steps, maxEpoch: maxEpoch, lr: lr, batch: batchTime,
                       data: dataTime, loss: loss, acc: acc, images: reduced.samples, remaining: remaining)
                if reduced.stopRequested {
                    let url = try saveCheckpoint()
                    throw TrainingError.stopped(signal: StopSignals.pending == 0 ? SIGTERM : StopSignals.pending,
                                                checkpoint: url?.path)
                }
                let freq = cfg.runtime.checkpoint.stepFreq
                if freq > 0 && state.globalStep % freq == 0 && state.stepInEpoch < steps { _ = try saveCheckpoint() }
                let check = cfg.runtime.consistencyCheckFreq
                if check > 0 && state.globalStep % check == 0 {
                    try ParameterConsistency.verify(UnsafeBufferPointer(state.params.storage.buffer), on: comm)
                }
            }
            state.epoch += 1
            state.stepInEpoch = 0
            loss = Meter(); acc = Meter()
            if cfg.selectsBestValidation { try validate() }
            _ = try saveCheckpoint()
        }
        try ParameterConsistency.verify(UnsafeBufferPointer(state.params.storage.buffer), on: comm)
        watchdog.stop()
        log.info("Finish training")
    }

    // MARK: - One step

    /// Where a step's images come from: per-step batches of this rank's whole images, or
    /// the features of every image of the step, shared by the ranks.
    enum StepInput {
        case images(BatchLoader)
        case prompts(FeatureFeed, SplitStep)
    }

    /// The epoch's input for `mode` from step `first` on.
    func stepInput(mode: StepMode, plan: EpochPlan, first: Int, split: SplitStep) throws -> (StepInput, BatchLoader) {
        let train = setup.data.train, steps = plan.steps
        switch mode {
        case .images:
            let batches = try BatchLoader(loader: pipeline.trainLoader, items: train,
                                          requests: plan.batchRequests(rank: comm.rank, worldSize: comm.size,
                                                                       steps: first..<steps),
                                          options: pipeline.options)
            return (.images(batches), batches)
        case .prompts:
            let window = FeatureFeed.window(batch: setup.globalBatch, ranks: comm.size)
            let batches = try BatchLoader(loader: pipeline.trainLoader, items: train,
                                          requests: FeatureFeed.requests(plan: plan, steps: first..<steps,
                                                                         window: window, rank: comm.rank,
                                                                         worldSize: comm.size),
                                          options: pipeline.options)
            let vision = setup.clip.vision
            let feed = FeatureFeed(comm: comm, plan: plan, window: window, embedDim: setup.clip.text.embedDim,
                                   batches: batches) {
                vision.encode(pixels: DataPipeline.pixels($0, resolution: vision.resolution))
            }
            return (.prompts(feed, split), batches)
        }
    }

    /// One optimisation step, the same on every rank: this rank's part of global batch `s`
    /// forward and backward (its gradient scaled by 1 / the global batch), one all-reduce
    /// of the gradient and the counters, a check that both are finite, the SGD update.
    /// A rank whose images fail to load, or whose log cannot be written, still joins the
    /// all-reduce with its failure flag set, so every rank stops there together.
    /// - Returns: the summed counters and when this rank's images were ready.
    func step(_ s: Int, epoch: Int, globalCount: Int, input: StepInput, lr: Double,
              buffers: StepBuffers) throws -> (StepReduction, loaded: Date) {
        var local = StepReduction(), failure: Error?, loaded = Date()
        buffers.reduce.zero()
        watchdog.beat("epoch \(epoch + 1) step \(s + 1): loading images")
        switch input {
        case .images(let batches):
            do {
                try log.check()
                guard let batch = try batches.next(), batch.tag == s else {
                    throw InternalError("the batch loader lost step \(s + 1) of epoch \(epoch + 1)")
                }
                loaded = Date()
                watchdog.beat("epoch \(epoch + 1) step \(s + 1): computing")
                if batch.count > 0 {
                    let pixels = DataPipeline.pixels(batch, resolution: setup.clip.vision.resolution)
                    let st = learner.step(imageFeatures: setup.clip.vision.encode(pixels: pixels),
                                          labels: batch.labels, params: state.params, grads: buffers.grads,
                                          gradScale: 1 / Float(globalCount))
                    local.lossSum = st.lossSum; local.correct = Double(st.correct); local.samples = Double(st.count)
                }
            } catch {
                failure = error
                local.failedRanks = 1
            }
        case .prompts(let feed, let split):
            // The feed and the split step are collective and fail on every rank together.
            let (features, labels) = try feed.features(step: s)
            loaded = Date()
            watchdog.beat("epoch \(epoch + 1) step \(s + 1): computing")
            let st = try split.run(features: features, labels: labels, params: state.params, grads: buffers.grads,
                                   gradScale: 1 / Float(globalCount))
            if comm.isRoot {   // every rank has the step's statistics; one reports them
                local.lossSum = st.lossSum; local.correct = Double(st.correct); local.samples = Double(st.count)
            }
            do { try log.check() } catch { failure = error; local.failedRanks = 1 }
        }
        local.stopRequested = StopSignals.pending != 0
        local.store(into: buffers.counters)
        watchdog.beat("epoch \(epoch + 1) step \(s + 1): all-reduce")
        try comm.allReduceSum(buffers.reduce.data, count: buffers.reduce.count)
        let reduced = StepReduction(loading: buffers.counters)
        if reduced.failedRanks > 0 { try comm.failTogether(failure) }
        let n = learner.layout.count, grads = buffers.grads.storage.data
        guard reduced.meanLoss.isFinite && (0..<n).allSatisfy({ grads[$0].isFinite }) else {
            throw TrainingError.nonFiniteLoss(epoch: epoch, step: s, loss: reduced.meanLoss,
                                              lastCheckpoint: lastCheckpoint?.path)
        }
        setup.optimizer.step(params: state.params.storage.data, grads: grads,
                             momentumBuffer: state.momentum.storage.data, count: n, lr: Float(lr),
                             firstStep: !state.momentumInitialized)
        state.momentumInitialized = true
        state.stepInEpoch += 1
        state.globalStep += 1
        return (reduced, loaded)
    }

    // MARK: - Best validation (TEST.FINAL_MODEL best_val)

    /// Scores the parameters of the epoch just finished on the validation split; a strictly
    /// better accuracy than the best so far (Dassl's rule) makes this epoch's checkpoint,
    /// written next, the best.
    func validate() throws {
        watchdog.beat("epoch \(state.epoch): validation")
        let r = try setup.validate(params: state.params, pipeline: pipeline, log: log, epoch: state.epoch)
        if r.accuracy > state.best?.accuracy ?? -.infinity {
            state.best = ResumeRecord.BestValidation(accuracy: r.accuracy, epoch: state.epoch, step: state.globalStep)
        }
        if let best = state.best {
            log.info(String(format: "Best val accuracy %.2f%% (epoch %d)", best.accuracy, best.epoch))
            log.scalar("val/best_accuracy", best.accuracy, step: state.epoch - 1)
        }
    }

    /// The parameters the final test uses, their epoch and checkpoint: with best_val the
    /// best epoch's checkpoint (rank 0 reads it, every rank receives it), else the last.
    public func deployedParameters() throws -> (params: ParameterBuffer, epoch: Int, checkpoint: String?) {
        guard setup.config.selectsBestValidation, let best = state.best else {
            log.info("Deploy the last-epoch model")
            return (state.params, state.epoch, lastCheckpoint?.path)
        }
        let url = checkpoints.url.appendingPathComponent(best.checkpointName)
        log.info(String(format: "Deploy the model with the best val performance: epoch %d, %.2f%% (%@)",
                        best.epoch, best.accuracy, url.path))
        let params = try comm.together {
            comm.isRoot ? try TrainingState.parameters(of: try Checkpoint.load(from: url), layout: learner.layout,
                                                       file: url.path, use: .evaluate)
                        : ParameterBuffer(layout: learner.layout)
        }
        try comm.broadcast(params.storage.data, count: params.layout.count, root: 0)
        return (params, best.epoch, url.path)
    }

    /// Dassl's progress line every TRAIN.PRINT_FREQ steps, plus metrics.jsonl, TensorBoard
    /// and status.json.
    func report(epoch: Int, step s: Int, steps: Int, maxEpoch: Int, lr: Double, batch: Meter, data: Meter,
                loss: Meter, acc: Meter, images: Double, remaining: Int) {
        guard log.isRoot else { return }
        let printFreq = max(setup.config.train.printFreq, 1)
        let eta = batch.average * Double(remaining)
        if (s + 1) % printFreq == 0 || steps < printFreq {
            log.info(String(format: "epoch [%d/%d] batch [%d/%d] time %.3f (%.3f) data %.3f (%.3f) "
                                + "loss %.4f (%.4f) acc %.4f (%.4f) lr %.4e eta %@",
                            epoch + 1, maxEpoch, s + 1, steps, batch.value, batch.average, data.value, data.average,
                            loss.value, loss.average, acc.value, acc.average, lr, Self.duration(eta)))
        }
        let ips = images / max(batch.value, 1e-9)
        log.metrics([("epoch", .int(epoch + 1)), ("step", .int(s + 1)), ("global_step", .int(state.globalStep)),
                     ("loss", .double(loss.value)), ("acc", .double(acc.value)), ("lr", .double(lr)),
                     ("batch_time", .double(batch.value)), ("data_time", .double(data.value)),
                     ("images_per_s", .double(ips)), ("time", .double(Date().timeIntervalSince1970))])
        // Dassl writes train/<name> for each entry of the trainer's loss summary: CoOp's has
        // loss and acc, CoCoOp's only loss.
        log.scalar("train/loss", loss.average, step: state.globalStep - 1)
        if setup.trainer == .coop { log.scalar("train/acc", acc.average, step: state.globalStep - 1) }
        log.scalar("train/lr", lr, step: state.globalStep - 1)
        log.status([("state", .string("training")), ("epoch", .int(epoch + 1)), ("max_epoch", .int(maxEpoch)),
                    ("step", .int(s + 1)), ("steps_per_epoch", .int(steps)), ("global_step", .int(state.globalStep)),
                    ("loss", .double(loss.value)), ("loss_avg", .double(loss.average)), ("lr", .double(lr)),
                    ("images_per_s", .double(ips)), ("eta_seconds", .double(eta)),
                    ("updated", .string(ISO8601DateFormatter().string(from: Date())))])
    }

    /// h:mm:ss as Python's str(timedelta(seconds=int(s))).
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.isFinite ? seconds : 0)
        let days = s / 86400, rest = s % 86400
        let hms = String(format: "%d:%02d:%02d", rest / 3600, (rest % 3600) / 60, rest % 60)
        return days > 0 ? "\(days) day\(days == 1 ? "" : "s"), \(hms)" : hms
    }
}
