import Foundation
import Support
import Tensor
import TestSupport
import Testing
@testable import CLIP

/// The ModifiedResNet image tower against the float64 reference of OpenAI's clip/model.py
/// (Tests/Fixtures/resnet; the tiny ResNet CLIP's float32 weights in ../shared/fixtures/resnet).
@Suite struct ResNetFixtureTests {
    static let weights = EncoderFixtureTests.shared.appendingPathComponent("resnet/clip_rn_openai.safetensors")

    /// The tiny ResNet CLIP of the fixture (its README gives the constructor call).
    static let tiny = CLIPArchitecture(
        embedDim: 64, imageResolution: 64, visionStages: [1, 2, 1, 1], visionWidth: 8, visionHeads: 4,
        contextLength: 77, vocabSize: 49408, textWidth: 128, textHeads: 2, textLayers: 2)

    nonisolated(unsafe) private static var cached: CLIPModel?
    private static let lock = NSLock()

    /// The tiny ResNet CLIP, loaded once.
    static func model() throws -> CLIPModel {
        lock.lock(); defer { lock.unlock() }
        if let cached { return cached }
        let m = try CLIPModel(contentsOf: weights)
        cached = m
        return m
    }

    static func reference() throws -> SafetensorsFile { try EncoderFixtureTests.file("resnet/features.safetensors") }

    static func pixels(_ f: SafetensorsFile) throws -> Tensor {
        Tensor(shape: try f.shape("input/pixels"), values: try f.floats("input/pixels"))
    }

    @Test func architectureIsInferredAsBuildModelDoes() throws {
        let model = try Self.model()
        #expect(model.weights.architecture == Self.tiny)
        #expect(model.weights.architecture.openAIName == nil)
        #expect(model.weights.warnings.isEmpty, "BatchNorm step counters are known: \(model.weights.warnings)")
        #expect(model.vision.resolution == 64 && model.vision.embedDim == 64)
        let tower = try #require(model.weights.resNet)
        #expect(tower.stages.map(\.count) == [1, 2, 1, 1])
        #expect(tower.stages.map { $0[0].stride } == [1, 2, 2, 2])
        #expect(tower.stages.flatMap { $0.map { $0.downsample != nil } } == [true, true, false, true, true])
        #expect(tower.attentionPool.heads == 4 && tower.attentionPool.keyValue.weight.shape == [512, 256])
        #expect(model.weights.tensor(for: .resNet(.convWeight(.stem(1)))) == nil, "folded, not kept as stored")
    }

    @Test func everyStageOfImageZeroMatches() throws {
        let model = try Self.model(), f = try Self.reference()
        let encoder = try #require(model.vision.resNet)
        let image0 = try Self.pixels(f).rows(0..<1)
        var failures: [String] = [], seen: [String] = []
        let feature = encoder.encode(pixels: image0, chunk: 1) { name, map in
            seen.append(name)
            let reference = (try? f.doubles("image0/" + name)) ?? []
            let actual = map.channelsFirst(image: 0)
            let err = normwiseError(actual, reference)
            if !(err < 1e-5) { failures.append("\(name): \(err)") }
        }
        #expect(seen == ["stem_conv", "stem", "layer1", "layer2", "layer3", "layer4"])
        #expect(failures.isEmpty, "\(failures)")
        let err = EncoderFixtureTests.normwise(feature.data, try f.doubles("image0/attnpool"))
        #expect(err < 1e-5, "attnpool: \(err)")
    }

    @Test func imageAndTextFeaturesAndLogits() throws {
        let model = try Self.model(), f = try Self.reference()
        let image = model.vision.encode(pixels: try Self.pixels(f))
        let ids = try f.int64s("input/token_ids").map(Int32.init)
        let text = model.text.encode(tokens: stride(from: 0, to: ids.count, by: 77).map { Array(ids[$0..<($0 + 77)]) })
        let ei = EncoderFixtureTests.normwise(image.data, try f.doubles("output/image_features"))
        let et = EncoderFixtureTests.normwise(text.data, try f.doubles("output/text_features"))
        #expect(ei < 1e-5, "image features: \(ei)")
        #expect(et < 1e-5, "text features: \(et)")
        let n = 4, m = 3, e = 64
        let zi = Tensor(zeros: [n, e]), zt = Tensor(zeros: [m, e])
        var norms = [Float](repeating: 0, count: n)
        l2NormalizeForward(out: zi.data, norm: &norms, inp: image.data, n: n, c: e)
        l2NormalizeForward(out: zt.data, norm: &norms, inp: text.data, n: m, c: e)
        let logits = Tensor(zeros: [n, m])
        gemm(.none, .transpose, m: n, n: m, k: e, alpha: model.logitScaleExp, a: zi.data, lda: e,
             b: zt.data, ldb: e, c: logits.data, ldc: m)
        let el = EncoderFixtureTests.normwise(logits.data, try f.doubles("output/logits_per_image"))
        #expect(el < 1e-5, "logits: \(el)")
    }

    @Test(arguments: [1, 3])
    func chunksAndThreadCountsGiveTheSameFeatures(chunk: Int) throws {
        let model = try Self.model(), pixels = try Self.pixels(Self.reference())
        let whole = model.vision.encode(pixels: pixels, chunk: 4)
        let parts = KernelThreads.$override.withValue(chunk) { model.vision.encode(pixels: pixels, chunk: chunk) }
        #expect(normwiseError(parts.array, whole.array) < 1e-6)
    }
}
