import Checkpoint
import Config

/// What a checkpoint is loaded for.
public enum CheckpointUse: String, CaseIterable, Sendable {
    /// Continuing a run (`--resume auto|DIR`).
    case resume
    /// `--eval-only` with `--model-dir` (or the output folder).
    case evaluate = "eval-only"
    /// `cocoop predict`: trainer, settings and classes are the checkpoint's own.
    case predict
    /// MODEL.INIT_WEIGHTS: the starting parameters of a new run.
    case initWeights = "MODEL.INIT_WEIGHTS"
}

/// The checks that decide whether a checkpoint fits a use, one table for every use:
///
///     use                 CLIP weights  trainer  classes  settings  tensor names and shapes
///     resume              yes           yes      yes      yes       yes
///     eval-only           yes           yes      -        -         yes
///     predict             yes           -        -        -         yes
///     MODEL.INIT_WEIGHTS  -             -        -        -         yes
///
/// Evaluation may score other classes than those trained on (base-to-new: train on base,
/// evaluate on new), and with other settings; `predict` takes the trainer, settings and
/// classes from the checkpoint; initial weights are only a starting point. Tensor names
/// and shapes are checked when the parameters are restored (`TrainingState.restore`).
public enum CheckpointPolicy {
    /// One row's checks.
    public struct Checks: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The checkpoint's `clip_weights_sha256` is that of this run's CLIP weights.
        public static let clipWeights = Checks(rawValue: 1)
        /// It was trained by this run's TRAINER.NAME.
        public static let trainer = Checks(rawValue: 2)
        /// Its classes are this run's, in the same order.
        public static let classes = Checks(rawValue: 4)
        /// Its `SettingsFingerprint` equals this run's.
        public static let settings = Checks(rawValue: 8)
    }

    /// The table above.
    public static func checks(for use: CheckpointUse) -> Checks {
        switch use {
        case .resume: return [.clipWeights, .trainer, .classes, .settings]
        case .evaluate: return [.clipWeights, .trainer]
        case .predict: return [.clipWeights]
        case .initWeights: return []
        }
    }

    /// What the run that loads a checkpoint is, for the checks of its use.
    public struct Run {
        /// SHA-256 of the run's CLIP weights (computed only when a check needs it).
        public var clipWeightsSHA256: () throws -> String
        /// Where those weights are, for messages.
        public var weightsPath: String
        public var trainer: TrainerKind?
        /// Class lists the checkpoint's may equal (e.g. the data's and the prompts').
        public var classnames: [[String]]
        public var settings: SettingsFingerprint?

        public init(clipWeightsSHA256: @escaping () throws -> String, weightsPath: String, trainer: TrainerKind?,
                    classnames: [[String]] = [], settings: SettingsFingerprint? = nil) {
            self.clipWeightsSHA256 = clipWeightsSHA256; self.weightsPath = weightsPath; self.trainer = trainer
            self.classnames = classnames; self.settings = settings
        }
    }

    /// Throws `RunStateError.incompatible` naming `file` and the first check of `use` that
    /// `record` fails for `run`.
    public static func check(_ record: ResumeRecord, file: String, for use: CheckpointUse, run: Run) throws {
        let checks = checks(for: use)
        func refuse(_ reason: String) -> RunStateError { .incompatible(file: file, use: use, reason: reason) }
        if checks.contains(.clipWeights) {
            let sha = try run.clipWeightsSHA256()
            guard record.clipWeightsSHA256 == sha else {
                throw refuse("it was trained on other CLIP weights (sha256 \(record.clipWeightsSHA256)); "
                             + "\(run.weightsPath) has sha256 \(sha)")
            }
        }
        if checks.contains(.trainer), let trainer = run.trainer, record.trainer != trainer {
            throw refuse("it was trained by \(record.trainer.rawValue), this run is \(trainer.rawValue)")
        }
        if checks.contains(.classes), !run.classnames.contains(record.classnames) {
            throw refuse("its classes differ from this run's")
        }
        if checks.contains(.settings), let settings = run.settings {
            let differs = settings.differences(from: record.settings)
            if !differs.isEmpty { throw refuse("its config differs in \(differs.joined(separator: ", "))") }
        }
    }
}

/// Why a checkpoint could not serve a run.
public enum RunStateError: Error, CustomStringConvertible, Equatable {
    /// The checkpoint fails a check of its use (see `CheckpointPolicy`), or its tensors do
    /// not fit the prompt learner.
    case incompatible(file: String, use: CheckpointUse, reason: String)
    /// No checkpoint in the folder could be read (`detail`: what was found instead).
    case noCheckpoint(directory: String, detail: String)

    public var description: String {
        switch self {
        case let .incompatible(file, use, reason):
            return "checkpoint \(file) does not fit this run (\(use.rawValue)): \(reason)"
        case let .noCheckpoint(directory, detail):
            return "no usable checkpoint in \(directory)\(detail.isEmpty ? "" : ": " + detail)"
        }
    }
}
