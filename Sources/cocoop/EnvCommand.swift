import CLIP
import HDF5
import Foundation
import Tensor
import Distributed
import Checkpoint

/// `cocoop env`: what a bug report needs to know about this build and machine.
enum EnvCommand: Command {
    static let name = "env"
    static let summary = "print versions of the tool and its libraries (for bug reports)"
    static let usage = """
    usage: cocoop env

    Prints the cocoop version, the OpenBLAS build (config string, core kernels, threads,
    OPENBLAS_* environment), oneDNN (version, the instruction set it dispatches to, whether
    bfloat16 is native, so whether PREC fp16 runs in bfloat16), the library float32 products
    go to, the element-wise loops in use (baseline, AVX2 or AVX-512: the richest the CPU runs;
    COCOOP_SIMD=baseline or avx2 caps it), the MPI library, the HDF5 library and the CPU count.
    """

    static func run(_ args: [String]) throws -> Int32 {
        _ = try Arguments(args, valued: [])
        let env = ProcessInfo.processInfo.environment
        let rows: [(String, String)] = [
            ("cocoop", cocoopVersion),
            ("OpenBLAS config", BLASInfo.config),
            ("OpenBLAS core", BLASInfo.coreName),
            ("OpenBLAS threads", "\(BLASInfo.threads)"),
            ("OPENBLAS_CORETYPE", env["OPENBLAS_CORETYPE"] ?? "(unset)"),
            ("OPENBLAS_NUM_THREADS", env["OPENBLAS_NUM_THREADS"] ?? "(unset)"),
            ("oneDNN", "\(OneDNN.version), isa \(OneDNN.isaName)"),
            ("native bfloat16", OneDNN.hasNativeBFloat16 ? "yes (PREC fp16/amp: bfloat16 products)"
                : "no (PREC fp16/amp fall back to float32)"),
            ("DNNL_MAX_CPU_ISA", env["DNNL_MAX_CPU_ISA"] ?? "(unset)"),
            ("bfloat16 weights", BFloat16WeightCache.environment.directory.map { "cache folder \($0)" }
                ?? "private copies (COCOOP_WEIGHT_CACHE=off)"),
            ("packed weights", GEMMRouting.packsBFloat16Weights
                ? "on (bfloat16 products read copies in oneDNN's layout; COCOOP_PACK_WEIGHTS=off: the plain ones)"
                : "off (COCOOP_PACK_WEIGHTS=off: bfloat16 products read the plain matrices)"),
            ("float32 products", GEMMRouting.float32.rawValue
                + " (from \(GEMMRouting.oneDNNMinimumWork) multiply-adds; COCOOP_SGEMM to choose)"),
            ("element-wise loops", SIMDLevel.current.rawValue
                + (SIMDLevel.richestOnThisCPU > .baseline
                   ? " (the CPU runs up to \(SIMDLevel.richestOnThisCPU.rawValue); COCOOP_SIMD caps it)"
                   : "")),
            ("MPI library", MPILibrary.version),
            ("MPI standard", MPILibrary.standard),
            ("HDF5", HDF5Library.version),
            ("CPUs", "\(ProcessInfo.processInfo.activeProcessorCount)"),
            ("memory", String(format: "%.1f GiB", Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824)),
            ("OS", ProcessInfo.processInfo.operatingSystemVersionString),
        ]
        for (k, v) in rows { print("\(k.padding(toLength: 22, withPad: " ", startingAt: 0))\(v)") }
        return 0
    }
}
