import Datasets
import Distributed
import Dispatch
import Foundation
import Support
import Tensor

/// The image features of a split step's images, computed once each and shared: steps are
/// grouped in windows of `window` steps (aligned to the epoch's step numbers), image j of a
/// window is loaded and encoded by rank j mod N, and one all-gather per window gives every
/// rank every feature and label. The frozen image tower's output depends only on the image
/// and its augmentation (seed, epoch, index), so which rank encodes it does not matter;
/// a window is always encoded whole (also when a resumed run starts inside it), so the
/// features are bitwise those of an uninterrupted run. Memory: one window, `window` x B x E
/// floats. Collective.
final class FeatureFeed {
    /// Steps per window: the fewest with at least one image per rank.
    let window: Int
    private let comm: Communicator
    private let plan: EpochPlan
    private let embedDim: Int
    private let produce: (_ window: Int, _ count: Int) throws -> (features: Tensor, labels: [Int32])
    private var current: (index: Int, features: Tensor, labels: [Int32])?
    /// Seconds spent loading and encoding this rank's images, and in the exchange, so far.
    private(set) var encodeSeconds = 0.0, exchangeSeconds = 0.0

    /// Steps per window for a global batch of `batch` images on `ranks` ranks.
    static func window(batch: Int, ranks: Int) -> Int { max(1, (ranks + batch - 1) / max(batch, 1)) }

    /// The windows of `steps` (whole windows, from the one holding `steps.lowerBound`).
    static func windows(_ steps: Range<Int>, window: Int) -> Range<Int> {
        (steps.lowerBound / window)..<((steps.upperBound + window - 1) / window)
    }

    /// Loader requests for this rank's images of every window of `steps`, tagged with the window.
    static func requests(plan: EpochPlan, steps: Range<Int>, window: Int, rank: Int, worldSize: Int)
        -> [BatchRequest] {
        windows(steps, window: window).map { k in
            BatchRequest(tag: k, items: plan.windowItems(steps: (k * window)..<min((k + 1) * window, plan.steps),
                                                         rank: rank, worldSize: worldSize))
        }
    }

    /// A feed over `plan`; `produce(k, n)` returns the features [n, embedDim] and labels of
    /// this rank's n images of window k, windows in order.
    init(comm: Communicator, plan: EpochPlan, window: Int, embedDim: Int,
         produce: @escaping (_ window: Int, _ count: Int) throws -> (features: Tensor, labels: [Int32])) {
        self.comm = comm; self.plan = plan; self.window = window; self.embedDim = embedDim
        self.produce = produce
    }

    /// A feed whose images come from `batches` (made with `requests`), encoded by `encode`.
    convenience init(comm: Communicator, plan: EpochPlan, window: Int, embedDim: Int, batches: BatchLoader,
                     encode: @escaping (LoadedBatch) -> Tensor) {
        self.init(comm: comm, plan: plan, window: window, embedDim: embedDim) { k, count in
            guard let batch = try batches.next(), batch.tag == k else {
                throw InternalError("the batch loader lost the images of window \(k)")
            }
            guard batch.count == count else {
                throw InternalError("window \(k): \(batch.count) images loaded, \(count) requested")
            }
            return (count > 0 ? encode(batch) : Tensor(zeros: [0, embedDim]), batch.labels)
        }
    }

    /// The features [B, E] and labels of step `step`'s global batch, in batch order.
    func features(step: Int) throws -> (features: Tensor, labels: [Int32]) {
        let k = step / window
        if current?.index != k { current = try exchange(window: k) }
        guard let current else { throw InternalError("no features for window \(k)") }
        let first = step * plan.sampler.batchSize - k * window * plan.sampler.batchSize
        let count = plan.globalBatch(step: step).count
        return (current.features.rows(first..<(first + count)), Array(current.labels[first..<(first + count)]))
    }

    /// Loads and encodes this rank's images of window `k` and exchanges them: per rank one
    /// slot of [failed flag] then per image [label, E features]. A rank that failed to load
    /// its images still joins, so every rank fails here together with its message.
    private func exchange(window k: Int) throws -> (index: Int, features: Tensor, labels: [Int32]) {
        let steps = (k * window)..<min((k + 1) * window, plan.steps)
        let total = steps.reduce(0) { $0 + plan.globalBatch(step: $1).count }
        let n = comm.size, e = embedDim, slots = (total + n - 1) / n, stride = 1 + e
        var send = [Float](repeating: 0, count: 1 + slots * stride)
        var failure: Error?
        let t0 = DispatchTime.now().uptimeNanoseconds
        do {
            let mine = (total - comm.rank + n - 1) / n
            let (f, labels) = try produce(k, mine)
            for i in 0..<mine {
                send[1 + i * stride] = Float(labels[i])
                for j in 0..<e { send[2 + i * stride + j] = f.data[i * e + j] }
            }
        } catch {
            failure = error
            send[0] = 1
        }
        let t1 = DispatchTime.now().uptimeNanoseconds
        var all = [Float](repeating: 0, count: send.count * n)
        try send.withUnsafeBufferPointer { s in
            try all.withUnsafeMutableBufferPointer { a in
                try comm.allGather(s.baseAddress!, count: s.count, into: a.baseAddress!)
            }
        }
        encodeSeconds += Double(t1 - t0) / 1e9
        exchangeSeconds += Double(DispatchTime.now().uptimeNanoseconds - t1) / 1e9
        if (0..<n).contains(where: { all[$0 * send.count] != 0 }) { try comm.failTogether(failure) }
        let features = Tensor(zeros: [total, e])
        var labels = [Int32](repeating: 0, count: total)
        for j in 0..<total {   // image j: rank j mod n, slot j / n
            let at = (j % n) * send.count + 1 + (j / n) * stride
            labels[j] = Int32(all[at])
            for c in 0..<e { features.data[j * e + c] = all[at + 1 + c] }
        }
        return (k, features, labels)
    }
}
