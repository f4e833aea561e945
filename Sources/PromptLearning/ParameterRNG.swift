import Foundation
import Tensor

/// A seeded generator for initial parameters (SplitMix64 + Box-Muller): the same seed
/// gives the same parameters on every rank and every machine.
struct ParameterRNG {
    private var state: UInt64
    private var spare: Double?

    init(seed: UInt64) { state = seed }

    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(nextUInt64() >> 11) * 0x1p-53 }

    /// Standard normal.
    mutating func normal() -> Double {
        if let s = spare { spare = nil; return s }
        var u = uniform()
        while u == 0 { u = uniform() }
        let v = uniform(), r = (-2 * log(u)).squareRoot()
        spare = r * sin(2 * .pi * v)
        return r * cos(2 * .pi * v)
    }

    /// Fills `t` with N(0, std^2).
    mutating func fillNormal(_ t: Tensor, std: Double) {
        for i in 0..<t.count { t.data[i] = Float(normal() * std) }
    }

    /// PyTorch's default nn.Linear initialisation: weight and bias uniform in
    /// (-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5)).
    mutating func fillLinearDefault(weight: Tensor, bias: Tensor) {
        let bound = 1 / Double(weight.shape[1]).squareRoot()
        for i in 0..<weight.count { weight.data[i] = Float((uniform() * 2 - 1) * bound) }
        for i in 0..<bias.count { bias.data[i] = Float((uniform() * 2 - 1) * bound) }
    }
}
