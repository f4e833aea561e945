import Config
import Dispatch
import Distributed
import PromptLearning
import Tensor

/// How a run divides each training step over its ranks (RUNTIME.STEP_SPLIT resolved).
enum StepMode: Equatable {
    /// Each rank takes whole images of the global batch (data parallel).
    case images
    /// The step's prompts are split over the ranks (`SplitStep`), image features shared
    /// (`FeatureFeed`).
    case prompts

    /// The mode for `split` with global batch `batch` on `ranks` ranks: one rank always
    /// takes whole images; `auto` splits the prompts unless the batch divides evenly over
    /// the ranks and the learner's prompts depend on the image (CoOp's prompts are the same
    /// for every image, so whole images would repeat the whole text tower on every rank).
    static func resolve(_ split: StepSplit, learner: PromptLearner, batch: Int, ranks: Int) -> StepMode {
        guard ranks > 1 else { return .images }
        switch split {
        case .images: return .images
        case .prompts: return .prompts
        case .auto:
            let perImage = learner.promptGroups(images: batch) == batch
            return perImage && batch % ranks == 0 ? .images : .prompts
        }
    }
}

/// One training step's forward and backward with its prompts split over the ranks: every
/// rank holds the step's image features, runs its share of the (prompt group, class)
/// units through the text tower, the units' logits are all-gathered (a few KB), the loss
/// and dL/dlogits are computed alike on every rank, and each rank back-propagates its own
/// share. The gradient each rank accumulates is its share's part; the step's all-reduce
/// sums them. Collective.
final class SplitStep {
    let comm: Communicator
    let learner: PromptLearner
    private var partitions: [Int: [StepShare]] = [:]
    /// Seconds spent in the logits' all-gather by the last call.
    private(set) var gatherSeconds = 0.0

    init(comm: Communicator, learner: PromptLearner) {
        self.comm = comm
        self.learner = learner
    }

    /// The shares of a step over `images` images, one per rank.
    func shares(images: Int) -> [StepShare] {
        if let p = partitions[images] { return p }
        let p = learner.partition(images: images, parts: comm.size)
        partitions[images] = p
        return p
    }

    /// Accumulates this rank's part of `gradScale * d(sum of the step's losses)` into
    /// `grads` and returns the step's statistics (the same on every rank).
    /// - Parameter features: the image features [B, E] of the whole step.
    func run(features: Tensor, labels: [Int32], params: ParameterBuffer, grads: ParameterBuffer,
             gradScale: Float) throws -> BatchStats {
        let b = features.shape[0], shares = shares(images: b), per = learner.logitsPerUnit(images: b)
        let fwd = learner.shareForward(imageFeatures: features, share: shares[comm.rank], params: params,
                                       training: true)
        let slot = (shares.map(\.units).max() ?? 0) * per
        var send = [Float](repeating: 0, count: slot)
        for (i, v) in fwd.logits.enumerated() { send[i] = v }
        var received = [Float](repeating: 0, count: slot * comm.size)
        let t0 = DispatchTime.now().uptimeNanoseconds
        try send.withUnsafeBufferPointer { s in
            try received.withUnsafeMutableBufferPointer { r in
                try comm.allGather(s.baseAddress!, count: slot, into: r.baseAddress!)
            }
        }
        gatherSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        var all: [Float] = []
        all.reserveCapacity(shares.reduce(0) { $0 + $1.units } * per)
        for (r, share) in shares.enumerated() { all += received[(r * slot)..<(r * slot + share.units * per)] }
        let logits = all.withUnsafeBufferPointer { learner.stepLogits($0.baseAddress!, images: b) }
        let (stats, dlogits) = stepLoss(logits: logits, labels: labels, gradScale: gradScale)
        learner.shareBackward(fwd, dlogits: dlogits, params: params, grads: grads)
        return stats
    }
}
