import Foundation

// Multi-head self-attention with its two products batched over every sequence and head:
// one oneDNN primitive for the scores Q K^T and one for P V, the softmax between them. Per-
// head OpenBLAS calls (197 x 197 x 64 for a ViT-B/16 image) run at a fraction of the rate of
// one batched call; at bfloat16, q|k|v and the probabilities are rounded once per layer and
// both products accumulate in float32. Without a mask the scores come out of their product
// already scaled (its alpha) and oneDNN's softmax takes them (written straight to bfloat16
// when no backward needs the probabilities); under the causal mask it is the kernels' masked
// softmax. The probabilities saved for a backward are float32.

/// The bfloat16 copies of q|k|v and of the probabilities, kept between calls.
private final class AttentionBuffers: @unchecked Sendable {
    static let shared = AttentionBuffers()
    let lock = NSLock()
    var qkv = GrowingBuffer(), probs = GrowingBuffer()
}

/// Whether ``batchedAttentionForward`` takes a layer of `batch` x `heads` heads of `t` x `t`
/// scores over `headDim` features (at float32, only where float32 products go to oneDNN).
func usesBatchedAttention(batch: Int, heads: Int, t: Int, headDim: Int, precision: MatmulPrecision) -> Bool {
    guard batch * heads * t * t * headDim >= GEMMRouting.oneDNNMinimumWork, !ParallelWorker.isCurrent else {
        return false
    }
    return precision == .bfloat16 || GEMMRouting.float32 == .oneDNN
}

/// ``multiHeadAttentionForward(out:probs:qkv:batch:t:width:heads:causal:precision:keepProbabilities:)``
/// for Float with both products in oneDNN at `precision`; without `keepProbabilities`, `probs`
/// is only working space. - Returns: false when oneDNN could not run a step (nothing useful
/// was written; the caller computes the layer per head).
func batchedAttentionForward(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                             qkv: UnsafePointer<Float>, batch: Int, t: Int, width: Int, heads: Int,
                             causal: Bool, precision: MatmulPrecision, keepProbabilities: Bool) -> Bool {
    let hd = width / heads, ld = 3 * width, bf16 = precision == .bfloat16
    let scale = 1 / Float(hd).squareRoot()
    let probsCount = batch * heads * t * t
    let perHead = MatmulBatch.Strides(outer: t * ld, inner: hd)
    let probsStrides = MatmulBatch.Strides(outer: heads * t * t, inner: t * t)
    let scores = MatmulKey(transA: false, transB: true, m: t, n: t, k: hd, lda: ld, ldb: ld, ldc: t,
                           alpha: causal ? 1 : scale, beta: 0, bfloat16: bf16, threads: BLASInfo.threads,
                           batch: MatmulBatch(outer: batch, inner: heads, a: perHead, b: perHead, c: probsStrides))
    let values = MatmulKey(transA: false, transB: false, m: t, n: hd, k: t, lda: t, ldb: ld, ldc: width,
                           alpha: 1, beta: 0, bfloat16: bf16, threads: BLASInfo.threads,
                           batch: MatmulBatch(outer: batch, inner: heads, a: probsStrides, b: perHead,
                                              c: MatmulBatch.Strides(outer: t * width, inner: hd)))
    let buffers = AttentionBuffers.shared
    buffers.lock.lock(); defer { buffers.lock.unlock() }
    // Operands as the products read them: float32 in place, or their bfloat16 copies.
    var q = UnsafeRawPointer(qkv), p = UnsafeRawPointer(probs), elementBytes = 4
    if bf16 {
        let q16 = buffers.qkv.reserve(batch * t * ld * 2).bindMemory(to: UInt16.self, capacity: batch * t * ld)
        convertToBFloat16InParallel(q16, from: qkv, rows: batch * t, columns: ld, sourceStride: ld)
        q = UnsafeRawPointer(q16)
        p = UnsafeRawPointer(buffers.probs.reserve(probsCount * 2))
        elementBytes = 2
    }
    guard Matmuls.shared.run(scores, a: q, b: q + width * elementBytes, c: probs) else { return false }
    let p16 = UnsafeMutableRawPointer(mutating: p)
    var needsRounding = bf16   // whether the probabilities still have to be rounded for P V
    if !causal {
        let straight = bf16 && !keepProbabilities   // no float32 probabilities wanted: bfloat16 out
        let key = SoftmaxKey(rows: batch * heads * t, cols: t, bfloat16Output: straight, threads: BLASInfo.threads)
        guard Matmuls.shared.softmax(key, src: probs, dst: straight ? p16 : UnsafeMutableRawPointer(probs)) else {
            return false
        }
        if straight { needsRounding = false }
    } else {
        parallelFor(batch * heads, grain: Swift.max(1, elementwiseGrain / Swift.max(1, t * t))) { items in
            for item in items {
                let head = probs + item * t * t
                softmaxForward(out: head, inp: head, rows: t, cols: t, scale: scale, mask: .causal(offset: 0))
            }
        }
    }
    if needsRounding {
        convertToBFloat16InParallel(p16.assumingMemoryBound(to: UInt16.self), from: probs, rows: batch * heads * t,
                                    columns: t, sourceStride: t)
    }
    return Matmuls.shared.run(values, a: p, b: q + 2 * width * elementBytes, c: out)
}
