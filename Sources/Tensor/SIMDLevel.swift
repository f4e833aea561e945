import Foundation
import SIMDLoopsAVX2

/// Which compiled copy of the element-wise loops (QuickGELU, softmax, LayerNorm) runs: the
/// baseline x86-64 one (SSE2) or the AVX2 one, on CPUs whose flags list everything the
/// `haswell` target may use. Both give bitwise the same results. `COCOOP_SIMD=baseline` in
/// the environment keeps the baseline copy (to compare, or on a CPU misreporting its flags).
public enum SIMDLevel: String, Sendable {
    case baseline, avx2

    /// The copy in use, decided once per process.
    public static let current: SIMDLevel = {
        if ProcessInfo.processInfo.environment["COCOOP_SIMD"] == "baseline" { return .baseline }
        return cpuRunsAVX2 ? .avx2 : .baseline
    }()

    /// Whether this CPU can run the AVX2 copy at all (whatever `COCOOP_SIMD` says).
    public static let cpuRunsAVX2 = cpuHasHaswellFeatures()

    /// Whether the AVX2 copy runs (the kernels' test for their Float fast path).
    @inline(__always) static var usesAVX2: Bool { current == .avx2 }

    /// Reads the first processor's flags from /proc/cpuinfo (Linux, x86-64 only).
    private static func cpuHasHaswellFeatures() -> Bool {
        #if arch(x86_64)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let flags = Set(line.split(separator: " ").map(String.init))
        return ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "popcnt", "abm"].allSatisfy(flags.contains)
        #else
        return false
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
