import Foundation

/// Why a training or evaluation run stopped, with what the user needs to fix it.
/// Broken invariants of the program itself are `InternalError`s; unreadable or
/// incompatible checkpoints are `RunStateError`s; failed output writes `OutputError`s.
public enum TrainingError: Error, CustomStringConvertible {
    /// A setting this run cannot honour: `key` is the config key or command-line flag,
    /// `problem` continues the sentence ("INPUT.SIZE [224, 224] does not match ...").
    case invalidSetting(key: String, problem: String)
    case emptyTrainingSet(dataset: String)
    case nonFiniteLoss(epoch: Int, step: Int, loss: Double, lastCheckpoint: String?)
    case stopped(signal: Int32, checkpoint: String?)

    public var description: String {
        switch self {
        case let .invalidSetting(key, problem): return "\(key) \(problem)"
        case .emptyTrainingSet(let d): return "dataset \(d): the training split is empty"
        case .nonFiniteLoss(let e, let s, let l, let ckpt):
            return "loss is \(l) at epoch \(e + 1), step \(s + 1): stopping; the last good checkpoint is "
                + (ckpt ?? "none (no checkpoint was written yet)")
        case .stopped(let sig, let ckpt):
            return "stopped by signal \(sig) after a full step; checkpoint \(ckpt ?? "(none)"); "
                + "rerun the same command to resume"
        }
    }
}

/// The exit statuses of `cocoop train`, documented in README.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// Bad input or a failed run (the message names the culprit).
    public static let failure: Int32 = 1
    /// Bad command line.
    public static let usage: Int32 = 2
    /// The watchdog saw no completed step for too long (a hung or dead rank).
    public static let watchdog: Int32 = 3
    /// The loss became NaN or Inf; the last good checkpoint is kept.
    public static let nonFiniteLoss: Int32 = 4
    /// SIGTERM, SIGUSR1 or SIGINT: the current step finished, a checkpoint was written;
    /// rerunning the same command resumes (EX_TEMPFAIL).
    public static let preempted: Int32 = 75
}
