import Foundation
import SIMDLoopsAVX2
import SIMDLoopsAVX512

/// Which compiled copy of the element-wise loops (QuickGELU, softmax, LayerNorm, attention
/// rows, rounding) runs: the baseline x86-64 one (SSE2), the AVX2 one or the AVX-512 one, the
/// richest whose instructions `/proc/cpuinfo` lists. All give bitwise the same results.
/// `COCOOP_SIMD=baseline` or `avx2` in the environment caps the choice (to compare, or on a
/// CPU misreporting its flags).
public enum SIMDLevel: String, Sendable, CaseIterable, Comparable {
    case baseline, avx2, avx512

    /// The copy in use, decided once per process.
    public static let current: SIMDLevel = {
        let cap = ProcessInfo.processInfo.environment["COCOOP_SIMD"].flatMap(SIMDLevel.init(rawValue:)) ?? .avx512
        return min(cap, richestOnThisCPU)
    }()

    /// The richest copy this CPU can run (whatever `COCOOP_SIMD` says).
    public static let richestOnThisCPU = cpuFlags().map(level(forFlags:)) ?? .baseline

    /// The loops of the copy in use; nil for the baseline (the callers' own generic loops).
    static let loops: (any FloatLoops.Type)? = current.loops

    /// The copy that rounds float32 to bfloat16: AVX2's where AVX-512 is in use, whose
    /// narrowing stores ran 15-20% slower (AMD EPYC, Zen 4: `cocoop bench loops`).
    static let roundingLoops: (any FloatLoops.Type)? = min(current, .avx2).loops

    /// ``loops`` for a generic kernel's element type: nil unless `T` is Float.
    @inline(__always)
    static func loops<T>(for _: T.Type) -> (any FloatLoops.Type)? { T.self == Float.self ? loops : nil }

    /// This level's compiled loops (nil for the baseline). Only call them where the CPU runs
    /// them (`self <= richestOnThisCPU`).
    public var loops: (any FloatLoops.Type)? {
        switch self {
        case .baseline: return nil
        case .avx2: return SIMDLoopsAVX2.CompiledLoops.self
        case .avx512: return SIMDLoopsAVX512.CompiledLoops.self
        }
    }

    /// The compiled copies this CPU runs, for tests that compare them with the baseline.
    public static var compiledCopiesOnThisCPU: [SIMDLevel] {
        allCases.filter { $0 != .baseline && $0 <= richestOnThisCPU }
    }

    public static func < (a: SIMDLevel, b: SIMDLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The richest level whose target's instructions are all in `flags` (`/proc/cpuinfo`'s
    /// names): `haswell` for AVX2, `skylake-avx512` for AVX-512 (Package.swift).
    static func level(forFlags flags: Set<String>) -> SIMDLevel {
        let haswell = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "popcnt", "abm"]
        let skylakeX = haswell + ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        if skylakeX.allSatisfy(flags.contains) { return .avx512 }
        return haswell.allSatisfy(flags.contains) ? .avx2 : .baseline
    }

    /// The first processor's flags from /proc/cpuinfo (Linux, x86-64 only).
    private static func cpuFlags() -> Set<String>? {
        #if arch(x86_64)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        return Set(line.split(separator: " ").map(String.init))
        #else
        return nil
        #endif
    }
}

/// `p` as a Float pointer (for a generic kernel's `T == Float` path).
@inline(__always)
func floats<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}

/// `p` as a Float pointer (for a generic kernel's `T == Float` path).
@inline(__always)
func floats<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> {
    UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
}
