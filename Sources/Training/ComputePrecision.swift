import CLIP
import Config
import Tensor

/// What a run's PREC means on this machine: the reference's `fp16` (and `amp`) run CLIP in
/// half precision on a GPU; here the frozen towers' matrix products take bfloat16 operands
/// with float32 accumulation (oneDNN), on CPUs that have native bfloat16 (AVX512_BF16 or
/// AMX). Elsewhere they fall back to float32, with a notice, rather than emulate bfloat16
/// slowly. `fp32` is float32 throughout.
public struct ComputePrecision: Equatable, Sendable {
    /// The arithmetic of the towers' products.
    public let matmul: MatmulPrecision
    /// The log line that says what PREC became, and why.
    public let note: String

    /// The precision that `prec`, the value of config key `key`, gives on this CPU.
    public init(_ prec: Precision, key: String) {
        self.init(prec, key: key, nativeBFloat16: OneDNN.hasNativeBFloat16, isa: OneDNN.isaName)
    }

    /// As ``init(_:key:)`` on a CPU with or without native bfloat16 (for tests).
    init(_ prec: Precision, key: String, nativeBFloat16: Bool, isa: String) {
        switch prec {
        case .fp32:
            matmul = .float32
            note = "\(key) fp32: float32 throughout"
        case .fp16 where nativeBFloat16, .amp where nativeBFloat16:
            matmul = .bfloat16
            note = "\(key) \(prec.rawValue): the CLIP towers' matrix products in bfloat16 with float32 accumulation "
                + "(oneDNN \(OneDNN.version), \(isa)); fp16 on a GPU is bfloat16 here. LayerNorm, softmax, "
                + "attention scores, activations, the prompt learner, gradients and SGD stay float32"
        case .fp16, .amp:
            matmul = .float32
            note = "notice: \(key) \(prec.rawValue) asks for half precision, but this CPU has no native bfloat16 "
                + "(oneDNN dispatches to \(isa)): computing in float32"
        }
    }

    /// The PREC key of `config`'s trainer: TRAINER.COCOOP.PREC for CoCoOp, TRAINER.COOP.PREC
    /// for CoOp, ZeroshotCLIP and ZeroshotCLIP2 (whose CLIP runs at the CoOp section's precision).
    public init(config: RunConfig) {
        if config.trainer.name == .cocoop {
            self.init(config.trainer.cocoop.prec, key: "TRAINER.COCOOP.PREC")
        } else {
            self.init(config.trainer.coop.prec, key: "TRAINER.COOP.PREC")
        }
    }
}
