import Checkpoint
import Config
import Foundation
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
    public var best: ResumeRecord.BestValidation?

    /// The start of a run: `params`, zero momentum, step 0.
    public init(params: ParameterBuffer) {
        epoch = 0; stepInEpoch = 0; globalStep = 0; momentumInitialized = false
        self.params = params
        momentum = ParameterBuffer(layout: params.layout)
    }

    /// A slot name in the checkpoint: `meta_net.linear1.weight` -> `meta_net/linear1/weight`.
    static func checkpointName(_ slot: String) -> String { slot.replacingOccurrences(of: ".", with: "/") }

    /// The record of this state for a run of `config` on `worldSize` ranks.
    public func record(worldSize: Int, trainer: TrainerKind, config: RunConfig, weightsSHA256: String,
                       classnames: [String]) -> ResumeRecord {
        ResumeRecord(epoch: epoch, stepInEpoch: stepInEpoch, globalStep: globalStep,
                     momentumInitialized: momentumInitialized, worldSize: worldSize, trainer: trainer,
                     clipWeightsSHA256: weightsSHA256, config: config, classnames: classnames, best: best)
    }

    /// The checkpoint contents for this state and `record`.
    public func contents(_ record: ResumeRecord, softwareVersion: String) -> CheckpointContents {
        func tensors(_ b: ParameterBuffer) -> [NamedTensor] {
            b.layout.slots.map {
                NamedTensor(name: Self.checkpointName($0.name), shape: $0.shape, values: b[$0.name].array)
            }
        }
        return record.contents(params: tensors(params), momentum: tensors(momentum), softwareVersion: softwareVersion)
    }

    /// Copies the checkpoint's parameters and momentum into this state's buffers and takes
    /// the position of `record`.
    /// - Throws: `RunStateError.incompatible` naming the first tensor that is missing or
    ///   has another shape than this state's layout.
    public func restore(from c: CheckpointContents, record: ResumeRecord, file: String, use: CheckpointUse) throws {
        try Self.copy(c.params, into: params, file: file, use: use)
        try Self.copy(c.momentum, into: momentum, file: file, use: use)
        epoch = record.epoch
        stepInEpoch = record.stepInEpoch
        globalStep = record.globalStep
        momentumInitialized = record.momentumInitialized
        best = record.best
    }

    /// The parameters of a checkpoint (for evaluation, prediction or initial weights):
    /// `c`'s `/params` tensors laid out as `layout`.
    public static func parameters(of c: CheckpointContents, layout: ParameterLayout, file: String,
                                  use: CheckpointUse) throws -> ParameterBuffer {
        let buffer = ParameterBuffer(layout: layout)
        try copy(c.params, into: buffer, file: file, use: use)
        return buffer
    }

    private static func copy(_ named: [NamedTensor], into buffer: ParameterBuffer, file: String,
                             use: CheckpointUse) throws {
        for slot in buffer.layout.slots {
            let name = checkpointName(slot.name)
            guard let t = named.first(where: { $0.name == name }) else {
                throw RunStateError.incompatible(file: file, use: use, reason: "it has no tensor \(name)")
            }
            guard t.shape == slot.shape else {
                throw RunStateError.incompatible(
                    file: file, use: use, reason: "\(t.name) has shape \(t.shape), this run needs \(slot.shape)")
            }
            buffer[slot.name].data.update(from: t.values, count: t.values.count)
        }
    }
}
