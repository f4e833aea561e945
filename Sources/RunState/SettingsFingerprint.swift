import Config

/// The settings a resumed run must share with the run that wrote its checkpoint: those that
/// change what the remaining steps compute (the trainer and its prompt, the optimiser and
/// schedule, the transforms, the seed, the data drawn and the global batch). Everything
/// else (output folder, logging, workers, checkpoint retention, ...) may change on resume.
public struct SettingsFingerprint: Equatable, Sendable {
    /// One compared group of keys: its name in messages, and its values.
    struct Group: Equatable, Sendable {
        let name: String
        let matches: @Sendable (RunConfig, RunConfig) -> Bool
        static func == (a: Group, b: Group) -> Bool { a.name == b.name }
    }

    /// The groups, in the order messages name them.
    static let groups: [Group] = [
        Group(name: "TRAINER") { $0.trainer == $1.trainer },
        Group(name: "OPTIM") { $0.optim == $1.optim },
        Group(name: "INPUT") { $0.input == $1.input },
        Group(name: "SEED") { $0.seed == $1.seed },
        Group(name: "DATASET") {
            $0.dataset.name == $1.dataset.name && $0.dataset.numShots == $1.dataset.numShots
                && $0.dataset.subsampleClasses == $1.dataset.subsampleClasses
        },
        Group(name: "DATALOADER.TRAIN_X.BATCH_SIZE") {
            $0.dataloader.trainX.batchSize == $1.dataloader.trainX.batchSize
        },
    ]

    /// The resolved configuration the fingerprint is taken of.
    public let config: RunConfig

    /// The fingerprint of `config`.
    public init(_ config: RunConfig) { self.config = config }

    /// The names of the groups in which `other` differs from this one, in a fixed order;
    /// empty when a resume may proceed.
    public func differences(from other: SettingsFingerprint) -> [String] {
        Self.groups.filter { !$0.matches(config, other.config) }.map(\.name)
    }

    public static func == (a: SettingsFingerprint, b: SettingsFingerprint) -> Bool { a.differences(from: b).isEmpty }
}
