import Config
import Distributed
import Foundation
import Tensor

/// One training (or evaluation-only) job on a communicator: what `cocoop train` runs, and
/// what each group of ranks runs for a sweep trial.
public enum TrainingJob {
    /// Builds and checks everything, then trains (resuming when possible) and evaluates, or
    /// only evaluates. Returns the evaluation result (nil with TEST.NO_TEST).
    /// - Throws: ``TrainingError`` (``TrainingError/stopped`` after a stop signal) or the
    ///   loader's error naming the bad file, key or tensor.
    @discardableResult
    public static func run(config: RunConfig, options: RunOptions, comm: Communicator,
                           softwareVersion: String) throws -> EvaluationResult? {
        let threads = config.runtime.blasThreads > 0 ? config.runtime.blasThreads
            : (comm.size > 1 && ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil ? 1 : 0)
        if threads > 0 { BLASInfo.setThreads(threads) }
        // Everything is loaded and checked before the output folder is touched. Work that
        // one rank may fail alone (its files, rank 0's folder) runs in `together` sections,
        // so that all ranks fail at the same point (see Communicator.together).
        let sink = WarningSink(rank: comm.rank)
        var options = options
        if config.runtime.featureCacheMB == 0 {
            options.featureCache = nil
        } else if options.featureCache == nil {
            options.featureCache = ImageFeatureCache(limitBytes: config.runtime.featureCacheMB << 20)
        }
        let (setup, pipeline) = try comm.together {
            let setup = try RunSetup(config: config, options: options, comm: comm)
            for warning in setup.data.warnings { sink.warn(warning) }
            return (setup, try DataPipeline(config: config, data: setup.data, warn: { sink.warn($0) }))
        }
        let log = try comm.together {
            try RunLog(outputDir: setup.outputDir, isRoot: comm.isRoot, tensorboard: config.runtime.tensorboard,
                       echo: options.echo, files: !options.dryRun)
        }
        sink.log = log
        writeHeader(log: log, config: config, options: options)
        log.info("cocoop \(softwareVersion): \(comm.size) rank(s), "
                 + "OpenBLAS \(BLASInfo.coreName) x \(BLASInfo.threads) thread(s), oneDNN \(OneDNN.version) "
                 + "(\(OneDNN.isaName)); float32 products: \(GEMMRouting.float32.rawValue)")
        log.info(setup.precision.note)
        if case let .mapped(path, created) = setup.clip.weights.bfloat16Storage {
            log.info("bfloat16 weights: the towers' matrices in \(path) (\(created ? "written now" : "found")), "
                     + "mapped shared by this node's ranks")
        }
        let result = try run(setup: setup, pipeline: pipeline, log: log, softwareVersion: softwareVersion)
        try comm.together { try log.check() }
        return result
    }

    /// What train.py prints before building the trainer: the fixed seed, Dassl's
    /// `** Arguments **` block (the argparse namespace, keys sorted), `** Config **` (the
    /// resolved configuration) and `** System info **` (followed by our version line).
    private static func writeHeader(log: RunLog, config: RunConfig, options: RunOptions) {
        if config.seed >= 0 { log.info("Setting fixed seed: \(config.seed)") }
        if let path = log.runLogPath { log.info("This run's log: \(path.path) (log.txt continues the earlier runs')") }
        func banner(_ title: String) -> String {
            let stars = String(repeating: "*", count: title.count + 6)
            return "\(stars)\n** \(title) **\n\(stars)"
        }
        if !options.arguments.isEmpty {
            log.info(banner("Arguments"))
            for (name, value) in options.arguments.sorted(by: { $0.name < $1.name }) { log.info("\(name): \(value)") }
        }
        log.info(banner("Config"))
        log.info(config.yaml().trimmingCharacters(in: .newlines))
        log.info("Collecting env info ...")
        log.info("** System info **")
    }

    /// The job once everything is built: zero-shot evaluation, `--eval-only`, a dry run, or
    /// training (resumed when possible) followed by the final evaluation.
    private static func run(setup: RunSetup, pipeline: DataPipeline, log: RunLog,
                            softwareVersion: String) throws -> EvaluationResult? {
        let config = setup.config, options = setup.options, comm = setup.comm
        let data = setup.data
        let dryRun = "Dry run (--no-train): the config, the CLIP weights and the data (\(data.train.count) training, "
            + "\(data.val.count) validation, \(data.test.count) test images of \(data.classnames.count) classes) "
        guard let learner = setup.learner else {
            if options.dryRun {
                log.info(dryRun + "are checked; nothing was evaluated or written")
                return nil
            }
            log.writeAtomically(config.yaml(), to: "config.yaml")
            log.info(setup.templates.count == 1 ? "Prompt template: \(setup.templates[0])"
                     : "Prompt ensembling (n=\(setup.templates.count)): " + setup.templates.joined(separator: " | "))
            let result = try setup.evaluate(params: nil, pipeline: pipeline, log: log, epoch: 0, step: 0,
                                            checkpoint: nil)
            log.flush()
            return result
        }
        if options.evalOnly {
            let (params, epoch, path) = try setup.loadForEvaluation(layout: learner.layout, log: log)
            if options.dryRun {
                log.info(dryRun + "and the checkpoint \(path) are checked; nothing was evaluated or written")
                return nil
            }
            log.writeAtomically(config.yaml(), to: "config.yaml")
            // Dassl's load_model leaves self.epoch at 0: the test scalars are at step 0.
            let result = try setup.evaluate(params: params, pipeline: pipeline, log: log, epoch: epoch, step: 0,
                                            checkpoint: path)
            log.flush()
            return result
        }
        let trainer = try comm.together {
            try Trainer(setup: setup, learner: learner, log: log, pipeline: pipeline, softwareVersion: softwareVersion)
        }
        try trainer.prepare()
        if options.dryRun {
            let start = trainer.lastCheckpoint.map { "the checkpoint to resume from (\($0.path))" }
                ?? "the initial parameters"
            log.info(dryRun + "and \(start) are checked; nothing was trained or written")
            return nil
        }
        log.writeAtomically(config.yaml(), to: "config.yaml")
        let start = Date()
        try trainer.train()
        var result: EvaluationResult?
        if !config.test.noTest {
            let deployed = try trainer.deployedParameters()
            // Dassl tests at self.epoch, the last epoch's 0-based index, whichever model it deploys.
            result = try setup.evaluate(params: deployed.params, pipeline: pipeline, log: log, epoch: deployed.epoch,
                                        step: max(trainer.state.epoch - 1, 0), checkpoint: deployed.checkpoint)
        }
        // Dassl's after_train: the time from the start of training to the end of the test.
        log.info("Elapsed: \(Trainer.duration(Date().timeIntervalSince(start).rounded()))")
        log.status([("state", .string("finished")), ("epoch", .int(trainer.state.epoch)),
                    ("global_step", .int(trainer.state.globalStep))])
        log.flush()
        return result
    }
}
