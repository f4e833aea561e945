import Config
import Foundation

/// A sweep file, read: what every trial shares (`base`), the axes whose grid makes the
/// trials, the pipeline that turns one grid point into runs, and the group size.
///
/// The format is documented in Configs/sweeps/README.md; `SweepSpec.load(contentsOf:)`
/// reads it and `SweepPlan(spec:)` expands it.
public struct SweepSpec {
    // MARK: - Types

    /// What one grid point runs.
    public enum Pipeline: String, CaseIterable, Sendable {
        /// CoCoOp's base-to-new protocol: train on the base classes, then evaluate the final
        /// checkpoint on the new classes (eval-only).
        case base2new
        /// Train once on `source` (all classes), then evaluate on every dataset of the axis.
        case crossDataset = "cross_dataset"
        /// Few-shot training on all classes of each dataset, evaluated on its test split.
        case train
    }

    /// One dataset: the name used in folder paths and the summary, its config file and
    /// overrides of its own.
    public struct Dataset: Equatable {
        /// The label in paths and tables (e.g. `oxford_pets`).
        public var name: String
        /// The dataset config file (merged first), if any.
        public var configFile: URL?
        /// Config entries for this dataset only (nested; dotted keys already split).
        public var overrides: [YAMLNode.Entry]

        /// A dataset entry.
        public init(name: String, configFile: URL?, overrides: [YAMLNode.Entry] = []) {
            self.name = name
            self.configFile = configFile
            self.overrides = overrides
        }
    }

    /// An axis over any config key: its dotted key and values (as YAML nodes, so that a
    /// bad value is reported at its line in the sweep file).
    public struct ConfigAxis {
        /// The dotted config key, e.g. `OPTIM.LR`.
        public var key: String
        /// The values, in file order.
        public var values: [YAMLNode]
    }

    // MARK: - Contents

    /// The sweep file's path (for messages and relative names).
    public var file: String
    /// The sweep's name: its folder under `<output_root>/sweeps/`. Default: the file's stem.
    public var name: String
    /// The pipeline of every grid point.
    public var pipeline: Pipeline
    /// Ranks per group; each group runs one trial at a time.
    public var ranksPerTrial: Int
    /// Where the trial tree and the sweep folder go.
    public var outputRoot: URL
    /// TRAINER.NAME of every trial (CoCoOp, CoOp, ZeroshotCLIP).
    public var trainer: TrainerKind
    /// The trainer config file (`--config-file`), if any.
    public var configFile: URL?
    /// The config's name in paths (the config file's stem; `default` without one).
    public var configName: String
    /// The CLIP weights (`--weights`).
    public var weights: URL
    /// DATASET.ROOT (`--root`); empty leaves the config's.
    public var root: String
    /// The datasets axis (cross_dataset: the evaluation targets).
    public var datasets: [Dataset]
    /// cross_dataset only: the training dataset.
    public var source: Dataset?
    /// The seeds axis.
    public var seeds: [Int]
    /// The shots axis (DATASET.NUM_SHOTS); empty: the configs' value.
    public var shots: [Int]
    /// Axes over other config keys, in file order.
    public var configAxes: [ConfigAxis]
    /// Config entries shared by every trial (nested; dotted keys already split).
    public var overrides: [YAMLNode.Entry]
    /// The epoch whose checkpoint evaluation trials load; nil: OPTIM.MAX_EPOCH.
    public var loadEpoch: Int?

    // MARK: - Folders

    /// The sweep's own folder: events.jsonl, sweep.json, summary.md, summary.csv.
    public var sweepDirectory: URL {
        outputRoot.appendingPathComponent("sweeps").appendingPathComponent(name)
    }
}
