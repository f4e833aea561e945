// MARK: - RUNTIME (cocoop-swift's own section)

/// RUNTIME: cocoop-swift's daemon settings, which neither Dassl nor CoOp have: checkpoint
/// retention, the hang watchdog, cross-rank checks, evaluation memory and BLAS threads.
///
/// It is a section of its own so that no Dassl key changes meaning; a CoOp file never sets it.
public struct RuntimeConfig: Equatable, Sendable {
    /// CHECKPOINT: which checkpoints are written and kept.
    public var checkpoint = CheckpointRetentionConfig()
    /// WATCHDOG_SECONDS: abort (every rank, with the documented exit code) when no training
    /// step or evaluation batch finishes for this long, e.g. a rank hung in MPI; 0 disables.
    /// Default 1800.
    public var watchdogSeconds = 1800
    /// CONSISTENCY_CHECK_FREQ: every this many steps, check that all ranks hold identical
    /// parameters (a mismatch is a hard error naming the ranks); 0 disables. Default 100.
    public var consistencyCheckFreq = 100
    /// EVAL_CLASS_CHUNK: classes scored at once per image in CoCoOp evaluation (bounds the
    /// memory of the per-image text encoder pass); 0 means all classes at once. Default 256.
    public var evalClassChunk = 256
    /// FEATURE_CACHE_MB: memory per rank for image features of evaluation images, reused
    /// by later evaluations of the same images in this process (best_val's validation every
    /// epoch, a sweep's trials on one split); 0 disables. Default 1024.
    public var featureCacheMB = 1024
    /// BLAS_THREADS: OpenBLAS threads per rank; 0 leaves OpenBLAS's own setting
    /// (OPENBLAS_NUM_THREADS or all cores). Default 0.
    public var blasThreads = 0
    /// TENSORBOARD: write TensorBoard event files to OUTPUT_DIR (rank 0). Default True.
    public var tensorboard = true
    /// STEP_SPLIT: how a training step's work is divided over the ranks: `images` (each
    /// rank takes whole images of the global batch), `prompts` (the step's class prompts are
    /// split over the ranks and the image tower's work is shared), or `auto` (prompts
    /// unless the batch divides evenly over the ranks). The result does not depend on it.
    /// Default "auto".
    public var stepSplit: StepSplit = .auto

    /// cocoop-swift's defaults.
    public init() {}
}

/// RUNTIME.CHECKPOINT: which checkpoints are written and kept.
public struct CheckpointRetentionConfig: Equatable, Sendable {
    /// KEEP: newest checkpoints kept in OUTPUT_DIR/checkpoints (older ones are deleted once
    /// a newer one is verified); at least 1. Default 3.
    public var keep = 3
    /// KEEP_BEST: also keep the checkpoint with the best validation accuracy. Default True.
    public var keepBest = true
    /// STEP_FREQ: also write a checkpoint every this many optimizer steps (long epochs,
    /// pre-emptible jobs); 0: only at epoch ends (TRAIN.CHECKPOINT_FREQ) and on signals. Default 0.
    public var stepFreq = 0

    /// cocoop-swift's defaults.
    public init() {}
}

// MARK: - Keys

extension RuntimeConfig: ConfigSection {
    static var fields: [ConfigField<RuntimeConfig>] {
        [
            .section("CHECKPOINT", \.checkpoint),
            .value("WATCHDOG_SECONDS", \.watchdogSeconds),
            .value("CONSISTENCY_CHECK_FREQ", \.consistencyCheckFreq),
            .value("EVAL_CLASS_CHUNK", \.evalClassChunk),
            .value("FEATURE_CACHE_MB", \.featureCacheMB),
            .value("BLAS_THREADS", \.blasThreads),
            .value("TENSORBOARD", \.tensorboard),
            .value("STEP_SPLIT", \.stepSplit),
        ]
    }
}

extension CheckpointRetentionConfig: ConfigSection {
    static var fields: [ConfigField<CheckpointRetentionConfig>] {
        [
            .value("KEEP", \.keep),
            .value("KEEP_BEST", \.keepBest),
            .value("STEP_FREQ", \.stepFreq),
        ]
    }
}
