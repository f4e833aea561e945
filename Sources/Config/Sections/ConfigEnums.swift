// MARK: - Closed sets of values

// Keys whose values Dassl/CoOp check against a fixed list are Swift enums, so a typo is
// reported when the file or override is merged, with its line.

/// An enumerated key that may be unset: YAML's empty string reads as nil (Dassl's default ""
/// for TRAINER.NAME).
extension Optional: ConfigLeaf where Wrapped: ConfigEnum {
    static var expectedDescription: String { Wrapped.expectedDescription + " or \"\"" }
    static func decode(_ input: ConfigInput) -> Wrapped?? {
        guard let text = String.decode(input) else { return nil }
        if text.isEmpty { return .some(nil) }
        return Wrapped(rawValue: text).map { .some($0) }
    }
    var yamlText: String { self?.yamlText ?? yamlDoubleQuoted("") }
}

/// DATASET.SUBSAMPLE_CLASSES: which classes to keep (CoOp's base-to-new split).
public enum SubsampleClasses: String, ConfigEnum, Sendable {
    /// Every class.
    case all
    /// The first ceil(C/2) classes in label order.
    case base
    /// The remaining classes, relabelled from 0.
    case new
}

/// TRAINER.COOP.CLASS_TOKEN_POSITION: where the class name goes relative to the context.
public enum ClassTokenPosition: String, ConfigEnum, Sendable {
    /// `[SOS][ctx][name].[EOS]` (the default).
    case end
    /// Half the context, the name, the other half.
    case middle
    /// The name before the context.
    case front
}

/// TRAINER.COOP.PREC / TRAINER.COCOOP.PREC: the reference's arithmetic precision. `fp16` and
/// `amp` (half precision on the reference's GPU) run the frozen CLIP towers' matrix products
/// in bfloat16 with float32 accumulation on CPUs with native bfloat16, else in float32 with
/// a notice; `fp32` is float32 throughout (see Training's ComputePrecision).
public enum Precision: String, ConfigEnum, Sendable {
    case fp16, fp32, amp
}

/// OPTIM.NAME: Dassl's optimizers (cocoop-swift implements `sgd`).
public enum OptimizerName: String, ConfigEnum, Sendable {
    case adam, amsgrad, sgd, rmsprop, radam, adamw
}

/// OPTIM.LR_SCHEDULER: Dassl's learning-rate schedules.
public enum LRSchedulerName: String, ConfigEnum, Sendable {
    /// Multiply by GAMMA once, after STEPSIZE[-1] epochs.
    case singleStep = "single_step"
    /// Multiply by GAMMA at each epoch in STEPSIZE.
    case multiStep = "multi_step"
    /// Cosine annealing from LR to 0 over MAX_EPOCH epochs.
    case cosine
}

/// OPTIM.WARMUP_TYPE: the learning rate during the warm-up epochs.
public enum WarmupType: String, ConfigEnum, Sendable {
    /// WARMUP_CONS_LR throughout the warm-up.
    case constant
    /// Linear from WARMUP_MIN_LR to LR.
    case linear
}

/// INPUT.INTERPOLATION: the resampling filter of resizes.
public enum Interpolation: String, ConfigEnum, Sendable {
    case bilinear, bicubic, nearest
}

/// DATALOADER.*.SAMPLER: Dassl's samplers.
public enum SamplerName: String, ConfigEnum, Sendable {
    case randomSampler = "RandomSampler"
    case sequentialSampler = "SequentialSampler"
    case randomDomainSampler = "RandomDomainSampler"
    case seqDomainSampler = "SeqDomainSampler"
    case randomClassSampler = "RandomClassSampler"
}

/// TRAIN.COUNT_ITER: which loader defines the length of an epoch (DA and SSL trainers).
public enum CountIter: String, ConfigEnum, Sendable {
    case trainX = "train_x"
    case trainU = "train_u"
    case smallerOne = "smaller_one"
}

/// TEST.SPLIT: the split used for the final evaluation.
public enum TestSplit: String, ConfigEnum, Sendable {
    case test, val
}

/// TEST.FINAL_MODEL: which parameters the final evaluation uses.
public enum FinalModel: String, ConfigEnum, Sendable {
    /// The parameters after the last step.
    case lastStep = "last_step"
    /// The parameters with the best validation accuracy (evaluated every epoch).
    case bestVal = "best_val"
}

/// RUNTIME.STEP_SPLIT (cocoop-swift): how a training step is divided over the ranks.
public enum StepSplit: String, ConfigEnum, Sendable {
    /// `prompts` unless the global batch divides evenly over the ranks.
    case auto
    /// Whole images of the global batch per rank (data parallel).
    case images
    /// The step's (image, class) prompts split over the ranks, image features shared.
    case prompts
}

/// DATASET.ON_BAD_IMAGE (cocoop-swift): what to do with a missing or undecodable image.
public enum BadImagePolicy: String, ConfigEnum, Sendable {
    /// Stop with an error naming the file (the default).
    case stop
    /// Log the file, leave the sample out and go on.
    case skip
}
