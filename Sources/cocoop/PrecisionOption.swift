import Config
import Foundation
import Tensor
import Training

/// `--prec fp32|fp16|amp|bf16`, the products' precision of commands that take no training
/// config (bench, embed, zeroshot): `fp16`, `amp` and `bf16` all mean bfloat16 products
/// with float32 accumulation where the CPU has native bfloat16, else float32 with a notice
/// on stderr (as PREC in a config). Default: fp32.
func precision(_ value: String?) throws -> MatmulPrecision {
    guard let value else { return .float32 }
    guard let prec = value == "bf16" ? Precision.fp16 : Precision(rawValue: value) else {
        throw UsageError("--prec '\(value)': expected fp32, fp16, amp or bf16")
    }
    let chosen = ComputePrecision(prec, key: "--prec")
    if chosen.matmul == .float32 && prec != .fp32 {
        FileHandle.standardError.write(Data((chosen.note + "\n").utf8))
    }
    return chosen.matmul
}
