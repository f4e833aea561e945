import Checkpoint
import Datasets
import Distributed
import Foundation
import PromptLearning
import Support
import Tensor

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
        let schedule = setup.schedule, sgd = setup.optimizer
        let maxEpoch = cfg.optim.maxEpoch, steps = sampler.stepsPerEpoch
        let n = learner.layout.count
        // Gradient and five counters (loss sum, correct, samples, stop flag, failed ranks) in
        // one all-reduce: a rank whose images fail to load still joins it, so every rank
        // learns of the failure there and all of them stop together.
        let reduce = Tensor(zeros: [n + 5])
        let grads = ParameterBuffer(layout: learner.layout, storage: reduce)
        var batchTime = Meter(), dataTime = Meter(), loss = Meter(), acc = Meter()
        // Debugging and fault-injection tests: pause after every step (milliseconds).
        let stepDelay = Double(ProcessInfo.processInfo.environment["COCOOP_DEBUG_STEP_DELAY_MS"] ?? "") ?? 0
        log.info("Training \(cfg.trainer.name) on \(setup.data.name): \(train.count) images, \(setup.data.classnames.count) classes, global batch \(setup.globalBatch) over \(comm.size) rank(s), \(steps) steps x \(maxEpoch) epochs")
        log.info("Parameters to be updated: \(learner.layout.slots.map { "prompt_learner." + $0.name }.sorted().joined(separator: ", ")) (\(n) floats)")
        while state.epoch < maxEpoch {
            let epoch = state.epoch
            let plan = sampler.plan(epoch: epoch)
            let lr = schedule.lr(epoch: epoch)
            let batches = try BatchLoader(loader: pipeline.trainLoader, items: train,
                                          requests: plan.batchRequests(rank: comm.rank, worldSize: comm.size,
                                                                       steps: state.stepInEpoch..<steps),
                                          options: pipeline.options)
            defer { batches.shutdown() }
            while state.stepInEpoch < steps {
                let s = state.stepInEpoch
                let t0 = Date()
                watchdog.beat("epoch \(epoch + 1) step \(s + 1): loading images")
                let globalCount = plan.globalBatch(step: s).count
                var t1 = Date(), failure: Error?
                reduce.zero()
                do {
                    guard let batch = try batches.next(), batch.tag == s else {
                        throw TrainingError.badOption("internal: the batch loader lost step \(s + 1) of epoch \(epoch + 1)")
                    }
                    t1 = Date()
                    watchdog.beat("epoch \(epoch + 1) step \(s + 1): computing")
                    if batch.count > 0 {
                        let f = setup.clip.vision.encode(pixels: DataPipeline.pixels(batch, resolution: setup.clip.vision.resolution))
                        let st = learner.step(imageFeatures: f, labels: batch.labels, params: state.params,
                                              grads: grads, gradScale: 1 / Float(globalCount))
                        reduce.data[n] = Float(st.lossSum)
                        reduce.data[n + 1] = Float(st.correct)
                        reduce.data[n + 2] = Float(st.count)
                    }
                } catch {
                    failure = error
                    reduce.data[n + 4] = 1
                }
                reduce.data[n + 3] = StopSignals.pending != 0 ? 1 : 0
                watchdog.beat("epoch \(epoch + 1) step \(s + 1): all-reduce")
                try comm.allReduceSum(reduce.data, count: n + 5)
                if reduce.data[n + 4] > 0 { try comm.failTogether(failure) }
                let count = Double(reduce.data[n + 2])
                let stepLoss = Double(reduce.data[n]) / max(count, 1)
                guard stepLoss.isFinite && (0..<n).allSatisfy({ grads.storage.data[$0].isFinite }) else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch, step: s, loss: stepLoss, lastCheckpoint: lastCheckpoint?.path)
                }
                sgd.step(params: state.params.storage.data, grads: grads.storage.data,
                         momentumBuffer: state.momentum.storage.data, count: n, lr: Float(lr),
                         firstStep: !state.momentumInitialized)
                state.momentumInitialized = true
                state.stepInEpoch += 1
                state.globalStep += 1
                let t2 = Date()
                if stepDelay > 0 { Thread.sleep(forTimeInterval: stepDelay / 1000) }
                watchdog.beat("epoch \(epoch + 1) step \(s + 1): done")
                dataTime.update(t1.timeIntervalSince(t0)); batchTime.update(t2.timeIntervalSince(t0))
                loss.update(stepLoss); acc.update(100 * Double(reduce.data[n + 1]) / max(count, 1))
                let remaining = (steps - state.stepInEpoch) + (maxEpoch - epoch - 1) * steps
                report(epoch: epoch, step: s, steps: steps, maxEpoch: maxEpoch, lr: lr, batch: batchTime,
                       data: dataTime, loss: loss, acc: acc, images: count, remaining: remaining)
                if reduce.data[n + 3] > 0 {
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

    // MARK: - Best validation (TEST.FINAL_MODEL best_val)

    /// Scores the parameters of the epoch just finished on the validation split; a strictly
    /// better accuracy than the best so far (Dassl's rule) makes this epoch's checkpoint,
    /// written next, the best.
    func validate() throws {
        watchdog.beat("epoch \(state.epoch): validation")
        let r = try setup.validate(params: state.params, pipeline: pipeline, log: log, epoch: state.epoch)
        if r.accuracy > state.best?.accuracy ?? -.infinity {
            state.best = TrainingState.BestValidation(accuracy: r.accuracy, epoch: state.epoch, step: state.globalStep)
        }
        if let best = state.best {
            log.info(String(format: "Best val accuracy %.2f%% (epoch %d)", best.accuracy, best.epoch))
            log.scalar("val/best_accuracy", best.accuracy, step: state.epoch)
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
            comm.isRoot ? try TrainingState.parameters(fromCheckpoint: url, layout: learner.layout).params
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
            log.info(String(format: "epoch [%d/%d] batch [%d/%d] time %.3f (%.3f) data %.3f (%.3f) loss %.4f (%.4f) acc %.4f (%.4f) lr %.4e eta %@",
                            epoch + 1, maxEpoch, s + 1, steps, batch.value, batch.average, data.value, data.average,
                            loss.value, loss.average, acc.value, acc.average, lr, Self.duration(eta)))
        }
        let ips = images / max(batch.value, 1e-9)
        log.metrics([("epoch", .int(epoch + 1)), ("step", .int(s + 1)), ("global_step", .int(state.globalStep)),
                     ("loss", .double(loss.value)), ("acc", .double(acc.value)), ("lr", .double(lr)),
                     ("batch_time", .double(batch.value)), ("data_time", .double(data.value)),
                     ("images_per_s", .double(ips)), ("time", .double(Date().timeIntervalSince1970))])
        log.scalar("train/loss", loss.average, step: state.globalStep - 1)
        log.scalar("train/acc", acc.average, step: state.globalStep - 1)
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

    // MARK: - Checkpoints

    /// Rank 0 writes the state (temporary name, fsync, rename) and prunes old files;
    /// all ranks wait for it.
    @discardableResult
    func saveCheckpoint() throws -> URL? {
        // Rank 0 writes; the agreement doubles as the barrier that keeps ranks in step.
        try comm.together { () throws -> URL? in
            guard comm.isRoot else { return nil }
            watchdog.beat("writing a checkpoint")
            let c = state.contents(worldSize: comm.size, seed: setup.config.seed, configYAML: setup.config.yaml(),
                                   weightsSHA256: try weightsSHA256(), softwareVersion: softwareVersion,
                                   classnames: setup.data.classnames, trainer: setup.config.trainer.name, metrics: [:])
            let url = try checkpoints.save(c)
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
