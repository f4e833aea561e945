import Foundation
import Tensor

extension ResNetEncoder {
    /// The attention pool of OpenAI's ModifiedResNet on the last map `x` (NHWC, side x side,
    /// C channels): tokens = [mean of the cells, the cells] + positional embedding; keys and
    /// values of every token, the query of the mean token alone (the only output row that
    /// `AttentionPool2d` returns); per head, softmax(q k^T / sqrt(C / heads)) v; then c_proj.
    /// - Parameters: out (B, E).
    func attentionPool(_ x: UnsafeMutablePointer<Float>, side: Int, workspace w: ResNetWorkspace,
                       out: UnsafeMutablePointer<Float>) {
        let pool = weights.attentionPool, b = w.batch, c = pool.query.inFeatures
        let cells = side * side, t = cells + 1, heads = pool.heads, hd = c / heads
        let tokens = w.tokens.data, kv = w.keyValue.data, q = w.query.data, att = w.attention.data
        let pos = pool.positionalEmbedding.data
        parallelFor(b, grain: 1) { images in
            for i in images {
                let map = x + i * cells * c, seq = tokens + i * t * c
                seq.update(repeating: 0, count: c)
                for p in 0..<cells { axpy(c, x: map + p * c, y: seq) }
                for j in 0..<c { seq[j] = seq[j] / Float(cells) + pos[j] }
                residualForward(out: seq + c, a: map, b: pos + c, n: cells * c)
            }
        }
        linearForward(out: kv, inp: tokens, weight: pool.keyValue.matrix, bias: pool.keyValue.bias!.data,
                      n: b * t, inFeatures: c, outFeatures: 2 * c)
        // The mean tokens are rows 0, t, 2t, ... of `tokens`: one GEMM with a row stride of t C.
        for i in 0..<b { (q + i * c).update(from: pool.query.bias!.data, count: c) }
        gemm(.none, .transpose, m: b, n: c, k: c, a: tokens, lda: t * c, b: pool.query.weight.data, ldb: c,
             beta: 1, c: q, ldc: c)
        let scale = 1 / Float(hd).squareRoot()
        var shared = [Float](repeating: 0, count: t)
        shared.withUnsafeMutableBufferPointer { sharedScores in
            parallelFor(b * heads, grain: 16, singleThreadedBLAS: true) { range in
                let scores = rangeScratch(range, shared: sharedScores.baseAddress!, count: t)
                defer { releaseScratch(scores, shared: sharedScores.baseAddress!) }
                for item in range {
                    let i = item / heads, h = item % heads
                    let keys = kv + i * t * 2 * c + h * hd
                    gemm(.none, .transpose, m: 1, n: t, k: hd, a: q + i * c + h * hd, lda: hd, b: keys, ldb: 2 * c,
                         c: scores, ldc: t)
                    softmaxForward(out: scores, inp: scores, rows: 1, cols: t, scale: scale)
                    gemm(.none, .none, m: 1, n: hd, k: t, a: scores, lda: t, b: keys + c, ldb: 2 * c,
                         c: att + i * c + h * hd, ldc: hd)
                }
            }
        }
        linearForward(out: out, inp: att, weight: pool.output.matrix, bias: pool.output.bias!.data,
                      n: b, inFeatures: c, outFeatures: embedDim)
    }
}
