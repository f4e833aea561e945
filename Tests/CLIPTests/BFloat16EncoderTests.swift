import Foundation
import Support
import Tensor
import Testing
import TestSupport
@testable import CLIP

/// The encoders with their products in bfloat16 against the float64 reference: within
/// bfloat16's rounding (8 significant bits; about 1e-3 relative per product, a few times
/// that through a tower), where float32 is at 1e-6.
@Suite(.enabled(if: OneDNN.hasNativeBFloat16)) struct BFloat16EncoderTests {
    @Test func vitAndTextFeaturesWithinBFloat16Rounding() throws {
        let url = EncoderFixtureTests.shared.appendingPathComponent("clip_openai.safetensors")
        let cache = try TemporaryDirectory("bf16-cache")
        let model = try CLIPModel(contentsOf: url, precision: .bfloat16,
                                  cache: BFloat16WeightCache(directory: cache.url.path))
        #expect(model.weights.precision == .bfloat16)  // loaded at bfloat16: no float32 matrices kept
        let inputs = try EncoderFixtureTests.file("features/features.safetensors")
        let text = model.text.encode(tokens: try EncoderFixtureTests.tokens(inputs))
        let image = model.vision.encode(pixels: try EncoderFixtureTests.pixels(inputs))
        let et = EncoderFixtureTests.normwise(text.data, try inputs.doubles("text/features"))
        let ei = EncoderFixtureTests.normwise(image.data, try inputs.doubles("image/features"))
        // Above 1e-5: the bfloat16 products did run; below 1e-2: nothing else went wrong.
        #expect(et > 1e-5 && et < 1e-2, "text features: \(et)")
        #expect(ei > 1e-5 && ei < 1e-2, "image features: \(ei)")
    }

    /// The text features and the gradient at the input embeddings of the fixture's prompts,
    /// cut to 12 tokens (the causal mask makes the cut exact), for a fixed upstream gradient.
    static func featuresAndGradient(_ model: CLIPModel) throws -> [Float] {
        let tokens = try EncoderFixtureTests.tokens(try EncoderFixtureTests.file("features/features.safetensors"))
        let t = tokens.map { Array($0.prefix(12)) }
        let ids = t.flatMap { $0 }
        let input = PackedText(embeddings: model.text.embed(ids), positions: t.flatMap { Array(0..<$0.count) },
                               featureRows: t.indices.map { $0 * 12 + 11 },
                               layout: UniformSequences(batch: t.count, length: 12, causal: true))
        let tape = model.text.makeTape(for: input)
        let features = model.text.forward(input, tape: tape)
        let upstream = Tensor(shape: features.shape, values: (0..<features.count).map { Float($0 % 7) - 3 })
        return features.array + model.text.backward(upstream, tape: tape).array
    }

    @Test func textGradientWithinBFloat16RoundingOfFloat32() throws {
        let url = EncoderFixtureTests.shared.appendingPathComponent("clip_openai.safetensors")
        let fp32 = try CLIPModel(contentsOf: url), bf16 = fp32.at(.bfloat16)
        let g32 = try Self.featuresAndGradient(fp32), g16 = try Self.featuresAndGradient(bf16)
        let err = normwiseError(g16, g32.map(Double.init))
        #expect(err > 1e-5 && err < 2e-2, "features and gradient at the embeddings: \(err)")
    }

    /// The LayerNorms and QuickGELU writing the products' operands in bfloat16 themselves
    /// (forward and backward) give the bits of rounding their float32 results at each product.
    @Test func roundingInPlaceKeepsTheBits() throws {
        let url = EncoderFixtureTests.shared.appendingPathComponent("clip_openai.safetensors")
        let bf16 = try CLIPModel(contentsOf: url).at(.bfloat16)
        let saved = ResidualBlockWeights.roundsInPlace
        defer { ResidualBlockWeights.roundsInPlace = saved }
        ResidualBlockWeights.roundsInPlace = false
        let separate = try Self.featuresAndGradient(bf16)
        ResidualBlockWeights.roundsInPlace = true
        let inPlace = try Self.featuresAndGradient(bf16)
        #expect(inPlace == separate)
        let fp32 = try Self.featuresAndGradient(try CLIPModel(contentsOf: url))
        #expect(inPlace != fp32)   // the bfloat16 products did run
    }

    /// A ResNet tower's convolutions and attention-pool projections run in bfloat16 too: the
    /// image features are within bfloat16's rounding of the float32 model's, not equal to them.
    @Test func resNetImageTowerRunsInBFloat16() throws {
        let fp32 = try ResNetFixtureTests.model(), bf16 = fp32.at(.bfloat16)
        let pixels = try ResNetFixtureTests.pixels(try ResNetFixtureTests.reference())
        let e = normwiseError(bf16.vision.encode(pixels: pixels).array,
                              fp32.vision.encode(pixels: pixels).array.map(Double.init))
        #expect(e > 1e-5 && e < 1e-2, "ResNet features, bf16 model vs fp32: \(e)")
    }
}

/// The image tower's inference pass (QuickGELU fused into c_fc's product, no activations
/// kept) computes what the pass that keeps every activation computes.
@Suite struct InferencePassTests {
    @Test(arguments: MatmulPrecision.allCases)
    func visionInferencePassEqualsTheObservedPass(precision: MatmulPrecision) throws {
        guard precision == .float32 || OneDNN.hasNativeBFloat16 else { return }
        let url = EncoderFixtureTests.shared.appendingPathComponent("clip_openai.safetensors")
        let model = try CLIPModel(contentsOf: url, precision: precision)
        let pixels = try EncoderFixtureTests.pixels(try EncoderFixtureTests.file("features/features.safetensors"))
        guard case let .transformer(vision) = model.vision else { Issue.record("not a ViT"); return }
        var layers = 0
        let observed = vision.encode(pixels: pixels, chunk: 16) { _, _, _ in layers += 1 }
        let inference = vision.encode(pixels: pixels)
        #expect(layers > 0)
        #expect(normwiseError(inference.array, observed.array.map(Double.init)) < 1e-5)
    }
}
