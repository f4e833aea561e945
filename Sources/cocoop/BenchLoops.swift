import Foundation
import Tensor

/// `cocoop bench loops`: the element-wise loops' compiled copies (AVX2, AVX-512) against each
/// other on one thread, at the text tower's shapes with 500 classes (3,394 rows of width 512).
/// All copies give the same bits (SIMDLoopsTests); this says which is faster, per loop.
enum LoopsBench {
    static let usage = """
    loops  the element-wise loops (QuickGELU with its slope and its backward, LayerNorm rows,
           rounding to bfloat16, attention blocks of 7 queries on a 5-row prefix) in each
           compiled copy this CPU runs (avx2, avx512), one thread, at the 500-class text
           tower's shapes: best of --reps passes (default 7) and the copies' ratio.
    """

    static let rows = 3394, width = 512, hidden = 2048, heads = 8, headDim = 64

    static func run(reps: Int) throws {
        guard reps > 0 else { throw UsageError("--reps must be positive, got \(reps)") }
        let copies = SIMDLevel.compiledCopiesOnThisCPU
        guard !copies.isEmpty else {
            print("no compiled copy of the loops runs on this CPU (baseline only): nothing to compare")
            return
        }
        print("element-wise loops in use: \(SIMDLevel.current.rawValue); one thread; best of \(reps)")
        let n = rows * hidden
        let x = buffer(n) { Float($0 % 1000) / 125 - 4 }, dy = buffer(n) { Float($0 % 77) / 77 - 0.5 }
        let out = buffer(n) { _ in 0 }, slope = buffer(n) { _ in 0 }
        let rounded = UnsafeMutablePointer<UInt16>.allocate(capacity: n)
        let weight = buffer(width) { 1 + Float($0 % 5) / 10 }, bias = buffer(width) { Float($0 % 3) / 10 }
        let qkv = buffer(rows * 3 * width) { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
        let dqkv = buffer(rows * 3 * width) { _ in 0 }, probs = buffer(rows * heads * 12) { _ in 0 }
        let scratch = buffer(256) { _ in 0 }
        let loops: [(String, Int, (any FloatLoops.Type) -> Void)] = [
            ("QuickGELU forward with slope", n, { l in
                for lo in stride(from: 0, to: n, by: 1024) {
                    l.quickGeluForward(out: out, slope: slope + lo, inp: x + lo, count: min(1024, n - lo))
                }
            }),
            ("QuickGELU backward from output", n, { l in
                l.quickGeluBackward(dinp: slope, dout: dy, inp: x, out: out, count: n, accumulate: false)
            }),
            ("LayerNorm rows", rows * width, { l in
                for r in 0..<rows {
                    _ = l.layerNormRow(out: out + r * width, inp: x + r * width, weight: weight, bias: bias, c: width,
                                       eps: 1e-5)
                }
            }),
            ("LayerNorm rows, backward", rows * width, { l in
                for r in 0..<rows {
                    l.layerNormBackwardRow(dinp: slope + r * width, dweight: nil, dbias: nil, dout: dy + r * width,
                                           inp: x + r * width, weight: weight, mean: 0.1, rstd: 1.1, c: width)
                }
            }),
            ("rounding to bfloat16", n, { l in l.bfloat16Round(rounded, x, count: n) }),
            ("attention blocks (query rows x heads)", rows * heads, { l in
                attention(l, qkv: qkv, dqkv: nil, out: out, probs: probs, scratch: scratch)
            }),
            ("attention blocks, backward", rows * heads, { l in
                attention(l, qkv: qkv, dqkv: dqkv, out: dy, probs: probs, scratch: scratch)
            }),
        ]
        let names = copies.map(\.rawValue)
        print("| loop | elements | " + names.map { "\($0) ms" }.joined(separator: " | ")
              + (copies.count > 1 ? " | \(names[0]) / \(names[names.count - 1]) |" : " |"))
        print("|---|---:|" + String(repeating: "---:|", count: copies.count + (copies.count > 1 ? 1 : 0)))
        for (name, elements, body) in loops {
            let times = copies.map { copy in
                (0..<reps).map { _ in BenchCommand.seconds { body(copy.loops!) } }.min()!
            }
            let cells = times.map { String(format: "%.2f", $0 * 1e3) }
            let ratio = copies.count > 1 ? String(format: " | %.2fx", times[0] / times[times.count - 1]) : ""
            print("| \(name) | \(elements) | " + cells.joined(separator: " | ") + ratio + " |")
        }
    }

    /// A float buffer of `count` elements, element i set to `value(i)` (never freed: one run).
    static func buffer(_ count: Int, _ value: (Int) -> Float) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
        for i in 0..<count { p[i] = value(i) }
        return p
    }

    /// Every head of every 7-row block after a 5-row prefix, as the 500-class text tower runs
    /// them: forward, or with `dqkv` the backward.
    static func attention(_ l: any FloatLoops.Type, qkv: UnsafePointer<Float>, dqkv: UnsafeMutablePointer<Float>?,
                          out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                          scratch: UnsafeMutablePointer<Float>) {
        let ld = 3 * width, prefix = 5, block = 7
        for start in stride(from: prefix, through: rows - block, by: block) {
            for h in 0..<heads {
                let at = start * ld + h * headDim, p = probs + (start * heads + h * block) * (prefix + block)
                let a = AttentionRows<Float>(q: qkv + at, ldq: ld, k: qkv + at + width, ldk: ld,
                                             v: qkv + at + 2 * width, ldv: ld, kp: qkv + h * headDim + width, ldkp: ld,
                                             vp: qkv + h * headDim + 2 * width, ldvp: ld, tq: block, tk: block,
                                             tp: prefix, headDim: headDim, scale: 0.125, causalOffset: prefix)
                let o = out + start * width + h * headDim
                guard let d = dqkv else {
                    l.attentionRowsForward(a, out: o, ldo: width, probs: p)
                    continue
                }
                let g = AttentionRowGradients<Float>(dq: d + at, lddq: ld, dk: d + at + width, lddk: ld,
                                                     dv: d + at + 2 * width, lddv: ld, dkp: d + h * headDim + width,
                                                     lddkp: ld, dvp: d + h * headDim + 2 * width, lddvp: ld)
                l.attentionRowsBackward(a, g, dout: o, lddo: width, probs: p, scratch: scratch)
            }
        }
    }
}
