import Foundation
import Imaging
import Testing
@testable import Datasets

/// Collects bad-image events from loader threads.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [BadImageEvent] = []
    func append(_ e: BadImageEvent) { lock.lock(); list.append(e); lock.unlock() }
    var events: [BadImageEvent] { lock.lock(); defer { lock.unlock() }; return list }
}

/// Every batch of a loader (nil-terminated), with errors recorded in place.
func drain(_ loader: BatchLoader) -> [Result<LoadedBatch, Error>] {
    var out: [Result<LoadedBatch, Error>] = []
    while true {
        do {
            guard let b = try loader.next() else { return out }
            out.append(.success(b))
        } catch {
            out.append(.failure(error))
            if out.count > 1000 { return out }
        }
    }
}

@Suite("ImageLoader and BatchLoader", .serialized)
struct BatchLoaderTests {
    static let size = 32

    func loader(_ data: TestDataset, mode: ImageTransform.Mode = .train) throws -> ImageLoader {
        ImageLoader(source: data.splits.imageSource,
                    transform: try ImageTransform(settings: TransformSettings(size: Self.size), mode: mode))
    }

    func options(workers: Int, prefetch: Int = 2, policy: BadImagePolicy = .stop,
                 registry: BadImageRegistry = BadImageRegistry(), log: EventLog? = nil) -> BatchLoader.Options {
        var handler: (@Sendable (BadImageEvent) -> Void)? = nil
        if let log { handler = { @Sendable event in log.append(event) } }
        return BatchLoader.Options(workers: workers, prefetch: prefetch, policy: policy, registry: registry,
                                   onBadImage: handler)
    }

    // MARK: - One image

    @Test func missingAndUndecodableImagesNameTheFile() throws {
        let data = try TestDataset(count: 3, withFixtures: false)
        let l = try loader(data)
        let missing = Datum(imagePath: data.root.appendingPathComponent("images/nope.jpg").path, label: 0,
                            classname: "x")
        #expect(throws: ImageLoadError.missingImage(path: missing.imagePath)) { try l.decode(missing) }
        try data.write("images/text.jpg", Array("not an image".utf8))
        let text = Datum(imagePath: data.root.appendingPathComponent("images/text.jpg").path, label: 0, classname: "x")
        do {
            _ = try l.decode(text)
            Issue.record("decoded a text file")
        } catch let e as ImageLoadError {
            #expect(e.path == text.imagePath && e.description.contains(text.imagePath), "\(e)")
        }
        let folder = Datum(imagePath: data.root.appendingPathComponent("images").path, label: 0, classname: "x")
        #expect(throws: ImageLoadError.self) { try l.decode(folder) }
    }

    // MARK: - Determinism

    @Test func outputDoesNotDependOnWorkersPrefetchOrRanks() throws {
        let data = try TestDataset(count: 13)
        let l = try loader(data)
        let sampler = try EpochSampler(count: data.splits.train.count, batchSize: 4, seed: 3)
        let plan = sampler.plan(epoch: 1)
        let requests = plan.batchRequests(rank: 0, worldSize: 1)
        var reference: [[Float]] = []
        for (workers, prefetch) in [(0, 1), (1, 1), (3, 2), (4, 5)] {
            let batches = try drain(BatchLoader(loader: l, items: data.splits.train, requests: requests,
                                                options: options(workers: workers, prefetch: prefetch)))
                .map { try $0.get() }
            #expect(batches.map(\.tag) == Array(0..<plan.steps))
            #expect(batches.map(\.sampleIndices) == (0..<plan.steps).map { Array(plan.globalBatch(step: $0)) })
            let pixels = batches.map(\.pixelArray)
            if reference.isEmpty {
                reference = pixels
            } else {
                #expect(pixels == reference, "workers \(workers), prefetch \(prefetch)")
            }
        }
        // Each slot is ImageLoader.load of that datum with its key.
        let first = try l.load(data.splits.train[plan.order[0]], key: plan.augmentationKey(sampleIndex: plan.order[0]))
        #expect(Array(reference[0][0..<first.count]) == first)
        // Ranks' shares, concatenated in rank order, give the global batch.
        for world in [2, 3] {
            var joined = [[Float]](repeating: [], count: plan.steps)
            for rank in 0..<world {
                let batches = try drain(BatchLoader(loader: l, items: data.splits.train,
                                                    requests: plan.batchRequests(rank: rank, worldSize: world),
                                                    options: options(workers: 2))).map { try $0.get() }
                for b in batches { joined[b.tag] += b.pixelArray }
            }
            #expect(joined == reference, "world size \(world)")
        }
    }

    @Test func labelsFollowTheItems() throws {
        let data = try TestDataset(count: 7, classes: 3, withFixtures: false)
        let items = data.splits.test
        let batches = try drain(BatchLoader(loader: loader(data, mode: .test), items: items,
                                            requests: [BatchRequest(tag: 0, evaluating: [3, 0, 2])],
                                            options: options(workers: 2))).map { try $0.get() }
        #expect(batches.count == 1 && batches[0].count == 3)
        #expect(batches[0].labels == [3, 0, 2].map { Int32(items[$0].label) })
        #expect(batches[0].keys.allSatisfy { $0 == nil })
    }

    // MARK: - Bad images

    @Test(arguments: [0, 2])
    func stopFailsTheBatchNamingTheFileAndLaterBatchesStillCome(workers: Int) throws {
        let data = try TestDataset(count: 10, withFixtures: false)
        try FileManager.default.removeItem(atPath: data.path(5))
        let requests = (0..<5).map { BatchRequest(tag: $0, items: [2 * $0, 2 * $0 + 1].map {
            BatchItem(sampleIndex: $0, key: AugmentationKey(seed: 1, epoch: 0, sampleIndex: $0)) }) }
        let results = try drain(BatchLoader(loader: loader(data), items: data.splits.train, requests: requests,
                                            options: options(workers: workers)))
        #expect(results.count == 5)
        for (i, r) in results.enumerated() {
            switch r {
            case .success(let b): #expect(i != 2 && b.tag == i)
            case .failure(let e):
                #expect(i == 2)
                #expect(e as? ImageLoadError == .missingImage(path: data.path(5)))
            }
        }
    }

    @Test(arguments: [0, 3])
    func skipSubstitutesTheNextGoodItemOfTheEpochOrder(workers: Int) throws {
        let data = try TestDataset(count: 12, withFixtures: false)
        let sampler = try EpochSampler(count: 12, batchSize: 3, seed: 8)
        let plan = sampler.plan(epoch: 0)
        // Break the items at positions 4 (missing) and 5 (truncated JPEG) of the epoch order:
        // position 4 must take the item at position 6.
        let missing = plan.order[4], corrupt = plan.order[5], substitute = plan.order[6]
        try FileManager.default.removeItem(atPath: data.path(missing))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: data.path(corrupt))))
        try Data(bytes.prefix(200)).write(to: URL(fileURLWithPath: data.path(corrupt)))
        let log = EventLog(), registry = BadImageRegistry()
        let l = try loader(data)
        var results: [LoadedBatch] = []
        for _ in 0..<2 { // twice, sharing the registry: each file is reported once
            results = try drain(BatchLoader(loader: l, items: data.splits.train,
                                            requests: plan.batchRequests(rank: 0, worldSize: 1),
                                            options: options(workers: workers, policy: .skip, registry: registry,
                                                             log: log)))
                .map { try $0.get() }
        }
        #expect(Set(log.events.map(\.path)) == [data.path(missing), data.path(corrupt)] && log.events.count == 2)
        #expect(registry.all.count == 2)
        let batch = results[1] // positions 3, 4, 5
        #expect(batch.count == 3)
        #expect(batch.sampleIndices == [plan.order[3], substitute, substitute])
        #expect(batch.labels == batch.sampleIndices.map { Int32(data.splits.train[$0].label) })
        #expect(batch.keys == [plan.order[3], missing, corrupt].map { plan.augmentationKey(sampleIndex: $0) })
        #expect(batch.skipped.map(\.substitute) == [substitute, substitute])
        #expect(batch.skipped.map(\.path) == [data.path(missing), data.path(corrupt)])
        // The substitute is loaded with the bad item's key.
        let expected = try l.load(data.splits.train[substitute], key: plan.augmentationKey(sampleIndex: missing))
        #expect(Array(batch.image(1)) == expected)
        // Rank shares agree with the global batch.
        var joined: [Int] = []
        for rank in 0..<2 {
            let b = try drain(BatchLoader(loader: l, items: data.splits.train,
                                          requests: [BatchRequest(tag: 1, items: plan.batchItems(step: 1, rank: rank,
                                                                                                 worldSize: 2))],
                                          options: options(workers: workers, policy: .skip,
                                                           registry: BadImageRegistry())))
            joined += try b[0].get().sampleIndices
        }
        #expect(joined == batch.sampleIndices)
    }

    @Test func skipDropsBadEvaluationImagesAndCompactsTheBatch() throws {
        let data = try TestDataset(count: 6, withFixtures: false)
        try FileManager.default.removeItem(atPath: data.path(1))
        let l = try loader(data, mode: .test)
        let batches = try drain(BatchLoader(loader: l, items: data.splits.train,
                                            requests: [BatchRequest(tag: 7, evaluating: [0, 1, 2, 3])],
                                            options: options(workers: 2, policy: .skip))).map { try $0.get() }
        let b = try #require(batches.first)
        #expect(b.tag == 7 && b.count == 3 && b.sampleIndices == [0, 2, 3])
        #expect(b.skipped == [.init(sampleIndex: 1, path: data.path(1),
                                    reason: ImageLoadError.missingImage(path: data.path(1)).description,
                                    substitute: nil)])
        for (slot, index) in [0, 2, 3].enumerated() {
            #expect(Array(b.image(slot)) == (try l.load(data.splits.train[index], key: nil)))
        }
    }

    @Test func skipWithNothingGoodLeftFails() throws {
        let data = try TestDataset(count: 3, withFixtures: false)
        for i in 0..<3 { try FileManager.default.removeItem(atPath: data.path(i)) }
        let plan = try EpochSampler(count: 3, batchSize: 1, seed: 1).plan(epoch: 0)
        let results = try drain(BatchLoader(loader: loader(data), items: data.splits.train,
                                            requests: plan.batchRequests(rank: 0, worldSize: 1, steps: 0..<1),
                                            options: options(workers: 1, policy: .skip)))
        guard case .failure(let e) = results.first else { Issue.record("expected a failure"); return }
        #expect(e as? ImageLoadError == .noUsableImage(path: data.path(plan.order[0]), tried: 2))
    }

    // MARK: - Bounds and shutdown

    @Test func readAheadIsBounded() throws {
        let data = try TestDataset(count: 4, withFixtures: false)
        let counter = EventLog() // reused as a thread-safe counter of pulled requests
        var tag = 0
        let loader = try BatchLoader(loader: loader(data, mode: .test), items: data.splits.train, nextRequest: {
            tag += 1
            counter.append(BadImageEvent(path: "", reason: "", sampleIndex: tag))
            return BatchRequest(tag: tag, evaluating: [tag % 4])
        }, options: options(workers: 3, prefetch: 2))
        /// Waits (up to 10 s) for `n` started batches, then a little longer to see no more start.
        func expectStarted(_ n: Int) {
            let deadline = Date().addingTimeInterval(10)
            while counter.events.count < n && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            Thread.sleep(forTimeInterval: 0.2)
            #expect(counter.events.count == n, "started \(counter.events.count) batches, expected \(n) (prefetch 2)")
        }
        expectStarted(2)
        _ = try loader.next()
        expectStarted(3)
        loader.shutdown()
        #expect(throws: ImageLoadError.loaderShutDown) { try loader.next() }
    }

    @Test func releasingALoaderStopsItsThreads() throws {
        let data = try TestDataset(count: 4, withFixtures: false)
        let requests = (0..<50).map { BatchRequest(tag: $0, evaluating: [$0 % 4]) }
        for _ in 0..<5 {
            let loader = try BatchLoader(loader: loader(data, mode: .test), items: data.splits.train,
                                         requests: requests, options: options(workers: 2))
            _ = try loader.next()
        } // each deinit joins its workers; a hang here fails the run by timeout
    }

    @Test func badSampleIndexIsRejectedUpFront() throws {
        let data = try TestDataset(count: 2, withFixtures: false)
        #expect(throws: DatasetError.self) {
            try BatchLoader(loader: loader(data), items: data.splits.train,
                            requests: [BatchRequest(tag: 0, evaluating: [2])])
        }
    }

    @Test func policyParses() throws {
        #expect(try BadImagePolicy(parsing: "Skip") == .skip)
        #expect(throws: DatasetError.self) { try BadImagePolicy(parsing: "ignore") }
    }
}
