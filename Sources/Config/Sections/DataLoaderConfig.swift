// MARK: - DATALOADER

/// DATALOADER: loader workers and the three loaders' samplers and batch sizes.
public struct DataLoaderConfig: Equatable, Sendable {
    /// NUM_WORKERS: decoding threads per rank. Default 4 (CoOp's files: 8).
    public var numWorkers = 4
    /// K_TRANSFORMS: augmented views per training image. Default 1.
    public var kTransforms = 1
    /// RETURN_IMG0: also return the un-augmented image (consistency learning). Default False.
    public var returnImg0 = false
    /// TRAIN_X: the labelled training loader.
    public var trainX = TrainLoaderConfig()
    /// TRAIN_U: the unlabelled training loader (DA and SSL trainers).
    public var trainU = UnlabeledLoaderConfig()
    /// TEST: the evaluation loader.
    public var test = TestLoaderConfig()

    /// Dassl's defaults.
    public init() {}
}

/// DATALOADER.TRAIN_X: the labelled training loader.
public struct TrainLoaderConfig: Equatable, Sendable {
    /// SAMPLER: how training samples are drawn. Default "RandomSampler".
    public var sampler: SamplerName = .randomSampler
    /// BATCH_SIZE: the GLOBAL batch of one optimizer step, split as evenly as possible over
    /// the MPI ranks (cocoop-swift; Dassl's single-GPU meaning). Default 32 (CoCoOp's files: 1).
    public var batchSize = 32
    /// N_DOMAIN: domains per batch for RandomDomainSampler; 0 or -1 means all. Default 0.
    public var nDomain = 0
    /// N_INS: instances per class for RandomClassSampler. Default 16.
    public var nIns = 16

    /// Dassl's defaults.
    public init() {}
}

/// DATALOADER.TRAIN_U: the unlabelled training loader (unused by CoOp and CoCoOp).
public struct UnlabeledLoaderConfig: Equatable, Sendable {
    /// SAME_AS_X: reuse TRAIN_X's sampler and batch settings. Default True.
    public var sameAsX = true
    /// SAMPLER: how unlabelled samples are drawn. Default "RandomSampler".
    public var sampler: SamplerName = .randomSampler
    /// BATCH_SIZE: unlabelled samples per batch. Default 32.
    public var batchSize = 32
    /// N_DOMAIN: domains per batch for RandomDomainSampler. Default 0.
    public var nDomain = 0
    /// N_INS: instances per class for RandomClassSampler. Default 16.
    public var nIns = 16

    /// Dassl's defaults.
    public init() {}
}

/// DATALOADER.TEST: the evaluation loader.
public struct TestLoaderConfig: Equatable, Sendable {
    /// SAMPLER: evaluation order. Default "SequentialSampler".
    public var sampler: SamplerName = .sequentialSampler
    /// BATCH_SIZE: images per evaluation batch on each rank. Default 32 (CoOp's files: 100).
    public var batchSize = 32

    /// Dassl's defaults.
    public init() {}
}

// MARK: - Keys

extension DataLoaderConfig: ConfigSection {
    static var fields: [ConfigField<DataLoaderConfig>] {
        [
            .value("NUM_WORKERS", \.numWorkers),
            .value("K_TRANSFORMS", \.kTransforms),
            .value("RETURN_IMG0", \.returnImg0),
            .section("TRAIN_X", \.trainX),
            .section("TRAIN_U", \.trainU),
            .section("TEST", \.test),
        ]
    }
}

extension TrainLoaderConfig: ConfigSection {
    static var fields: [ConfigField<TrainLoaderConfig>] {
        [
            .value("SAMPLER", \.sampler),
            .value("BATCH_SIZE", \.batchSize),
            .value("N_DOMAIN", \.nDomain),
            .value("N_INS", \.nIns),
        ]
    }
}

extension UnlabeledLoaderConfig: ConfigSection {
    static var fields: [ConfigField<UnlabeledLoaderConfig>] {
        [
            .value("SAME_AS_X", \.sameAsX),
            .value("SAMPLER", \.sampler),
            .value("BATCH_SIZE", \.batchSize),
            .value("N_DOMAIN", \.nDomain),
            .value("N_INS", \.nIns),
        ]
    }
}

extension TestLoaderConfig: ConfigSection {
    static var fields: [ConfigField<TestLoaderConfig>] {
        [
            .value("SAMPLER", \.sampler),
            .value("BATCH_SIZE", \.batchSize),
        ]
    }
}
