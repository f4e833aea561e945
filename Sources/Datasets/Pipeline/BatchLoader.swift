import Foundation

// MARK: - BatchLoader

/// Loads batches of tensors on background threads, ahead of the consumer, in request order.
///
/// Requests are taken from a list (or a generator) one batch at a time; at most
/// `prefetch` batches are held between being started and being returned by `next()`, so
/// memory stays bounded (prefetch x batch x 3 x H x W floats). The images of the started
/// batches are loaded by `workers` threads, one image per task, so a large evaluation
/// batch and a stream of batch-size-1 training steps both keep every worker busy.
///
/// Every image's tensor is a pure function of its datum, its key and the files, so the
/// output is the same for any worker count. Errors come back from `next()` for the batch
/// they belong to (the lowest slot's error first); earlier batches are delivered intact.
/// `shutdown()` (or releasing the loader) stops the threads after their current image.
/// One consumer thread calls `next()`; typically one loader per epoch (or a generator
/// spanning epochs) with a `BadImageRegistry` shared across them.
public final class BatchLoader: @unchecked Sendable {
    /// Threads, read-ahead and the bad-image policy.
    public struct Options: Sendable {
        /// Loader threads (0: load in the thread calling `next()`, no read-ahead).
        public var workers: Int
        /// Batches loaded ahead of the consumer (at least 1).
        public var prefetch: Int
        /// What a missing or undecodable image does.
        public var policy: BadImagePolicy
        /// Known bad images (share one across epochs to report each file once).
        public var registry: BadImageRegistry
        /// Called once per newly found bad image under `.skip`, from a loader thread.
        public var onBadImage: (@Sendable (BadImageEvent) -> Void)?

        /// Options; see the properties. Defaults: 2 workers, 2 batches ahead, stop.
        public init(workers: Int = 2, prefetch: Int = 2, policy: BadImagePolicy = .stop,
                    registry: BadImageRegistry = BadImageRegistry(),
                    onBadImage: (@Sendable (BadImageEvent) -> Void)? = nil) {
            self.workers = workers
            self.prefetch = prefetch
            self.policy = policy
            self.registry = registry
            self.onBadImage = onBadImage
        }
    }

    private let state: LoaderState

    /// A loader for `requests`, in that order.
    /// - Parameters:
    ///   - loader: reads and transforms one datum.
    ///   - items: the data the requests' sample indices refer to.
    /// - Throws: `DatasetError.invalidOption` for a sample index outside `items` or bad options.
    public convenience init(loader: ImageLoader, items: [Datum], requests: [BatchRequest],
                            options: Options = Options()) throws {
        for r in requests {
            if let bad = r.items.first(where: { !items.indices.contains($0.sampleIndex) }) {
                throw DatasetError.invalidOption(name: "batch \(r.tag) sample index", value: "\(bad.sampleIndex)",
                                                 reason: "outside 0..<\(items.count)")
            }
        }
        var iterator = requests.makeIterator()
        try self.init(loader: loader, items: items, nextRequest: { iterator.next() }, options: options)
    }

    /// A loader pulling requests from `nextRequest` (called on loader threads, one call
    /// at a time, until it returns nil). Sample indices must lie inside `items`.
    public init(loader: ImageLoader, items: [Datum], nextRequest: @escaping () -> BatchRequest?,
                options: Options = Options()) throws {
        guard options.workers >= 0 else {
            throw DatasetError.invalidOption(name: "DATALOADER.NUM_WORKERS", value: "\(options.workers)",
                                             reason: "must be >= 0")
        }
        guard options.prefetch >= 1 else {
            throw DatasetError.invalidOption(name: "prefetch", value: "\(options.prefetch)", reason: "must be >= 1")
        }
        let slots = SlotLoader(loader: loader, items: items, policy: options.policy, registry: options.registry,
                               onBadImage: options.onBadImage)
        state = LoaderState(slots: slots, nextRequest: nextRequest, prefetch: options.prefetch,
                            workers: options.workers)
        state.start()
    }

    deinit { state.stop() }

    /// The next batch in request order, waiting for it if needed; nil after the last.
    /// - Throws: the batch's first `ImageLoadError` (naming the file) or `TransformError`;
    ///   `ImageLoadError.loaderShutDown` after `shutdown()`.
    public func next() throws -> LoadedBatch? {
        try state.next()
    }

    /// Stops the loader threads (each finishes the image it is on) and waits for them.
    public func shutdown() {
        state.stop()
    }
}

// MARK: - One slot

/// Loads one slot of a batch, applying the bad-image policy.
struct SlotLoader: @unchecked Sendable {
    let loader: ImageLoader
    let items: [Datum]
    let policy: BadImagePolicy
    let registry: BadImageRegistry
    let onBadImage: (@Sendable (BadImageEvent) -> Void)?

    /// What became of one slot.
    enum Outcome {
        case loaded(sampleIndex: Int, skipped: LoadedBatch.SkippedImage?)
        case dropped(LoadedBatch.SkippedImage)
        case failed(Error)
    }

    /// Loads `item` into `destination` (`loader.imageCount` floats).
    func load(_ item: BatchItem, into destination: UnsafeMutablePointer<Float>) -> Outcome {
        do {
            guard let bad = try attempt(item.sampleIndex, key: item.key, into: destination) else {
                return .loaded(sampleIndex: item.sampleIndex, skipped: nil)
            }
            guard let order = item.substitutes else {
                return .dropped(.init(sampleIndex: item.sampleIndex, path: bad.path, reason: bad.reason,
                                      substitute: nil))
            }
            var tried = 0
            for candidate in order.candidates {
                tried += 1
                if try attempt(candidate, key: item.key, into: destination) == nil {
                    return .loaded(sampleIndex: candidate,
                                   skipped: .init(sampleIndex: item.sampleIndex, path: bad.path, reason: bad.reason,
                                                  substitute: candidate))
                }
            }
            return .failed(ImageLoadError.noUsableImage(path: bad.path, tried: tried))
        } catch {
            return .failed(error)
        }
    }

    /// Loads item `index`; returns nil on success, the bad image under `.skip`, and
    /// throws under `.stop` (or for errors that are not about the image).
    private func attempt(_ index: Int, key: AugmentationKey?, into destination: UnsafeMutablePointer<Float>) throws
        -> (path: String, reason: String)? {
        let datum = items[index]
        if policy == .skip {
            let name = loader.source.displayName(for: datum)
            if let reason = registry.reason(for: name) { return (name, reason) }
        }
        do {
            try loader.load(datum, key: key, into: destination)
            return nil
        } catch let error as ImageLoadError where error.isBadImage && policy == .skip {
            let name = loader.source.displayName(for: datum)
            if registry.record(name, reason: error.description) {
                onBadImage?(BadImageEvent(path: name, reason: error.description, sampleIndex: index))
            }
            return (name, error.description)
        }
    }
}

// MARK: - A batch being loaded

/// A started batch: its tensor storage and the outcome of each slot.
final class PendingBatch {
    let request: BatchRequest
    let imageCount: Int
    let storage: UnsafeMutableBufferPointer<Float>
    var outcomes: [SlotLoader.Outcome?]
    var remaining: Int
    private var handedOver = false

    init(request: BatchRequest, imageCount: Int) {
        self.request = request
        self.imageCount = imageCount
        storage = .allocate(capacity: max(1, request.items.count * imageCount))
        outcomes = Array(repeating: nil, count: request.items.count)
        remaining = request.items.count
    }

    deinit { if !handedOver { storage.deallocate() } }

    /// Where slot `i`'s floats go.
    func destination(_ i: Int) -> UnsafeMutablePointer<Float> { storage.baseAddress! + i * imageCount }

    /// The finished batch (dropped slots compacted away), or the first slot's error.
    func finish(items: [Datum]) throws -> LoadedBatch {
        var labels: [Int32] = [], indices: [Int] = [], keys: [AugmentationKey?] = []
        var skipped: [LoadedBatch.SkippedImage] = []
        var next = 0
        for (slot, outcome) in outcomes.enumerated() {
            switch outcome! {
            case .failed(let error):
                throw error
            case .dropped(let s):
                skipped.append(s)
            case let .loaded(index, s):
                if let s { skipped.append(s) }
                if next != slot {
                    destination(next).update(from: destination(slot), count: imageCount)
                }
                labels.append(Int32(items[index].label))
                indices.append(index)
                keys.append(request.items[slot].key)
                next += 1
            }
        }
        handedOver = true
        return LoadedBatch(tag: request.tag, count: next, imageCount: imageCount, labels: labels,
                           sampleIndices: indices, keys: keys, skipped: skipped, storage: storage)
    }
}

// MARK: - Shared state

/// The loader's queue, guarded by one condition variable; worker threads hold this, not
/// the `BatchLoader`, so releasing the loader stops them.
final class LoaderState: @unchecked Sendable {
    private let slots: SlotLoader
    private let nextRequest: () -> BatchRequest?
    private let prefetch: Int
    private let workerCount: Int
    private let condition = NSCondition()
    /// Started batches, oldest first (at most `prefetch`).
    private var started: [PendingBatch] = []
    /// Slots waiting for a worker, oldest first; `taskHead` is the next to take.
    private var tasks: [(batch: PendingBatch, slot: Int)] = []
    private var taskHead = 0
    private var exhausted = false
    private var stopped = false
    private var liveWorkers = 0

    init(slots: SlotLoader, nextRequest: @escaping () -> BatchRequest?, prefetch: Int, workers: Int) {
        self.slots = slots
        self.nextRequest = nextRequest
        self.prefetch = prefetch
        self.workerCount = workers
    }

    func start() {
        condition.lock()
        liveWorkers = workerCount
        condition.unlock()
        for i in 0..<workerCount {
            let thread = Thread { [self] in work() }
            thread.name = "cocoop-loader-\(i)"
            thread.start()
        }
    }

    /// Stops the workers and waits until every one has left.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while liveWorkers > 0 { condition.wait() }
        started.removeAll()
        tasks.removeAll()
        taskHead = 0
        condition.unlock()
    }

    /// Starts the next request as a batch (caller holds the lock); false when there is none.
    private func startBatch() -> Bool {
        guard !exhausted, let request = nextRequest() else {
            exhausted = true
            return false
        }
        let batch = PendingBatch(request: request, imageCount: slots.loader.imageCount)
        started.append(batch)
        for slot in request.items.indices { tasks.append((batch, slot)) }
        return true
    }

    /// A worker thread's loop: take a slot, load it outside the lock, record the outcome.
    private func work() {
        condition.lock()
        defer {
            liveWorkers -= 1
            condition.broadcast()
            condition.unlock()
        }
        while !stopped {
            if taskHead < tasks.count {
                let (batch, slot) = tasks[taskHead]
                taskHead += 1
                if taskHead > 64 && taskHead * 2 > tasks.count {
                    tasks.removeFirst(taskHead)
                    taskHead = 0
                }
                condition.unlock()
                let outcome = slots.load(batch.request.items[slot], into: batch.destination(slot))
                condition.lock()
                batch.outcomes[slot] = outcome
                batch.remaining -= 1
                if batch.remaining == 0 { condition.broadcast() }
            } else if !exhausted && started.count < prefetch {
                if startBatch() || exhausted { condition.broadcast() }
            } else {
                condition.wait()
            }
        }
    }

    /// The oldest batch once complete; nil after the last.
    func next() throws -> LoadedBatch? {
        if workerCount == 0 { return try nextInline() }
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopped { throw ImageLoadError.loaderShutDown }
            if let first = started.first, first.remaining == 0 {
                started.removeFirst()
                condition.broadcast()
                return try first.finish(items: slots.items)
            }
            if started.isEmpty && exhausted { return nil }
            condition.wait()
        }
    }

    /// Without workers: load the next request in the calling thread.
    private func nextInline() throws -> LoadedBatch? {
        condition.lock()
        defer { condition.unlock() }
        if stopped { throw ImageLoadError.loaderShutDown }
        guard startBatch() else { return nil }
        let batch = started.removeFirst()
        tasks.removeAll()
        for slot in batch.request.items.indices {
            batch.outcomes[slot] = slots.load(batch.request.items[slot], into: batch.destination(slot))
            batch.remaining -= 1
        }
        return try batch.finish(items: slots.items)
    }
}
