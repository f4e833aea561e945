import Foundation
import Support
@testable import Tensor
import Testing
import TestSupport
@testable import CLIP

/// Weights loaded at bfloat16: the matrices in bfloat16 only, from a node-shared cache file
/// (written once, then mapped), equal bit for bit to the bfloat16 copy made in memory from
/// the float32 weights; a bad cache file is rebuilt, an unusable folder gives private copies.
/// Every cache here is a temporary folder (never the default /dev/shm one).
@Suite(.serialized) struct BFloat16WeightCacheTests {
    static let f32 = WeightsFixtures.openAIF32
    static let sources = [WeightsFixtures.openAIF32, WeightsFixtures.openAIF16, WeightsFixtures.huggingFaceFolder,
                          ResNetFixtureTests.weights]

    /// Every frozen matrix's bfloat16 bits, in ``CLIPParameter/frozenMatrices(for:)`` order.
    static func bits(_ model: CLIPModel) -> [[UInt16]] {
        func of(_ m: FrozenMatrix) -> [UInt16] {
            let b = m.bfloat16!
            return Array(UnsafeBufferPointer(start: b.data, count: b.rows * b.columns))
        }
        var result: [[UInt16]] = []
        let linear = { (b: ResidualBlockWeights) in [b.attnIn.matrix, b.attnOut.matrix, b.fc.matrix, b.proj.matrix] }
        result += model.text.weights.blocks.flatMap(linear).map(of) + [of(model.text.weights.projectionMatrix)]
        if case let .transformer(encoder) = model.vision {
            let v = encoder.weights
            result += v.blocks.flatMap(linear).map(of) + [of(v.patchMatrix), of(v.projectionMatrix)]
        }
        return result
    }

    /// Text and image features of the fixture's inputs, one thread for the products (so that
    /// other suites changing the thread count cannot change how oneDNN cuts them).
    static func features(_ model: CLIPModel) throws -> [Float] {
        let inputs = try EncoderFixtureTests.file("features/features.safetensors")
        let tokens = try EncoderFixtureTests.tokens(inputs)
        return try BLASInfo.singleThreaded {
            var out = model.text.encode(tokens: tokens).array
            if case .transformer = model.vision {
                out += model.vision.encode(pixels: try EncoderFixtureTests.pixels(inputs)).array
            }
            return out
        }
    }

    /// Today's bfloat16 model: float32 weights, a private bfloat16 copy made in memory.
    static func inMemory(_ url: URL) throws -> CLIPModel {
        try CLIPModel(contentsOf: url).at(.bfloat16)
    }

    static func cached(_ url: URL, _ folder: URL) throws -> CLIPModel {
        try CLIPModel(contentsOf: url, precision: .bfloat16, cache: BFloat16WeightCache(directory: folder.path))
    }

    static func cacheFiles(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    @Test("through the cache: bfloat16 only, the same bits and features as the in-memory copy",
          .enabled(if: OneDNN.hasNativeBFloat16), arguments: sources)
    func cacheEqualsInMemory(url: URL) throws {
        try TemporaryDirectory.with("bf16-cache") { folder in
            let model = try Self.cached(url, folder), reference = try Self.inMemory(url)
            guard case let .mapped(path, created) = model.weights.bfloat16Storage else {
                Issue.record("storage: \(model.weights.bfloat16Storage)")
                return
            }
            #expect(created && path.hasPrefix(folder.path) && Self.cacheFiles(folder).count == 1)
            #expect(model.weights.precision == .bfloat16 && model.precision == .bfloat16)
            for p in CLIPParameter.frozenMatrices(for: model.weights.architecture) {
                #expect(model.weights.tensor(for: p) == nil, "\(p.openAIName) kept in float32")
            }
            let blocks = model.text.weights.blocks
            #expect(blocks.allSatisfy { $0.fc.matrix.float32 == nil && $0.proj.matrix.float32 == nil })
            #expect(Self.bits(model) == Self.bits(reference))
            #expect(try Self.features(model) == Self.features(reference))
        }
    }

    @Test("a second load maps the existing file: not rewritten")
    func secondLoadMapsTheFile() throws {
        try TemporaryDirectory.with("bf16-cache") { folder in
            let first = try Self.cached(Self.f32, folder)
            guard case let .mapped(path, true) = first.weights.bfloat16Storage else {
                Issue.record("storage: \(first.weights.bfloat16Storage)")
                return
            }
            let before = try FileManager.default.attributesOfItem(atPath: path)
            let second = try Self.cached(Self.f32, folder)
            #expect(second.weights.bfloat16Storage == .mapped(path: path, created: false))
            let after = try FileManager.default.attributesOfItem(atPath: path)
            #expect(after[.systemFileNumber] as? Int == before[.systemFileNumber] as? Int)
            #expect(after[.modificationDate] as? Date == before[.modificationDate] as? Date)
            #expect(Self.cacheFiles(folder) == [URL(fileURLWithPath: path).lastPathComponent])  // no temporaries
            #expect(Self.bits(second) == Self.bits(first))
            // The fuzzing harness's entry accepts it, against the identity and shapes it holds.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(bytes.withUnsafeBytes { BFloat16WeightCache.matrixCount(ofFile: $0) } == Self.bits(first).count)
        }
    }

    @Test("a truncated, garbage or foreign cache file is replaced, and the weights are right")
    func badFilesAreRebuilt() throws {
        let reference = try Self.bits(Self.inMemory(Self.f32))
        try TemporaryDirectory.with("bf16-cache") { folder in
            let first = try Self.cached(Self.f32, folder)
            guard case let .mapped(path, true) = first.weights.bfloat16Storage else {
                Issue.record("storage: \(first.weights.bfloat16Storage)")
                return
            }
            let good = try Data(contentsOf: URL(fileURLWithPath: path))
            var foreign = good
            foreign[60] ^= 0x20  // a letter of the identity: the CRC no longer matches
            var version = good
            version[8] = 9
            let damaged: [(String, Data)] = [
                ("truncated", good.prefix(good.count / 2)), ("empty", Data()), ("header only", good.prefix(40)),
                ("garbage", Data((0..<good.count).map { UInt8(truncatingIfNeeded: $0 &* 37) })),
                ("foreign identity", foreign), ("other version", version),
            ]
            for (label, bytes) in damaged {
                try FileManager.default.removeItem(atPath: path)
                try bytes.write(to: URL(fileURLWithPath: path))
                let again = try Self.cached(Self.f32, folder)
                #expect(again.weights.bfloat16Storage == .mapped(path: path, created: true), "\(label)")
                #expect(Self.bits(again) == reference, "\(label)")
                #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == good, "\(label)")
                #expect(Self.cacheFiles(folder).count == 1, "\(label)")
            }
        }
    }

    @Test("a temporary file abandoned over ten minutes ago is removed when the cache file is written")
    func abandonedTemporariesAreRemoved() throws {
        try TemporaryDirectory.with("bf16-cache") { folder in
            guard case let .mapped(path, _) = try Self.cached(Self.f32, folder).weights.bfloat16Storage else {
                Issue.record("not mapped")
                return
            }
            let name = URL(fileURLWithPath: path).lastPathComponent
            try FileManager.default.removeItem(atPath: path)
            let stale = folder.appendingPathComponent(".\(name).tmp.AAAAAA").path
            let fresh = folder.appendingPathComponent(".\(name).tmp.BBBBBB").path
            for p in [stale, fresh] { try Data("partial".utf8).write(to: URL(fileURLWithPath: p)) }
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)],
                                                  ofItemAtPath: stale)
            _ = try Self.cached(Self.f32, folder)
            #expect(Self.cacheFiles(folder) == [URL(fileURLWithPath: fresh).lastPathComponent, name].sorted())
        }
    }

    /// Random weights wide enough (256) that oneDNN reads its matrices packed, in `folder`.
    static func wideWeights(_ folder: URL) throws -> URL {
        let arch = CLIPArchitecture(embedDim: 128, imageResolution: 64, visionLayers: 1, visionWidth: 256,
                                    visionHeads: 4, visionPatchSize: 16, contextLength: 77, vocabSize: 600,
                                    textWidth: 256, textHeads: 4, textLayers: 1)
        let file = folder.appendingPathComponent("wide.safetensors")
        try RandomWeights.writeOpenAIFile(architecture: arch, seed: 3, to: file)
        return file
    }

    /// Text features of two prompts of 77 tokens (EOT 599 last) and image features of two images.
    static func wideFeatures(_ model: CLIPModel) -> [Float] {
        let tokens: [[Int32]] = (0..<2).map { (p: Int) -> [Int32] in
            (0..<77).map { (t: Int) -> Int32 in Int32(t == 76 ? 599 : (t * 7 + p) % 500) }
        }
        let pixels = Tensor(shape: [2, 3, 64, 64], values: (0..<(2 * 3 * 64 * 64)).map { Float($0 % 23) / 23 - 0.5 })
        return model.text.encode(tokens: tokens).array + model.vision.encode(pixels: pixels).array
    }

    @Test("packed copies: a file per matrix and layout beside the cache file, mapped again, a damaged one replaced",
          .enabled(if: OneDNN.hasNativeBFloat16))
    func packedCopiesAreFilesOfTheCache() throws {
        try TemporaryDirectory.with("bf16-packed") { scratch in
            let weights = try Self.wideWeights(scratch), folder = scratch.appendingPathComponent("cache")
            let model = try Self.cached(weights, folder)
            let saved = GEMMRouting.packsBFloat16Weights
            GEMMRouting.packsBFloat16Weights = false
            let plain = Self.wideFeatures(model)
            GEMMRouting.packsBFloat16Weights = saved
            #expect(Self.cacheFiles(folder).count == 1)   // nothing packed yet
            let packed = Self.wideFeatures(model)
            #expect(packed == plain)
            let all = Self.cacheFiles(folder), files = all.filter { $0.hasSuffix(".packed") }
            #expect(!files.isEmpty && files.count + 1 == all.count, "\(all)")   // no temporaries
            guard let damagedName = files.first else { return }
            let url = { (name: String) in folder.appendingPathComponent(name) }
            for name in files {
                let bytes = try Data(contentsOf: url(name))
                #expect(bytes.withUnsafeBytes { PackedWeightFile.dataBytes($0) } == bytes.count - 64, "\(name)")
            }
            func inodes() throws -> [Int?] {
                try files.map {
                    try FileManager.default.attributesOfItem(atPath: url($0).path)[.systemFileNumber] as? Int
                }
            }
            let before = try inodes()
            #expect(try Self.wideFeatures(Self.cached(weights, folder)) == packed)
            #expect(try inodes() == before && Self.cacheFiles(folder) == all)
            // A flipped header byte, a cut file, garbage: each is written again, right.
            let good = try Data(contentsOf: url(damagedName))
            var flipped = good
            flipped[17] ^= 1   // the data size
            for (label, bytes) in [("flipped", flipped), ("cut", good.prefix(good.count - 2)),
                                   ("garbage", Data(repeating: 7, count: good.count))] {
                try FileManager.default.removeItem(at: url(damagedName))
                try bytes.write(to: url(damagedName))
                #expect(try Self.wideFeatures(Self.cached(weights, folder)) == packed, "\(label)")
                #expect(try Data(contentsOf: url(damagedName)) == good, "\(label)")
                #expect(Self.cacheFiles(folder) == all, "\(label)")
            }
        }
    }

    @Test("the fuzzing seeds of the cache's files are files the readers accept")
    func fuzzSeedsAreValid() throws {
        let seeds = Cocoop.packageRoot.appendingPathComponent("Tests/Fuzz/corpus/weight-cache")
        let cache = try Data(contentsOf: seeds.appendingPathComponent("cache-two-matrices.bf16"))
        let packed = try Data(contentsOf: seeds.appendingPathComponent("packed-24-bytes.packed"))
        #expect(cache.withUnsafeBytes { BFloat16WeightCache.matrixCount(ofFile: $0) } == 2)
        #expect(packed.withUnsafeBytes { PackedWeightFile.dataBytes($0) } == 24)
        var bad = cache
        bad[200] ^= 1   // data: not covered by the header's CRC, still a valid file
        #expect(bad.withUnsafeBytes { BFloat16WeightCache.matrixCount(ofFile: $0) } == 2)
        bad[44] ^= 1    // the identity: rejected
        #expect(bad.withUnsafeBytes { BFloat16WeightCache.matrixCount(ofFile: $0) } == nil)
    }

    @Test("an unusable cache folder: private bfloat16 copies, and a notice naming the folder and errno")
    func unusableFolderFallsBack() throws {
        try TemporaryDirectory.with("bf16-cache") { folder in
            let file = folder.appendingPathComponent("a-file")
            try Data("x".utf8).write(to: file)
            let unusable = file.appendingPathComponent("cache")  // under a regular file: ENOTDIR, even for root
            let model = try Self.cached(Self.f32, unusable)
            guard case let .privateMemory(notice?) = model.weights.bfloat16Storage else {
                Issue.record("storage: \(model.weights.bfloat16Storage)")
                return
            }
            #expect(notice.contains(unusable.path) && notice.contains("errno \(ENOTDIR)"), "\(notice)")
            #expect(Self.bits(model) == Self.bits(try Self.inMemory(Self.f32)))
            let off = try CLIPModel(contentsOf: Self.f32, precision: .bfloat16, cache: .privateMemory)
            #expect(off.weights.bfloat16Storage == .privateMemory(notice: nil))
        }
    }

    @Test("float32 products from weights loaded at bfloat16: read again from the file, as the fp32 load")
    func float32VariantReadsTheFile() throws {
        try TemporaryDirectory.with("bf16-cache") { folder in
            let bf16 = try Self.cached(Self.f32, folder), fp32 = try CLIPModel(contentsOf: Self.f32)
            let variant = bf16.at(.float32)
            #expect(variant.precision == .float32 && variant.weights.precision == .float32)
            #expect(bf16.at(.float32) === variant)
            #expect(variant.weights.bfloat16Storage == BFloat16Storage.none)
            #expect(variant.text.weights.blocks[0].fc.matrix.bfloat16 == nil)
            #expect(try Self.features(variant) == Self.features(fp32))
            let back = try variant.weights.at(.bfloat16, cache: BFloat16WeightCache(directory: folder.path))
            #expect(back.bfloat16Storage == bf16.weights.bfloat16Storage.mappedAgain)
        }
    }

    @Test("the widened float32 view of a bfloat16-only matrix, and its products off oneDNN")
    func bfloat16OnlyMatrixFallback() {
        let values = (0..<(6 * 5)).map { Float($0) * 0.37 - 4.1 }
        let matrix = BFloat16Matrix(converting: Tensor(shape: [6, 5], values: values))
        let frozen = FrozenMatrix(bfloat16: matrix, shape: [6, 5])
        let widened = values.map { float(fromBFloat16: bfloat16Bits($0)) }
        #expect(frozen.float32 == nil && frozen.float32OrWidened.array == widened)
        // On a worker thread the product is float32 with the widened weights.
        let a = (0..<(3 * 5)).map { Float($0 % 4) - 1.5 }
        var c = [Float](repeating: 0, count: 3 * 6), expected = c
        naiveGemm(.none, .transpose, m: 3, n: 6, k: 5, a: a, lda: 5, b: widened, ldb: 5, c: &expected, ldc: 6)
        ParallelWorker.run {
            gemm(.none, .transpose, m: 3, n: 6, k: 5, a: a, lda: 5, b: frozen, ldb: 5, c: &c, ldc: 6)
        }
        #expect(normwiseError(c, expected.map(Double.init)) < 1e-6)
        // An operand already in bfloat16 (a's values are exact in it): widened there too.
        let a16 = a.map(bfloat16Bits)
        var fromRounded = [Float](repeating: 0, count: 3 * 6)
        ParallelWorker.run {
            gemm(.transpose, m: 3, n: 6, k: 5, roundedA: a16, b: frozen, ldb: 5, c: &fromRounded, ldc: 6)
        }
        #expect(normwiseError(fromRounded, expected.map(Double.init)) < 1e-6)
    }
}

extension BFloat16Storage {
    /// The same file found again (not created).
    var mappedAgain: BFloat16Storage {
        if case let .mapped(path, _) = self { return .mapped(path: path, created: false) }
        return self
    }
}
