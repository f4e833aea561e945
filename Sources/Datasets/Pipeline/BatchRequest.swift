// MARK: - Requests

/// Where a training item's substitute is looked for under `BadImagePolicy.skip`: the
/// items after `position` in the epoch's `order`, wrapping around.
public struct SubstituteOrder: Sendable {
    /// The epoch's permutation (shared storage: copying this is cheap).
    public let order: [Int]
    /// The item's own position in `order`.
    public let position: Int

    /// The order and position; `position` must index `order`.
    public init(order: [Int], position: Int) {
        precondition(order.indices.contains(position), "position \(position) outside the order (\(order.count) items)")
        self.order = order
        self.position = position
    }

    /// The candidates in search order: order[position + 1], ..., wrapping, never the item itself.
    public var candidates: LazyMapSequence<Range<Int>, Int> {
        let n = order.count, p = position, o = order
        return (1..<n).lazy.map { o[(p + $0) % n] }
    }
}

/// One image of a batch request.
public struct BatchItem: Sendable {
    /// Index of the datum in the loader's item list.
    public var sampleIndex: Int
    /// The augmentation key (nil for test transforms).
    public var key: AugmentationKey?
    /// Training: where to find a substitute for a bad image. Nil: a bad image is dropped.
    public var substitutes: SubstituteOrder?

    /// An item; see the properties.
    public init(sampleIndex: Int, key: AugmentationKey? = nil, substitutes: SubstituteOrder? = nil) {
        self.sampleIndex = sampleIndex
        self.key = key
        self.substitutes = substitutes
    }
}

/// The images of one batch, in slot order.
public struct BatchRequest: Sendable {
    /// The caller's number for this batch (e.g. the step), handed back in `LoadedBatch.tag`.
    public var tag: Int
    /// The images, in the order their tensors are laid out.
    public var items: [BatchItem]

    /// A request; see the properties.
    public init(tag: Int, items: [BatchItem]) {
        self.tag = tag
        self.items = items
    }

    /// An evaluation batch: `indices` without keys; bad images are dropped under skip.
    public init(tag: Int, evaluating indices: some Sequence<Int>) {
        self.init(tag: tag, items: indices.map { BatchItem(sampleIndex: $0) })
    }
}

// MARK: - From the sampler

extension EpochPlan {
    /// Rank `rank`'s share of global batch `step` as loader items: each with its
    /// augmentation key (seed, epoch, sample index) and its substitute order.
    public func batchItems(step: Int, rank: Int, worldSize: Int) -> [BatchItem] {
        let batch = globalBatch(step: step)
        let r = EpochSampler.shareRange(batch.count, rank: rank, worldSize: worldSize)
        return r.map { offset in
            let position = batch.startIndex + offset
            let index = order[position]
            return BatchItem(sampleIndex: index, key: augmentationKey(sampleIndex: index),
                             substitutes: SubstituteOrder(order: order, position: position))
        }
    }

    /// The images of the global batches of `steps`, in order, that fall to rank `rank`
    /// when image j of them goes to rank j mod `worldSize`: each rank loads (and encodes)
    /// its own images of a window of steps, and the ranks exchange the features.
    public func windowItems(steps: Range<Int>, rank: Int, worldSize: Int) -> [BatchItem] {
        let first = steps.lowerBound * sampler.batchSize
        let last = min(steps.upperBound * sampler.batchSize, order.count)
        return stride(from: first + rank, to: last, by: worldSize).map { position in
            let index = order[position]
            return BatchItem(sampleIndex: index, key: augmentationKey(sampleIndex: index),
                             substitutes: SubstituteOrder(order: order, position: position))
        }
    }

    /// Requests for every step of the epoch (or `steps`), rank `rank`'s share each,
    /// tagged with the step.
    public func batchRequests(rank: Int, worldSize: Int, steps: Range<Int>? = nil) -> [BatchRequest] {
        (steps ?? 0..<self.steps).map {
            BatchRequest(tag: $0, items: batchItems(step: $0, rank: rank, worldSize: worldSize))
        }
    }
}

// MARK: - LoadedBatch

/// A batch of tensors ready for the model: `count` images of `imageCount` floats each
/// (`[count, 3, height, width]`, row-major), with their labels.
public final class LoadedBatch: @unchecked Sendable {
    /// The request's tag.
    public let tag: Int
    /// Number of images delivered (the request's size, less dropped evaluation images).
    public let count: Int
    /// Floats per image (3 x height x width).
    public let imageCount: Int
    /// Label of each image (of the substitute where one was taken).
    public let labels: [Int32]
    /// The datum index each slot holds (a substitute's index where one was taken).
    public let sampleIndices: [Int]
    /// The augmentation key each slot was loaded with.
    public let keys: [AugmentationKey?]
    /// What happened to bad images of this batch, in slot order.
    public let skipped: [SkippedImage]
    private let storage: UnsafeMutableBufferPointer<Float>

    /// A bad image met while loading this batch.
    public struct SkippedImage: Sendable, Equatable {
        /// The requested item whose image was bad.
        public let sampleIndex: Int
        /// The image's path (or pack entry).
        public let path: String
        /// Why it could not be loaded.
        public let reason: String
        /// The item loaded in its place (nil: dropped).
        public let substitute: Int?
    }

    init(tag: Int, count: Int, imageCount: Int, labels: [Int32], sampleIndices: [Int], keys: [AugmentationKey?],
         skipped: [SkippedImage], storage: UnsafeMutableBufferPointer<Float>) {
        self.tag = tag
        self.count = count
        self.imageCount = imageCount
        self.labels = labels
        self.sampleIndices = sampleIndices
        self.keys = keys
        self.skipped = skipped
        self.storage = storage
    }

    deinit { storage.deallocate() }

    /// All `count * imageCount` floats (valid while the batch is alive).
    public var pixels: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: storage[0..<(count * imageCount)])
    }

    /// The floats of slot `i` (valid while the batch is alive).
    public func image(_ i: Int) -> UnsafeBufferPointer<Float> {
        precondition((0..<count).contains(i), "slot \(i) outside 0..<\(count)")
        return UnsafeBufferPointer(rebasing: storage[(i * imageCount)..<((i + 1) * imageCount)])
    }

    /// A copy of every float.
    public var pixelArray: [Float] { Array(pixels) }
}
