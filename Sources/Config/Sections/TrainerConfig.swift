// MARK: - TRAINER

/// TRAINER: which method, and CoOp's and CoCoOp's own keys (CoOp's `extend_cfg`).
///
/// Dassl's other trainers' sections (MCD, MME, FixMatch, ...) are not included: they do
/// not apply to prompt learning, and a file setting them is reported as unknown.
public struct TrainerConfig: Equatable, Sendable {
    /// NAME: the method (CoOp's --trainer); nil when unset (Dassl's default "").
    public var name: TrainerKind?
    /// COOP: CoOp's prompt settings.
    public var coop = CoOpConfig()
    /// COCOOP: CoCoOp's prompt settings.
    public var cocoop = CoCoOpConfig()

    /// CoOp's defaults.
    public init() {}
}

/// TRAINER.NAME: the trainers CoOp registers, the one list of trainer names.
public enum TrainerKind: String, ConfigEnum, Sendable {
    case coop = "CoOp"
    case cocoop = "CoCoOp"
    /// CLIP with the hand-written prompt, nothing trained.
    case zeroshotCLIP = "ZeroshotCLIP"
    /// CoOp's prompt-ensemble zero-shot baseline (IMAGENET_TEMPLATES_SELECT plus the dataset's).
    case zeroshotCLIP2 = "ZeroshotCLIP2"

    /// The trainers cocoop-swift runs.
    public static let implemented: [TrainerKind] = [.cocoop, .coop, .zeroshotCLIP, .zeroshotCLIP2]

    /// Whether it trains a prompt learner (CoOp, CoCoOp) rather than scoring CLIP as it is.
    public var learnsPrompts: Bool { self == .coop || self == .cocoop }
}

/// TRAINER.COOP: CoOp's prompt settings.
public struct CoOpConfig: Equatable, Sendable {
    /// N_CTX: number of context vectors (ignored when CTX_INIT is set: its word count
    /// is used). Default 16.
    public var nCtx = 16
    /// CSC: class-specific context (one set of vectors per class). Default False.
    public var csc = false
    /// CTX_INIT: words to initialise the context from, e.g. "a photo of a"; empty: random. Default "".
    public var ctxInit = ""
    /// PREC: "fp16", "fp32" or "amp" (fp16/amp: bfloat16 products where the CPU has them). Default "fp16".
    public var prec: Precision = .fp16
    /// CLASS_TOKEN_POSITION: "end", "middle" or "front". Default "end".
    public var classTokenPosition: ClassTokenPosition = .end

    /// CoOp's defaults.
    public init() {}
}

/// TRAINER.COCOOP: CoCoOp's prompt settings.
public struct CoCoOpConfig: Equatable, Sendable {
    /// N_CTX: number of context vectors (ignored when CTX_INIT is set). Default 16.
    public var nCtx = 16
    /// CTX_INIT: words to initialise the context from, e.g. "a photo of a". Default "".
    public var ctxInit = ""
    /// PREC: "fp16", "fp32" or "amp" (fp16/amp: bfloat16 products where the CPU has them). Default "fp16".
    public var prec: Precision = .fp16

    /// CoOp's defaults.
    public init() {}
}

// MARK: - Keys

extension TrainerConfig: ConfigSection {
    static var fields: [ConfigField<TrainerConfig>] {
        [
            .value("NAME", \.name),
            .section("COOP", \.coop),
            .section("COCOOP", \.cocoop),
        ]
    }
}

extension CoOpConfig: ConfigSection {
    static var fields: [ConfigField<CoOpConfig>] {
        [
            .value("N_CTX", \.nCtx),
            .value("CSC", \.csc),
            .value("CTX_INIT", \.ctxInit),
            .value("PREC", \.prec),
            .value("CLASS_TOKEN_POSITION", \.classTokenPosition),
        ]
    }
}

extension CoCoOpConfig: ConfigSection {
    static var fields: [ConfigField<CoCoOpConfig>] {
        [
            .value("N_CTX", \.nCtx),
            .value("CTX_INIT", \.ctxInit),
            .value("PREC", \.prec),
        ]
    }
}
