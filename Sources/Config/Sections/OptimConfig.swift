// MARK: - OPTIM

/// OPTIM: optimizer, learning-rate schedule and warm-up (Dassl's keys).
public struct OptimConfig: Equatable, Sendable {
    /// NAME: optimizer. Default "adam" (CoOp's files: "sgd", the one cocoop-swift implements).
    public var name: OptimizerName = .adam
    /// LR: base learning rate. Default 0.0003 (CoOp's files: 0.002).
    public var lr = 0.0003
    /// WEIGHT_DECAY: L2 weight decay. Default 5e-4.
    public var weightDecay = 5e-4
    /// MOMENTUM: SGD momentum. Default 0.9.
    public var momentum = 0.9
    /// SGD_DAMPNING: SGD dampening (Dassl's spelling; an int there). Default 0.
    public var sgdDampning = 0
    /// SGD_NESTEROV: Nesterov momentum. Default False.
    public var sgdNesterov = false
    /// RMSPROP_ALPHA: RMSprop smoothing constant. Default 0.99.
    public var rmspropAlpha = 0.99
    /// ADAM_BETA1: Adam's first beta (also AdamW's). Default 0.9.
    public var adamBeta1 = 0.9
    /// ADAM_BETA2: Adam's second beta (also AdamW's). Default 0.999.
    public var adamBeta2 = 0.999
    /// STAGED_LR: give the layers in NEW_LAYERS the base LR and the rest LR*BASE_LR_MULT. Default False.
    public var stagedLR = false
    /// NEW_LAYERS: names of the layers trained at the full LR when STAGED_LR. Default ().
    public var newLayers: [String] = []
    /// BASE_LR_MULT: LR multiplier of the other layers when STAGED_LR. Default 0.1.
    public var baseLRMult = 0.1
    /// LR_SCHEDULER: "single_step", "multi_step" or "cosine". Default "single_step".
    public var lrScheduler: LRSchedulerName = .singleStep
    /// STEPSIZE: decay epoch(s) of the step schedules; an int or a list; -1 or 0 means
    /// MAX_EPOCH. Default (-1,).
    public var stepsize: [Int] = [-1]
    /// GAMMA: decay factor of the step schedules. Default 0.1.
    public var gamma = 0.1
    /// MAX_EPOCH: training epochs. Default 10.
    public var maxEpoch = 10
    /// WARMUP_EPOCH: warm-up epochs; warm-up is on when above 0. Default -1 (CoOp's files: 1).
    public var warmupEpoch = -1
    /// WARMUP_TYPE: "constant" or "linear". Default "linear" (CoOp's files: "constant").
    public var warmupType: WarmupType = .linear
    /// WARMUP_CONS_LR: learning rate of a constant warm-up. Default 1e-5.
    public var warmupConsLR = 1e-5
    /// WARMUP_MIN_LR: starting learning rate of a linear warm-up. Default 1e-5.
    public var warmupMinLR = 1e-5
    /// WARMUP_RECOUNT: restart the main schedule's epoch count after warm-up. Default True.
    public var warmupRecount = true

    /// Dassl's defaults.
    public init() {}
}

extension OptimConfig: ConfigSection {
    static var fields: [ConfigField<OptimConfig>] {
        [
            .value("NAME", \.name),
            .value("LR", \.lr),
            .value("WEIGHT_DECAY", \.weightDecay),
            .value("MOMENTUM", \.momentum),
            .value("SGD_DAMPNING", \.sgdDampning),
            .value("SGD_NESTEROV", \.sgdNesterov),
            .value("RMSPROP_ALPHA", \.rmspropAlpha),
            .value("ADAM_BETA1", \.adamBeta1),
            .value("ADAM_BETA2", \.adamBeta2),
            .value("STAGED_LR", \.stagedLR),
            .value("NEW_LAYERS", \.newLayers),
            .value("BASE_LR_MULT", \.baseLRMult),
            .value("LR_SCHEDULER", \.lrScheduler),
            .intOrIntList("STEPSIZE", \.stepsize),
            .value("GAMMA", \.gamma),
            .value("MAX_EPOCH", \.maxEpoch),
            .value("WARMUP_EPOCH", \.warmupEpoch),
            .value("WARMUP_TYPE", \.warmupType),
            .value("WARMUP_CONS_LR", \.warmupConsLR),
            .value("WARMUP_MIN_LR", \.warmupMinLR),
            .value("WARMUP_RECOUNT", \.warmupRecount),
        ]
    }
}
