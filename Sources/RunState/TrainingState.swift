import Checkpoint
import Foundation
import HDF5
import PromptLearning

/// Where a run is: the parameters and SGD momentum, and the position of the next step.
/// With the sample stream keyed by (seed, epoch, sample index), this is all an exact
/// resume needs.
public final class TrainingState {
    /// Epoch of the next step (0-based); equals the number of finished epochs between epochs.
    public var epoch: Int
    /// Index of the next step within its epoch.
    public var stepInEpoch: Int
    /// Steps completed since the start of training.
    public var globalStep: Int
    /// Whether SGD's momentum buffers hold values (PyTorch initialises them on the first step).
    public var momentumInitialized: Bool
    public let params: ParameterBuffer
    public let momentum: ParameterBuffer
    /// The best validation accuracy so far and the epoch-end checkpoint that holds it
    /// (TEST.FINAL_MODEL best_val); nil before the first validation.
    public var best: BestValidation?

    /// A validation accuracy and where its parameters were saved.
    public struct BestValidation: Equatable {
        public var accuracy: Double
        public var epoch: Int
        public var step: Int
        /// The epoch-end checkpoint's file name in OUTPUT_DIR/checkpoints.
        public var checkpointName: String { CheckpointDirectory.fileName(epoch: epoch, step: step) }
    }

    public init(params: ParameterBuffer) {
        epoch = 0; stepInEpoch = 0; globalStep = 0; momentumInitialized = false
        self.params = params
        momentum = ParameterBuffer(layout: params.layout)
    }

    /// A slot name in the checkpoint: `meta_net.linear1.weight` -> `meta_net/linear1/weight`.
    static func checkpointName(_ slot: String) -> String { slot.replacingOccurrences(of: ".", with: "/") }

    /// The checkpoint contents for this state.
    func contents(worldSize: Int, seed: Int, configYAML: String, weightsSHA256: String, softwareVersion: String,
                  classnames: [String], trainer: String, metrics: [String: MetricValue]) -> CheckpointContents {
        func tensors(_ b: ParameterBuffer) -> [NamedTensor] {
            b.layout.slots.map { NamedTensor(name: Self.checkpointName($0.name), shape: $0.shape, values: b[$0.name].array) }
        }
        return CheckpointContents(
            epoch: epoch, step: globalStep, worldSize: worldSize, seed: seed, configYAML: configYAML,
            clipWeightsSHA256: weightsSHA256, softwareVersion: softwareVersion, created: Date(),
            params: tensors(params), momentum: tensors(momentum), classnames: classnames,
            metrics: metrics.merging(bestMetrics) { $1 },
            extraAttributes: ["step_in_epoch": .int64(Int64(stepInEpoch)),
                              "momentum_initialized": .int64(momentumInitialized ? 1 : 0),
                              "trainer": .string(trainer)])
    }

    /// The parameters saved in the checkpoint file at `url` for a learner of `layout`, and
    /// the checkpoint's contents.
    static func parameters(fromCheckpoint url: URL, layout: ParameterLayout) throws
        -> (params: ParameterBuffer, contents: CheckpointContents) {
        let c = try Checkpoint.load(from: url)
        let state = TrainingState(params: ParameterBuffer(layout: layout))
        try state.restore(from: c, path: url.path)
        return (state.params, c)
    }

    /// `best` as checkpoint metrics: best_val/accuracy, best_val/epoch, best_val/step.
    var bestMetrics: [String: MetricValue] {
        guard let best else { return [:] }
        return ["best_val/accuracy": .scalar(best.accuracy), "best_val/epoch": .scalar(Double(best.epoch)),
                "best_val/step": .scalar(Double(best.step))]
    }

    /// Restores parameters, momentum and position from a checkpoint of the same layout.
    func restore(from c: CheckpointContents, path: String) throws {
        for (buffer, named) in [(params, c.params), (momentum, c.momentum)] {
            for slot in buffer.layout.slots {
                guard let t = named.first(where: { $0.name == Self.checkpointName(slot.name) }) else {
                    throw TrainingError.incompatibleCheckpoint(path: path, reason: "it has no tensor \(Self.checkpointName(slot.name))")
                }
                guard t.shape == slot.shape else {
                    throw TrainingError.incompatibleCheckpoint(
                        path: path, reason: "\(t.name) has shape \(t.shape), this run needs \(slot.shape)")
                }
                buffer[slot.name].data.update(from: t.values, count: t.values.count)
            }
        }
        epoch = c.epoch
        globalStep = c.step
        if case .int64(let s)? = c.extraAttributes["step_in_epoch"] { stepInEpoch = Int(s) } else { stepInEpoch = 0 }
        if case .int64(let m)? = c.extraAttributes["momentum_initialized"] { momentumInitialized = m != 0 }
        else { momentumInitialized = globalStep > 0 }
        if case .scalar(let a)? = c.metrics["best_val/accuracy"], case .scalar(let e)? = c.metrics["best_val/epoch"],
           case .scalar(let s)? = c.metrics["best_val/step"] {
            best = BestValidation(accuracy: a, epoch: Int(e), step: Int(s))
        } else {
            best = nil
        }
    }
}
