// MARK: - TRAIN

/// TRAIN: checkpoint and print frequencies.
public struct TrainConfig: Equatable, Sendable {
    /// CHECKPOINT_FREQ: write a checkpoint every this many epochs; 0 or below: only the last
    /// (cocoop-swift also checkpoints on SIGTERM/SIGUSR1, see RUNTIME.CHECKPOINT). Default 0.
    public var checkpointFreq = 0
    /// PRINT_FREQ: log progress every this many steps (rank 0). Default 10.
    public var printFreq = 10
    /// COUNT_ITER: loader that defines an epoch's length (DA/SSL): "train_x", "train_u"
    /// or "smaller_one". Default "train_x".
    public var countIter: CountIter = .trainX

    /// Dassl's defaults.
    public init() {}
}

// MARK: - TEST

/// TEST: the evaluation.
public struct TestConfig: Equatable, Sendable {
    /// EVALUATOR: evaluator name. Default "Classification".
    public var evaluator = "Classification"
    /// PER_CLASS_RESULT: also report accuracy per class. Default False.
    public var perClassResult = false
    /// COMPUTE_CMAT: compute and save the confusion matrix. Default False.
    public var computeCmat = false
    /// NO_TEST: skip the final evaluation. Default False.
    public var noTest = false
    /// SPLIT: split of the final evaluation, "test" or "val". Default "test".
    public var split: TestSplit = .test
    /// FINAL_MODEL: "last_step", or "best_val" (evaluate every epoch, keep the best). Default "last_step".
    public var finalModel: FinalModel = .lastStep

    /// Dassl's defaults.
    public init() {}
}

// MARK: - Keys

extension TrainConfig: ConfigSection {
    static var fields: [ConfigField<TrainConfig>] {
        [
            .value("CHECKPOINT_FREQ", \.checkpointFreq),
            .value("PRINT_FREQ", \.printFreq),
            .value("COUNT_ITER", \.countIter),
        ]
    }
}

extension TestConfig: ConfigSection {
    static var fields: [ConfigField<TestConfig>] {
        [
            .value("EVALUATOR", \.evaluator),
            .value("PER_CLASS_RESULT", \.perClassResult),
            .value("COMPUTE_CMAT", \.computeCmat),
            .value("NO_TEST", \.noTest),
            .value("SPLIT", \.split),
            .value("FINAL_MODEL", \.finalModel),
        ]
    }
}
