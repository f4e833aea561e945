import CLIP
import Foundation
import Tensor

/// Image-tower features of evaluation images, kept for the life of the process. The image
/// tower is frozen and the evaluation transform has no randomness, so an image's features
/// never change: TEST.FINAL_MODEL best_val's validation after every epoch, and a sweep's
/// trials that score the same split (every seed, every trainer), encode each image once.
/// Batches are reused whole (a batch with any image missing from the cache is encoded
/// again, in the same composition), so cached and fresh evaluations give the same bits.
/// Bound to one CLIP model: used with another, it empties itself first. It stops adding
/// entries at `limitBytes` (RUNTIME.FEATURE_CACHE_MB).
public final class ImageFeatureCache {
    public let limitBytes: Int
    private var model: CLIPModel?
    private var entries: [String: [Float]] = [:]
    private var bytes = 0
    /// Images served from the cache, and images encoded, since the last `resetCounts()`.
    public private(set) var hits = 0, misses = 0

    public init(limitBytes: Int) {
        self.limitBytes = limitBytes
    }

    /// Images cached.
    public var count: Int { entries.count }

    /// Uses the cache with `model`; a different model than before empties it.
    func bind(_ model: CLIPModel) {
        if self.model !== model {
            entries.removeAll()
            bytes = 0
            self.model = model
        }
    }

    /// Whether every key is cached.
    func contains(_ keys: [String]) -> Bool {
        !keys.isEmpty && keys.allSatisfy { entries[$0] != nil }
    }

    /// The features of `keys` as one [n, width] tensor when every key is cached, else nil.
    func features(_ keys: [String]) -> Tensor? {
        guard let first = keys.first.flatMap({ entries[$0] }) else { return nil }
        let width = first.count
        let out = Tensor(zeros: [keys.count, width])
        for (i, key) in keys.enumerated() {
            guard let row = entries[key], row.count == width else { return nil }
            (out.data + i * width).update(from: row, count: width)
        }
        hits += keys.count
        return out
    }

    /// Records freshly encoded `features` ([n, width]) of `keys`, while under the limit.
    func store(_ keys: [String], features: Tensor) {
        misses += keys.count
        let width = features.shape.last ?? 0
        for (i, key) in keys.enumerated() where entries[key] == nil {
            let size = width * MemoryLayout<Float>.size + key.utf8.count + 64
            guard bytes + size <= limitBytes else { return }
            entries[key] = Array(UnsafeBufferPointer(start: features.data + i * width, count: width))
            bytes += size
        }
    }

    func resetCounts() { hits = 0; misses = 0 }
}
