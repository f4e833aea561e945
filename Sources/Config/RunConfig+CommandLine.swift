// MARK: - CoOp's named command-line flags

/// The named flags of CoOp's `train.py` that set config keys (its `reset_cfg`).
///
/// A nil or empty value leaves the key as it is, as `if args.root:` does in CoOp. One
/// deliberate difference: a given seed is applied even when it is 0 (CoOp skips 0, and its
/// default -1 always overwrites SEED from the files); pass nil for "not given".
public struct CommandLineFlags: Equatable, Sendable {
    /// `--root` -> DATASET.ROOT
    public var root: String?
    /// `--output-dir` -> OUTPUT_DIR
    public var outputDir: String?
    /// `--resume` -> RESUME
    public var resume: String?
    /// `--seed` -> SEED
    public var seed: Int?
    /// `--source-domains` -> DATASET.SOURCE_DOMAINS
    public var sourceDomains: [String]?
    /// `--target-domains` -> DATASET.TARGET_DOMAINS
    public var targetDomains: [String]?
    /// `--transforms` -> INPUT.TRANSFORMS
    public var transforms: [String]?
    /// `--trainer` -> TRAINER.NAME
    public var trainer: String?
    /// `--backbone` -> MODEL.BACKBONE.NAME
    public var backbone: String?
    /// `--head` -> MODEL.HEAD.NAME
    public var head: String?

    /// Flags as given; nil means "not given".
    public init(root: String? = nil, outputDir: String? = nil, resume: String? = nil, seed: Int? = nil,
                sourceDomains: [String]? = nil, targetDomains: [String]? = nil, transforms: [String]? = nil,
                trainer: String? = nil, backbone: String? = nil, head: String? = nil) {
        self.root = root
        self.outputDir = outputDir
        self.resume = resume
        self.seed = seed
        self.sourceDomains = sourceDomains
        self.targetDomains = targetDomains
        self.transforms = transforms
        self.trainer = trainer
        self.backbone = backbone
        self.head = head
    }
}

extension RunConfig {
    /// Applies CoOp's named flags (its `reset_cfg`); nil or empty values change nothing.
    /// - Throws: `ConfigError.typeMismatch` for a `--trainer` that names no trainer.
    public mutating func applyCommandLine(root: String? = nil, outputDir: String? = nil, resume: String? = nil,
                                          seed: Int? = nil, sourceDomains: [String]? = nil,
                                          targetDomains: [String]? = nil, transforms: [String]? = nil,
                                          trainer: String? = nil, backbone: String? = nil, head: String? = nil) throws {
        try applyCommandLine(CommandLineFlags(root: root, outputDir: outputDir, resume: resume, seed: seed,
                                          sourceDomains: sourceDomains, targetDomains: targetDomains,
                                          transforms: transforms, trainer: trainer, backbone: backbone, head: head))
    }

    /// Applies CoOp's named flags (its `reset_cfg`); nil or empty values change nothing.
    /// - Throws: `ConfigError.typeMismatch` for a `--trainer` that names no trainer.
    public mutating func applyCommandLine(_ flags: CommandLineFlags) throws {
        if let v = flags.root, !v.isEmpty { dataset.root = v }
        if let v = flags.outputDir, !v.isEmpty { outputDir = v }
        if let v = flags.resume, !v.isEmpty { resume = v }
        if let v = flags.seed { seed = v }
        if let v = flags.sourceDomains, !v.isEmpty { dataset.sourceDomains = v }
        if let v = flags.targetDomains, !v.isEmpty { dataset.targetDomains = v }
        if let v = flags.transforms, !v.isEmpty { input.transforms = v }
        if let v = flags.trainer, !v.isEmpty {
            guard let kind = TrainerKind(rawValue: v) else {
                throw ConfigError.typeMismatch(key: "TRAINER.NAME", origin: .flag("--trainer"),
                                               expected: TrainerKind.expectedDescription, found: quotedForMessage(v))
            }
            trainer.name = kind
        }
        if let v = flags.backbone, !v.isEmpty { model.backbone.name = v }
        if let v = flags.head, !v.isEmpty { model.head.name = v }
    }
}
