/// The training-set order of one run: one permutation per (seed, epoch), cut into global
/// batches with Dassl's drop_last rule, each global batch split across ranks.
///
/// Nothing depends on the number of ranks except which slice of a global batch a rank
/// takes: concatenating the ranks' shares in rank order gives the global batch, so the
/// stream of (sample index, augmentation key) is the same for any world size, and a
/// resumed run needs only (epoch, step).
public struct EpochSampler: Sendable, Equatable {
    /// Number of training items.
    public let count: Int
    /// DATALOADER.TRAIN_X.BATCH_SIZE: the GLOBAL batch size.
    public let batchSize: Int
    /// The run's seed (keys the permutation).
    public let seed: UInt64
    /// Whether the last, short batch of an epoch is dropped: Dassl's
    /// `drop_last = is_train and len(data_source) >= batch_size`.
    public let dropLast: Bool

    /// A sampler for `count` training items.
    /// - Parameter dropLast: nil applies Dassl's training rule (`count >= batchSize`).
    /// - Throws: `DatasetError.invalidOption` when `batchSize < 1` or `count < 1`.
    public init(count: Int, batchSize: Int, seed: UInt64, dropLast: Bool? = nil) throws {
        guard batchSize >= 1 else {
            throw DatasetError.invalidOption(name: "DATALOADER.TRAIN_X.BATCH_SIZE", value: "\(batchSize)",
                                             reason: "must be >= 1")
        }
        guard count >= 1 else {
            throw DatasetError.invalidOption(name: "training set size", value: "\(count)", reason: "no training items")
        }
        self.count = count
        self.batchSize = batchSize
        self.seed = seed
        self.dropLast = dropLast ?? (count >= batchSize)
    }

    /// Batches per epoch: floor(count / B) with drop_last, else ceil(count / B)
    /// (`len(DataLoader)`).
    public var stepsPerEpoch: Int {
        dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// The permutation of 0..<count for `epoch`: Fisher-Yates from the end, position i
    /// swapped with a uniform j in 0...i drawn from the (seed, permutation, epoch, i) stream.
    public func permutation(epoch: Int) -> [Int] {
        var p = Array(0..<count)
        p.withUnsafeMutableBufferPointer { buf in
            var i = count - 1
            while i >= 1 {
                var s = CounterStream(seed: seed, purpose: .permutation, epoch: epoch, index: i)
                buf.swapAt(i, s.nextInt(below: i + 1))
                i -= 1
            }
        }
        return p
    }

    /// The epoch's order, ready to be cut into batches (compute once per epoch).
    public func plan(epoch: Int) -> EpochPlan {
        EpochPlan(sampler: self, epoch: epoch, order: permutation(epoch: epoch))
    }

    /// Sizes of `total` items split over `parts` as evenly as possible, the remainder going
    /// to the first parts (6 over 4: 2, 2, 1, 1).
    public static func evenSplit(_ total: Int, parts: Int) -> [Int] {
        precondition(parts >= 1 && total >= 0)
        return (0..<parts).map { total / parts + ($0 < total % parts ? 1 : 0) }
    }

    /// The half-open range of part `rank` of `total` items split by `evenSplit`
    /// (also for sharding an evaluation set over ranks).
    public static func shareRange(_ total: Int, rank: Int, worldSize: Int) -> Range<Int> {
        precondition(worldSize >= 1 && (0..<worldSize).contains(rank), "rank \(rank) outside 0..<\(worldSize)")
        let base = total / worldSize, extra = total % worldSize
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }
}

/// One epoch of an `EpochSampler`: its permutation, cut into global batches.
public struct EpochPlan: Sendable {
    /// The sampler this plan belongs to.
    public let sampler: EpochSampler
    /// The epoch (0-based).
    public let epoch: Int
    /// The epoch's permutation of the training indices.
    public let order: [Int]

    /// Number of steps (global batches) in the epoch.
    public var steps: Int { sampler.stepsPerEpoch }

    /// The training indices of global batch `step` (B of them, or the short last batch
    /// when drop_last is off).
    public func globalBatch(step: Int) -> ArraySlice<Int> {
        precondition((0..<steps).contains(step), "step \(step) outside 0..<\(steps)")
        let start = step * sampler.batchSize
        return order[start..<min(start + sampler.batchSize, order.count)]
    }

    /// Rank `rank`'s share of global batch `step` out of `worldSize` ranks (possibly empty
    /// when the batch is smaller than the world; the gradient is still divided by the
    /// global batch size).
    public func share(step: Int, rank: Int, worldSize: Int) -> ArraySlice<Int> {
        let batch = globalBatch(step: step)
        let r = EpochSampler.shareRange(batch.count, rank: rank, worldSize: worldSize)
        return batch[(batch.startIndex + r.lowerBound)..<(batch.startIndex + r.upperBound)]
    }

    /// The augmentation key of training item `sampleIndex` in this epoch.
    public func augmentationKey(sampleIndex: Int) -> AugmentationKey {
        AugmentationKey(seed: sampler.seed, epoch: epoch, sampleIndex: sampleIndex)
    }
}

extension EpochSampler {
    /// `(epoch, step, rank, worldSize) -> [sample index]` in one call (computes the
    /// epoch's permutation; use `plan(epoch:)` to cut many steps of one epoch).
    public func indices(epoch: Int, step: Int, rank: Int, worldSize: Int) -> [Int] {
        Array(plan(epoch: epoch).share(step: step, rank: rank, worldSize: worldSize))
    }
}
