// MARK: - Validation

extension RunConfig {
    /// Checks values that the types alone do not: sizes, ranges, names from fixed lists.
    /// Enumerated keys (TRAINER.NAME, SUBSAMPLE_CLASSES, CLASS_TOKEN_POSITION, PREC,
    /// LR_SCHEDULER, WARMUP_TYPE, ...) are already checked when merged.
    /// - Throws: the first problem found, as `ConfigError.invalidValue`.
    public func validate() throws {
        if let first = validationProblems().first { throw first }
    }

    /// Every problem `validate()` would report, in key order.
    public func validationProblems() -> [ConfigError] {
        var problems: [ConfigError] = []
        func check(_ condition: Bool, _ key: String, _ problem: String) {
            if !condition {
                problems.append(.invalidValue(key: key, value: yamlValue(forKey: key) ?? "?", problem: problem))
            }
        }

        // INPUT
        check(input.size.count == 2 && input.size.allSatisfy { $0 > 0 }, "INPUT.SIZE",
              "expected two positive ints (height, width)")
        check(input.pixelMean.count == 3, "INPUT.PIXEL_MEAN", "expected three values (R, G, B)")
        check(input.pixelStd.count == 3 && input.pixelStd.allSatisfy { $0 > 0 }, "INPUT.PIXEL_STD",
              "expected three positive values (R, G, B)")
        check(input.rrcropScale.count == 2 && input.rrcropScale[0] > 0
                  && input.rrcropScale[0] <= input.rrcropScale[1] && input.rrcropScale[1] <= 1,
              "INPUT.RRCROP_SCALE", "expected (low, high) with 0 < low <= high <= 1")
        let unknownTransforms = input.transforms.filter { !InputConfig.knownTransforms.contains($0) }
        check(unknownTransforms.isEmpty, "INPUT.TRANSFORMS",
              "unknown transform(s) \(unknownTransforms.joined(separator: ", ")); Dassl's are "
                  + InputConfig.knownTransforms.joined(separator: ", "))

        // DATASET
        check((0...1).contains(dataset.valPercent), "DATASET.VAL_PERCENT", "expected a fraction in [0, 1]")
        check(dataset.promptTemplate.isEmpty || dataset.promptTemplate.contains("{}"), "DATASET.PROMPT_TEMPLATE",
              "must contain {} where the class name goes (e.g. \"a photo of a {}.\"), or be \"\"")

        // DATALOADER
        check(dataloader.numWorkers >= 0, "DATALOADER.NUM_WORKERS", "must not be negative")
        check(dataloader.kTransforms >= 1, "DATALOADER.K_TRANSFORMS", "must be at least 1")
        check(dataloader.trainX.batchSize >= 1, "DATALOADER.TRAIN_X.BATCH_SIZE", "must be at least 1")
        check(dataloader.trainU.batchSize >= 1, "DATALOADER.TRAIN_U.BATCH_SIZE", "must be at least 1")
        check(dataloader.test.batchSize >= 1, "DATALOADER.TEST.BATCH_SIZE", "must be at least 1")

        // OPTIM
        check(optim.lr > 0 && optim.lr.isFinite, "OPTIM.LR", "must be a positive number")
        check(optim.weightDecay >= 0, "OPTIM.WEIGHT_DECAY", "must not be negative")
        check((0..<1).contains(optim.momentum), "OPTIM.MOMENTUM", "expected a value in [0, 1)")
        check(!optim.stepsize.isEmpty, "OPTIM.STEPSIZE", "expected at least one epoch")
        check(optim.gamma > 0, "OPTIM.GAMMA", "must be positive")
        check(optim.maxEpoch >= 1, "OPTIM.MAX_EPOCH", "must be at least 1")
        check(optim.warmupConsLR >= 0, "OPTIM.WARMUP_CONS_LR", "must not be negative")
        check(optim.warmupMinLR >= 0, "OPTIM.WARMUP_MIN_LR", "must not be negative")

        // TRAIN
        check(train.printFreq >= 1, "TRAIN.PRINT_FREQ", "must be at least 1")

        // TRAINER
        check(trainer.coop.nCtx >= 1, "TRAINER.COOP.N_CTX", "must be at least 1")
        check(trainer.cocoop.nCtx >= 1, "TRAINER.COCOOP.N_CTX", "must be at least 1")

        // RUNTIME
        check(runtime.checkpoint.keep >= 1, "RUNTIME.CHECKPOINT.KEEP", "must be at least 1")
        check(runtime.checkpoint.stepFreq >= 0, "RUNTIME.CHECKPOINT.STEP_FREQ", "must not be negative")
        check(runtime.watchdogSeconds >= 0, "RUNTIME.WATCHDOG_SECONDS", "must not be negative (0 disables)")
        check(runtime.consistencyCheckFreq >= 0, "RUNTIME.CONSISTENCY_CHECK_FREQ", "must not be negative (0 disables)")
        check(runtime.featureCacheMB >= 0, "RUNTIME.FEATURE_CACHE_MB", "must not be negative (0 disables)")
        check(runtime.evalClassChunk >= 0, "RUNTIME.EVAL_CLASS_CHUNK", "must not be negative (0: all classes)")
        check(runtime.blasThreads >= 0, "RUNTIME.BLAS_THREADS", "must not be negative (0: OpenBLAS's setting)")
        return problems
    }
}
