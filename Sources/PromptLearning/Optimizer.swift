import Foundation

/// SGD exactly as PyTorch's `torch.optim.SGD` (which Dassl builds): per element,
/// `d = g + weight_decay * p`; momentum buffer `buf = d` on the first step, then
/// `buf = momentum * buf + (1 - dampening) * d`; `d = nesterov ? d + momentum * buf : buf`;
/// `p -= lr * d`. Works on the whole flat parameter buffer at once.
public struct SGD: Equatable, Sendable {
    public var momentum: Float
    public var weightDecay: Float
    public var dampening: Float
    public var nesterov: Bool

    public init(momentum: Float = 0.9, weightDecay: Float = 5e-4, dampening: Float = 0,
                nesterov: Bool = false) {
        self.momentum = momentum; self.weightDecay = weightDecay
        self.dampening = dampening; self.nesterov = nesterov
    }

    /// One update of `params` with `grads` at learning rate `lr`. `momentumBuffer` must be
    /// the same size; `firstStep` says whether it is still uninitialised.
    public func step(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>,
                     momentumBuffer buf: UnsafeMutablePointer<Float>, count: Int,
                     lr: Float, firstStep: Bool) {
        for i in 0..<count {
            var d = grads[i]
            if weightDecay != 0 { d += weightDecay * params[i] }
            if momentum != 0 {
                buf[i] = firstStep ? d : momentum * buf[i] + (1 - dampening) * d
                d = nesterov ? d + momentum * buf[i] : buf[i]
            }
            params[i] -= lr * d
        }
    }
}

/// Dassl's learning-rate schedules (dassl/optim/lr_scheduler.py), as a function of the
/// epoch: the trainer steps the scheduler once per epoch, so epoch e trains at `lr(e)`.
public struct LRSchedule: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case cosine
        /// StepLR: multiply by gamma every `stepSize` epochs.
        case singleStep(stepSize: Int)
        /// MultiStepLR: multiply by gamma at each milestone.
        case multiStep(milestones: [Int])
    }
    public enum Warmup: Equatable, Sendable {
        case none
        /// `cons_lr` for the warm-up epochs.
        case constant(lr: Double)
        /// `min_lr` at epoch 0, then `base * e / warmup_epochs`.
        case linear(minLR: Double)
    }

    public var baseLR: Double
    public var kind: Kind
    public var gamma: Double
    public var maxEpoch: Int
    public var warmup: Warmup
    public var warmupEpochs: Int
    /// WARMUP_RECOUNT: the main schedule starts counting from 0 after the warm-up.
    public var warmupRecount: Bool

    public init(baseLR: Double, kind: Kind, gamma: Double = 0.1, maxEpoch: Int,
                warmup: Warmup = .none, warmupEpochs: Int = 0, warmupRecount: Bool = true) {
        self.baseLR = baseLR; self.kind = kind; self.gamma = gamma; self.maxEpoch = maxEpoch
        self.warmup = warmup; self.warmupEpochs = warmupEpochs; self.warmupRecount = warmupRecount
    }

    /// The learning rate of epoch `e` (0-based).
    ///
    /// Dassl wraps the main scheduler in a warm-up scheduler. With WARMUP_RECOUNT the main
    /// scheduler is fresh when the warm-up ends (its epoch j = e - W starts at 0); without
    /// it, its epoch counter was set to W at construction while its lr stayed at the base,
    /// and PyTorch's schedulers update the lr multiplicatively from there, which the
    /// `start` terms below reproduce.
    public func lr(epoch e: Int) -> Double {
        let w = warmup == .none ? 0 : warmupEpochs
        if w > 0 && e < w {
            switch warmup {
            case .constant(let c): return c
            case .linear(let m): return e == 0 ? m : baseLR * Double(e) / Double(w)
            case .none: break
            }
        }
        let (j, start) = w > 0 && !warmupRecount ? (e, w) : (e - w, 0)
        switch kind {
        case .cosine:
            let t = Double(maxEpoch)
            func f(_ k: Int) -> Double { 1 + cos(Double.pi * Double(k) / t) }
            return start == 0 ? 0.5 * baseLR * f(j) : baseLR * f(j) / f(start)
        case .singleStep(let size):
            let s = size <= 0 ? maxEpoch : size
            return baseLR * pow(gamma, Double(j / s - start / s))
        case .multiStep(let milestones):
            let n = milestones.filter { $0 > start && $0 <= j }.count
            return baseLR * pow(gamma, Double(n))
        }
    }
}
