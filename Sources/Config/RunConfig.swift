import Foundation

// MARK: - The run configuration

/// The whole configuration of a run: Dassl's keys, CoOp's additions and cocoop-swift's
/// RUNTIME section, as plain nested structs.
///
/// Built in layers, as CoOp's `train.py` does: `RunConfig.defaults`, then the dataset file,
/// then the method file (`merge(yamlFile:)`), then the named flags (`applyCommandLine`), then
/// the KEY VALUE overrides (`merge(overrides:)`), then `validate()`; a `let` is the frozen
/// result. Unknown keys and wrong types are errors that name the dotted key and the file and
/// line (or the override's position). `yaml()` writes every key back in a stable order.
public struct RunConfig: Equatable, Sendable {
    /// VERSION: Dassl's config version. Default 1.
    public var version = 1
    /// OUTPUT_DIR: the run's folder (config.yaml, log.txt, metrics, checkpoints). Default "./output".
    public var outputDir = "./output"
    /// RESUME: folder to resume from; empty: the newest valid checkpoint in OUTPUT_DIR, if any. Default "".
    public var resume = ""
    /// SEED: random seed; negative: a random seed is drawn and logged. Default -1.
    public var seed = -1
    /// USE_CUDA: accepted for compatibility and ignored (cocoop-swift runs on CPUs). Default True.
    public var useCUDA = true
    /// VERBOSE: print details about trainer, dataset and backbone. Default True.
    public var verbose = true
    /// INPUT: image size, transforms and normalisation.
    public var input = InputConfig()
    /// DATASET: which data, how many shots, which classes.
    public var dataset = DatasetConfig()
    /// DATALOADER: workers, samplers and batch sizes.
    public var dataloader = DataLoaderConfig()
    /// MODEL: the CLIP backbone.
    public var model = ModelConfig()
    /// OPTIM: optimizer and schedule.
    public var optim = OptimConfig()
    /// TRAIN: checkpoint and print frequencies.
    public var train = TrainConfig()
    /// TEST: the evaluation.
    public var test = TestConfig()
    /// TRAINER: method name and CoOp/CoCoOp settings.
    public var trainer = TrainerConfig()
    /// RUNTIME: cocoop-swift's daemon settings.
    public var runtime = RuntimeConfig()

    /// Dassl's defaults extended by CoOp's `extend_cfg` and cocoop-swift's own keys.
    public init() {}

    /// Dassl's defaults extended by CoOp's `extend_cfg` and cocoop-swift's own keys.
    public static var defaults: RunConfig { RunConfig() }

    // MARK: - Merging

    /// Merges a YAML file (yacs' `merge_from_file`); on error the configuration is unchanged.
    /// - Throws: `ConfigError` naming the file, line, dotted key and expected type.
    public mutating func merge(yamlFile url: URL) throws {
        try merge(document: YAMLReader.read(contentsOf: url))
    }

    /// Merges YAML text; `file` names it in error messages.
    public mutating func merge(yaml text: String, file: String = "<string>") throws {
        try merge(document: YAMLReader.parse(text, file: file))
    }

    /// Merges a parsed document whose root is a mapping (or empty).
    public mutating func merge(document: YAMLDocument) throws {
        guard let root = document.root else { return }
        let entries: [YAMLNode.Entry]
        switch root.kind {
        case .mapping(let e): entries = e
        case .scalar(let text, .plain) where YAMLScalarResolver.nullWords.contains(text): return
        default:
            throw ConfigError.unsupportedYAML(file: document.file, line: root.line, column: root.column,
                                              problem: "a config file must be a mapping of keys, "
                                                       + "found \(root.kindDescription)")
        }
        var merged = self
        try ConfigTree.merge(entries, into: &merged, prefix: [], file: document.file)
        self = merged
    }

    /// Merges KEY VALUE pairs (yacs' `merge_from_list`, CoOp's trailing `opts`), e.g.
    /// `["DATASET.NUM_SHOTS", "16", "INPUT.SIZE", "(32, 32)"]`. Values are read like yacs
    /// reads them (Python literals: `0.01`, `True`, `[1, 2]`, `'text'`; anything else is text),
    /// then checked against the key's type. On error the configuration is unchanged.
    /// - Throws: `ConfigError.oddOverrideCount`, `.unknownKey`, `.typeMismatch`.
    public mutating func merge(overrides: [String]) throws {
        guard overrides.count % 2 == 0 else {
            throw ConfigError.oddOverrideCount(count: overrides.count, items: overrides)
        }
        var merged = self
        for pair in 0..<(overrides.count / 2) {
            let key = overrides[2 * pair], value = overrides[2 * pair + 1]
            let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            try ConfigTree.set(path[...], fullKey: key, input: .scalar(value, .commandLine),
                               origin: .override(index: pair + 1), in: &merged)
        }
        self = merged
    }

    // MARK: - Writing and reading back

    /// The resolved configuration as YAML: every key, in Dassl's order, strings quoted, lists
    /// in flow style; `merge(yaml:)` onto the defaults reads back an equal configuration.
    public func yaml() -> String {
        var lines: [String] = []
        ConfigTree.dump(self, indent: 0, into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The value of one dotted key as it would appear in `yaml()`, or nil for no such key.
    public func yamlValue(forKey key: String) -> String? {
        ConfigTree.yamlText(key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)[...], in: self)
    }

    /// Every dotted key that holds a value, in `yaml()` order.
    public static var keys: [String] {
        ConfigTree.keys(of: RunConfig.self, prefix: "").filter { !$0.isSection }.map(\.key)
    }

    // MARK: - The whole pipeline

    /// Resolves a run's configuration as CoOp's `setup_cfg` does: defaults, the dataset file,
    /// the method file, the named flags, the overrides; then validates it.
    public static func resolve(datasetConfigFile: URL? = nil, configFile: URL? = nil,
                               flags: CommandLineFlags = CommandLineFlags(),
                               overrides: [String] = []) throws -> RunConfig {
        var config = RunConfig.defaults
        if let datasetConfigFile { try config.merge(yamlFile: datasetConfigFile) }
        if let configFile { try config.merge(yamlFile: configFile) }
        try config.applyCommandLine(flags)
        try config.merge(overrides: overrides)
        try config.validate()
        return config
    }
}

// MARK: - Keys

extension RunConfig: ConfigSection {
    static var fields: [ConfigField<RunConfig>] {
        [
            .value("VERSION", \.version),
            .value("OUTPUT_DIR", \.outputDir),
            .value("RESUME", \.resume),
            .value("SEED", \.seed),
            .value("USE_CUDA", \.useCUDA),
            .value("VERBOSE", \.verbose),
            .section("INPUT", \.input),
            .section("DATASET", \.dataset),
            .section("DATALOADER", \.dataloader),
            .section("MODEL", \.model),
            .section("OPTIM", \.optim),
            .section("TRAIN", \.train),
            .section("TEST", \.test),
            .section("TRAINER", \.trainer),
            .section("RUNTIME", \.runtime),
        ]
    }
}
