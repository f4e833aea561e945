import Foundation
import Testing
@testable import Datasets

@Suite("Counter-based randomness and the epoch sampler")
struct SamplerTests {
    @Test func philoxKnownAnswers() {
        // Random123's kat_vectors for philox4x32 with 10 rounds.
        let zero = Philox4x32.block((0, 0, 0, 0), key: (0, 0))
        #expect([zero.0, zero.1, zero.2, zero.3] == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8])
        let ones = Philox4x32.block((.max, .max, .max, .max), key: (.max, .max))
        #expect([ones.0, ones.1, ones.2, ones.3] == [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD])
        let pi = Philox4x32.block((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), key: (0xA4093822, 0x299F31D0))
        #expect([pi.0, pi.1, pi.2, pi.3] == [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1])
    }

    @Test func streamsAreStatelessAndDistinct() {
        var a = CounterStream(seed: 7, purpose: .augmentation, epoch: 3, index: 11)
        var b = CounterStream(seed: 7, purpose: .augmentation, epoch: 3, index: 11)
        let xs = (0..<5).map { _ in a.nextDouble() }
        #expect(xs == (0..<5).map { _ in b.nextDouble() })
        var c = CounterStream(seed: 7, purpose: .augmentation, epoch: 3, index: 11, startDraw: 2)
        #expect(c.nextDouble() == xs[2])
        for other in [CounterStream(seed: 8, purpose: .augmentation, epoch: 3, index: 11),
                      CounterStream(seed: 7, purpose: .permutation, epoch: 3, index: 11),
                      CounterStream(seed: 7, purpose: .augmentation, epoch: 4, index: 11),
                      CounterStream(seed: 7, purpose: .augmentation, epoch: 3, index: 12)] {
            var o = other
            #expect(o.nextDouble() != xs[0])
        }
    }

    @Test func uniformIntegersCoverTheRangeEvenly() {
        var s = CounterStream(seed: 1, purpose: .other, epoch: 0, index: 0)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[s.nextInt(below: 6)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
        var d = CounterStream(seed: 1, purpose: .other, epoch: 0, index: 1)
        let mean = (0..<100_000).reduce(0.0) { acc, _ in acc + d.nextDouble() } / 100_000
        #expect(abs(mean - 0.5) < 0.005)
    }

    @Test func permutationIsAPermutationPerEpochAndDeterministic() throws {
        let s = try EpochSampler(count: 1000, batchSize: 32, seed: 42)
        let p0 = s.permutation(epoch: 0), p1 = s.permutation(epoch: 1)
        #expect(p0.sorted() == Array(0..<1000) && p1.sorted() == Array(0..<1000))
        #expect(p0 != p1 && p0 != Array(0..<1000))
        // batch size plays no part
        #expect(p0 == (try EpochSampler(count: 1000, batchSize: 8, seed: 42)).permutation(epoch: 0))
        #expect(p0 != (try EpochSampler(count: 1000, batchSize: 32, seed: 43)).permutation(epoch: 0))
        // Roughly uniform: item 0 lands in each tenth about as often over many epochs.
        var tenths = [Int](repeating: 0, count: 10)
        let small = try EpochSampler(count: 10, batchSize: 1, seed: 5)
        for e in 0..<5000 { tenths[small.permutation(epoch: e).firstIndex(of: 0)!] += 1 }
        #expect(tenths.allSatisfy { abs($0 - 500) < 100 }, "\(tenths)")
    }

    @Test func dropLastFollowsDassl() throws {
        let a = try EpochSampler(count: 10, batchSize: 4, seed: 1)
        #expect(a.dropLast && a.stepsPerEpoch == 2)
        let plan = a.plan(epoch: 0)
        #expect(plan.globalBatch(step: 1).count == 4)
        let b = try EpochSampler(count: 3, batchSize: 4, seed: 1)      // fewer items than B: keep the short batch
        #expect(!b.dropLast && b.stepsPerEpoch == 1 && b.plan(epoch: 0).globalBatch(step: 0).count == 3)
        let c = try EpochSampler(count: 10, batchSize: 4, seed: 1, dropLast: false)
        #expect(c.stepsPerEpoch == 3 && c.plan(epoch: 0).globalBatch(step: 2).count == 2)
        let d = try EpochSampler(count: 8, batchSize: 4, seed: 1)
        #expect(d.stepsPerEpoch == 2)
        #expect(throws: DatasetError.self) { _ = try EpochSampler(count: 8, batchSize: 0, seed: 1) }
        #expect(throws: DatasetError.self) { _ = try EpochSampler(count: 0, batchSize: 1, seed: 1) }
    }

    @Test func evenSplitGivesRemainderToFirstRanks() {
        #expect(EpochSampler.evenSplit(6, parts: 4) == [2, 2, 1, 1])
        #expect(EpochSampler.evenSplit(1, parts: 4) == [1, 0, 0, 0])
        #expect(EpochSampler.evenSplit(8, parts: 4) == [2, 2, 2, 2])
        #expect((0..<4).map { EpochSampler.shareRange(6, rank: $0, worldSize: 4) } == [0..<2, 2..<4, 4..<5, 5..<6])
    }

    @Test func sharesOf6Over4() throws {
        let s = try EpochSampler(count: 30, batchSize: 6, seed: 9)
        let plan = s.plan(epoch: 2)
        let batch = Array(plan.globalBatch(step: 3))
        let shares = (0..<4).map { Array(plan.share(step: 3, rank: $0, worldSize: 4)) }
        #expect(shares.map(\.count) == [2, 2, 1, 1])
        #expect(shares.flatMap { $0 } == batch)
        #expect(s.indices(epoch: 2, step: 3, rank: 1, worldSize: 4) == shares[1])
    }

    @Test(arguments: [(100, 6), (100, 7), (37, 5), (5, 8), (16, 1)])
    func globalStreamIsIndependentOfWorldSize(count: Int, batchSize: Int) throws {
        let s = try EpochSampler(count: count, batchSize: batchSize, seed: 2024)
        for epoch in 0..<3 {
            let plan = s.plan(epoch: epoch)
            let reference = (0..<plan.steps).map { Array(plan.globalBatch(step: $0)) }
            for world in [1, 2, 3, 4, 6] {
                var seen: [Int] = []
                for step in 0..<plan.steps {
                    let joined = (0..<world).flatMap { Array(plan.share(step: step, rank: $0, worldSize: world)) }
                    #expect(joined == reference[step], "epoch \(epoch) step \(step) world \(world)")
                    seen += joined
                }
                // Each item at most once per epoch; with drop_last at most B - 1 are left out.
                #expect(Set(seen).count == seen.count)
                #expect(count - seen.count < (s.dropLast ? batchSize : 1))
            }
            // The augmentation key depends on (seed, epoch, sample) only.
            let k = plan.augmentationKey(sampleIndex: reference[0][0])
            #expect(k == AugmentationKey(seed: 2024, epoch: epoch, sampleIndex: reference[0][0]))
        }
    }
}
