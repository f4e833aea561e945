import Foundation
import Support
import Tensor
import Testing
import TestSupport
@testable import CLIP

/// Text and image features, logits and every layer's hidden states against the float64
/// reference computed by OpenAI's CLIP code (fixtures/features).
@Suite struct EncoderFixtureTests {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = tests.appendingPathComponent("Fixtures")
    static let shared = tests.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures")

    static func file(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: fixtures.appendingPathComponent(name).path)
    }

    /// ``normwiseError`` of the first `b.count` floats at `a` (a layer's activations) against
    /// the float64 reference `b`.
    static func normwise(_ a: UnsafeMutablePointer<Float>, _ b: [Double]) -> Double {
        normwiseError(UnsafeBufferPointer(start: a, count: b.count), b)
    }

    static func tokens(_ f: SafetensorsFile) throws -> [[Int32]] {
        let ids = try f.int64s("text/tokens").map(Int32.init)
        return stride(from: 0, to: ids.count, by: 77).map { Array(ids[$0..<($0 + 77)]) }
    }

    static func pixels(_ f: SafetensorsFile) throws -> Tensor {
        Tensor(shape: try f.shape("image/pixels"), values: try f.floats("image/pixels"))
    }

    enum Source: String, CaseIterable { case openAIFloat32, huggingFaceFolder, openAIFloat16 }

    @Test(arguments: Source.allCases)
    func featuresAndLogits(source: Source) throws {
        let url: URL
        let reference: SafetensorsFile
        let inputs = try Self.file("features/features.safetensors")
        switch source {
        case .openAIFloat32:
            url = Self.shared.appendingPathComponent("clip_openai.safetensors"); reference = inputs
        case .huggingFaceFolder:
            url = Self.shared.appendingPathComponent("clip_hf"); reference = inputs
        case .openAIFloat16:
            url = Self.fixtures.appendingPathComponent("weights/clip_openai_f16.safetensors")
            reference = try Self.file("features/features_f16_weights.safetensors")
        }
        let model = try CLIPModel(contentsOf: url)
        let text = model.text.encode(tokens: try Self.tokens(inputs))
        let image = model.vision.encode(pixels: try Self.pixels(inputs))
        let et = Self.normwise(text.data, try reference.doubles("text/features"))
        let ei = Self.normwise(image.data, try reference.doubles("image/features"))
        #expect(et < 1e-5, "text features \(source): \(et)")
        #expect(ei < 1e-5, "image features \(source): \(ei)")
        #expect(abs(Double(model.logitScaleExp) - (try reference.doubles("logit_scale").map { exp($0) }[0])) < 1e-5)
        if source != .openAIFloat16 {
            // logits_per_image = exp(s) * normalised image @ normalised text^T
            let n = 6, m = 8, e = 96
            var logits = [Float](repeating: 0, count: n * m)
            let zi = Tensor(zeros: [n, e]), zt = Tensor(zeros: [m, e])
            var norms = [Float](repeating: 0, count: max(n, m))
            l2NormalizeForward(out: zi.data, norm: &norms, inp: image.data, n: n, c: e)
            l2NormalizeForward(out: zt.data, norm: &norms, inp: text.data, n: m, c: e)
            gemm(.none, .transpose, m: n, n: m, k: e, alpha: model.logitScaleExp, a: zi.data, lda: e,
                 b: zt.data, ldb: e, c: &logits, ldc: m)
            #expect(normwiseError(logits, (try? inputs.doubles("logits_per_image")) ?? []) < 1e-5)
        }
    }

    @Test func truncationAtTheEOTChangesNothing() throws {
        // encode() cuts sequences after the longest EOT; the full 77 gives the same features.
        let model = try CLIPModel(contentsOf: Self.shared.appendingPathComponent("clip_openai.safetensors"))
        let toks = try Self.tokens(try Self.file("features/features.safetensors"))
        let short = model.text.encode(tokens: Array(toks[0..<2]))        // EOT 7: 8 rows
        let full = model.text.forward(Self.fullContext(model, toks[0..<2]), tape: nil)
        // Equal up to float rounding (GEMM blocking differs with the row count).
        #expect(Self.normwise(short.data, full.array.map(Double.init)) < 1e-6)
    }

    /// Token ids as full 77-row sequences (no truncation).
    static func fullContext(_ model: CLIPModel, _ rows: ArraySlice<[Int32]>) -> PackedText {
        let ids = rows.flatMap { $0 }
        return PackedText(embeddings: model.text.embed(ids), positions: rows.flatMap { _ in Array(0..<77) },
                          featureRows: rows.enumerated().map { $0.offset * 77 + TextEncoder.eotIndex($0.element) },
                          layout: UniformSequences(batch: rows.count, length: 77, causal: true))
    }

    @Test func everyTextLayerMatches() throws {
        let model = try CLIPModel(contentsOf: Self.shared.appendingPathComponent("clip_openai.safetensors"))
        let h = try Self.file("features/hidden_text.safetensors")
        let ids = try h.int64s("tokens").map(Int32.init)
        let input = Self.fullContext(model, [ids][...])
        let tape = model.text.makeTape(for: input)
        let feature = model.text.forward(input, tape: tape)
        var checks: [(String, UnsafeMutablePointer<Float>)] = [("x0_embed_pos", tape.layers[0].input.data)]
        // The reference keeps block 0's intermediates and every block's output.
        let a0 = tape.layers[0]
        checks += [("block0/ln_1", a0.ln1.data), ("block0/after_attn", a0.residual1.data),
                   ("block0/ln_2", a0.ln2.data), ("block0/mlp_fc", a0.fc.data), ("block0/mlp_gelu", a0.gelu.data)]
        for (i, a) in tape.layers.enumerated() where i > 0 { checks.append(("block\(i - 1)/out", a.input.data)) }
        checks += [("eot_row", tape.lnFinal.data), ("feature", feature.data)]
        for (name, values) in checks {
            let err = Self.normwise(values, try h.doubles(name))
            #expect(err < 1e-5, "\(name): \(err)")
        }
    }

    @Test func everyVisionLayerMatches() throws {
        let model = try CLIPModel(contentsOf: Self.shared.appendingPathComponent("clip_openai.safetensors"))
        let h = try Self.file("features/hidden_vision.safetensors")
        let pixels = Tensor(shape: [1, 3, 32, 32], values: try h.floats("pixels"))
        var failures: [String] = []
        let vision = try #require(model.vision.transformer)
        let feature = vision.encode(pixels: pixels, chunk: 1) { i, a, out in
            for (name, values) in [("block\(i)/ln_1", a.ln1.data), ("block\(i)/after_attn", a.residual1.data),
                                   ("block\(i)/ln_2", a.ln2.data), ("block\(i)/mlp_fc", a.fc.data),
                                   ("block\(i)/mlp_gelu", a.gelu.data), ("block\(i)/out", out.data)] {
                let err = Self.normwise(values, (try? h.doubles(name)) ?? [])
                if !(err < 1e-5) { failures.append("\(name): \(err)") }
            }
            if i == 0 {
                let err = Self.normwise(a.input.data, (try? h.doubles("ln_pre")) ?? [])
                if !(err < 1e-5) { failures.append("ln_pre: \(err)") }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(Self.normwise(feature.data, try h.doubles("feature")) < 1e-5)
    }
}
