import Foundation
import Support
import Tensor
import TestSupport
import Testing
@testable import CLIP

/// ModifiedResNet weights: OpenAI's shapes, architecture inference, random weights with
/// BatchNorm statistics, BatchNorm folding, and the MODEL.BACKBONE.NAME rule.
@Suite struct ResNetWeightsTests {
    static let resNets: [(String, CLIPArchitecture)] = CLIPArchitecture.openAIModels.filter { $0.architecture.isResNet }

    /// A small ResNet whose heads follow OpenAI's rule (so it can be inferred back).
    static let small = CLIPArchitecture(
        embedDim: 24, imageResolution: 64, visionStages: [1, 2, 1, 2], visionWidth: 8, visionHeads: 4,
        contextLength: 12, vocabSize: 50, textWidth: 64, textHeads: 1, textLayers: 2)

    @Test func openAIParameterCounts() {
        // What `sum(p.numel() for p in model.parameters())` prints for OpenAI's models: the
        // BatchNorm running statistics are buffers, not parameters.
        func count(_ a: CLIPArchitecture) -> Int {
            CLIPParameter.all(for: a).filter {
                if case .resNet(.batchNorm(_, .runningMean)) = $0 { return false }
                if case .resNet(.batchNorm(_, .runningVar)) = $0 { return false }
                return true
            }.reduce(0) { $0 + $1.shape(a).reduce(1, *) }
        }
        #expect(count(.rn50) == 102_007_137)
        #expect(count(.rn101) == 119_688_033)
        #expect(count(.rn50x4) == 178_300_601)
        #expect(count(.rn50x16) == 290_979_217)
        #expect(count(.rn50x64) == 623_258_305)
        #expect(count(.vitL14At336) == 427_944_193)
        #expect(CLIPArchitecture.rn50.gridSize == 7 && CLIPArchitecture.rn50x64.gridSize == 14)
        #expect(CLIPArchitecture.rn50.visionHeads == 32 && CLIPArchitecture.rn50x4.visionHeads == 40)
    }

    @Test("Every OpenAI ResNet is inferred from a file of its real shapes", arguments: resNets.map(\.0))
    func inferFromRealShapes(name: String) throws {
        let architecture = try #require(CLIPArchitecture(openAIName: name))
        let directory = try TemporaryDirectory("resnet-shapes"), folder = directory.url
        // Every tensor at its real shape (a sparse file: no data written), counters included.
        var entries = CLIPParameter.all(for: architecture).map { ($0.openAIName, $0.shape(architecture)) }
        entries += ResNetParameter.counterNames(for: architecture).map { ($0, [Int]()) }
        let url = folder.appendingPathComponent("model.safetensors")
        try WeightsFixtures.writeSparse(entries, to: url)
        let reader = try CLIPCheckpointReader(file: SafetensorsFile(url: url))
        #expect(reader.naming == .openAI(prefix: ""))
        let inferred = try reader.inferArchitecture()
        #expect(inferred == architecture)
        #expect(inferred.openAIName == name)
        #expect(try reader.validate(inferred).isEmpty, "no warning for the BatchNorm step counters")
        #expect(try CLIPWeights.architecture(at: folder) == architecture)
    }

    @Test func randomResNetWeightsLoadFoldAndRun() throws {
        let directory = try TemporaryDirectory("resnet-random"), folder = directory.url
        let a = Self.small
        for dtype in [RandomWeights.DType.f32, .f16] {
            let url = folder.appendingPathComponent("rn-\(dtype).safetensors")
            try RandomWeights.writeOpenAIFile(architecture: a, seed: 3, to: url, dtype: dtype)
            let file = try SafetensorsFile(url: url)
            #expect(file.contains("visual.layer2.1.bn3.running_var") && file.contains("visual.attnpool.k_proj.bias"))
            #expect(try file.info("visual.layer4.0.downsample.1.num_batches_tracked").dtype == .i64)
            let weights = try CLIPWeights.load(from: url)
            #expect(weights.architecture == a && weights.warnings.isEmpty)
            let tower = try #require(weights.resNet)
            // The loaded tower is the folding of exactly the generated (and stored) values.
            let conv = ResNetConv.bottleneck(stage: 2, block: 1, conv: 2)
            func stored(_ p: ResNetParameter) -> Tensor {
                let values = RandomWeights.values(.resNet(p), a, seed: 3)
                return Tensor(shape: p.shape(a), values: dtype == .f16 ? values.map { Float(Float16($0)) } : values)
            }
            var bn: [BatchNormField: Tensor] = [:]
            for field in BatchNormField.allCases { bn[field] = stored(.batchNorm(conv, field)) }
            let expected = FoldedConvolution(conv: stored(.convWeight(conv)), batchNorm: bn)
            #expect(tower.stages[1][1].conv2.weight.array == expected.weight.array)
            #expect(tower.stages[1][1].conv2.bias.array == expected.bias.array)
            let c = a.resNetFeatureWidth
            let values = tower.attentionPool.keyValue.weight.rows(c ..< 2 * c).array
            #expect(values == stored(.attentionPool(.vWeight)).array)
            let model = CLIPModel(weights: weights)
            let pixels = Tensor(shape: [2, 3, 64, 64],
                                values: (0..<(2 * 3 * 64 * 64)).map { Float($0 % 17) / 17 - 0.5 })
            let features = model.vision.encode(pixels: pixels)
            #expect(features.shape == [2, 24] && features.array.allSatisfy(\.isFinite))
            #expect(features.array.contains { $0 != 0 })
        }
        #expect(throws: CLIPWeightsError.self) {
            try RandomWeights.writeHuggingFaceFolder(architecture: a, seed: 3, to: folder.appendingPathComponent("hf"))
        }
    }

    @Test func foldedBatchNormEqualsConvolutionThenBatchNorm() {
        // A 3x3 convolution of 3 -> 5 channels and its BatchNorm, the reference in Double.
        let out = 5, inputs = 3, k = 3, side = 6
        func values(_ n: Int, _ f: (Int) -> Double) -> [Double] { (0..<n).map(f) }
        let conv = values(out * inputs * k * k) { sin(Double($0) * 1.3) * 0.4 }
        let gamma = values(out) { 1 + 0.1 * Double($0) }, beta = values(out) { 0.05 * Double($0) - 0.1 }
        let mean = values(out) { 0.2 * cos(Double($0)) }, variance = values(out) { 0.5 + 0.3 * Double($0) }
        let x = values(side * side * inputs) { cos(Double($0) * 0.7) }
        func t(_ v: [Double], _ shape: [Int]) -> Tensor { Tensor(shape: shape, values: v.map(Float.init)) }
        let folded = FoldedConvolution(conv: t(conv, [out, inputs, k, k]), batchNorm: [
            .weight: t(gamma, [out]), .bias: t(beta, [out]),
            .runningMean: t(mean, [out]), .runningVar: t(variance, [out]),
        ])
        let shape = ConvolutionShape(batch: 1, height: side, width: side, inChannels: inputs, outChannels: out,
                                     kernel: k, padding: 1)
        let y = Tensor(zeros: [side * side * out]), input = t(x, [side * side * inputs])
        convolutionForward(out: y.data, inp: input.data, weight: folded.weight.data,
                           bias: folded.bias.data, shape: shape, scratch: ConvolutionScratch())
        // Reference: PyTorch's weight [out, in, ky, kx] reordered to (ky, kx, in), conv, then BatchNorm.
        var w = [Double](repeating: 0, count: conv.count)
        for o in 0..<out { for c in 0..<inputs { for ky in 0..<k { for kx in 0..<k {
            w[((o * k + ky) * k + kx) * inputs + c] = Double(Float(conv[((o * inputs + c) * k + ky) * k + kx]))
        } } } }
        var reference = [Double](repeating: 0, count: y.count)
        let xs = x.map { Double(Float($0)) }
        naiveConvolution(out: &reference, inp: xs, weight: w, bias: nil, shape: shape)
        for i in reference.indices {
            let o = i % out
            let g = Double(Float(gamma[o])), b = Double(Float(beta[o])), m = Double(Float(mean[o]))
            let v = Double(Float(variance[o]))
            reference[i] = (reference[i] - m) / (v + 1e-5).squareRoot() * g + b
        }
        #expect(normwiseError(y.array, reference) < 1e-6)
    }

    @Test func float16FileGivesTheSameFeaturesAsItsFloat32Values() throws {
        // The same tiny ResNet stored as F16 and as F32 holding the F16-rounded values: the
        // F16 tensors are converted copies, freed after folding; both towers hold the same
        // folded weights. (Not compared bit for bit: tests run side by side, and another
        // test's single-threaded BLAS section changes how OpenBLAS splits a GEMM, which can
        // move the last bit.)
        let directory = try TemporaryDirectory("resnet-f16"), folder = directory.url
        let source = try SafetensorsFile(url: ResNetFixtureTests.weights)
        var half = SafetensorsWriter(), single = SafetensorsWriter()
        for name in source.names {
            if try source.dtype(name) == .i64 {  // the BatchNorm step counters
                try half.add(name, shape: source.shape(name), int64s: source.int64s(name))
                try single.add(name, shape: source.shape(name), int64s: source.int64s(name))
                continue
            }
            let rounded = try source.floats(name).map { Float(Float16($0)) }
            try half.add(name, shape: source.shape(name), floats: rounded, as: .f16)
            try single.add(name, shape: source.shape(name), floats: rounded, as: .f32)
        }
        let f16 = folder.appendingPathComponent("f16.safetensors")
        let f32 = folder.appendingPathComponent("f32.safetensors")
        try half.write(to: f16)
        try single.write(to: f32)
        let pixels = try ResNetFixtureTests.pixels(ResNetFixtureTests.reference())
        let a = try CLIPModel(contentsOf: f16).vision.encode(pixels: pixels)
        let b = try CLIPModel(contentsOf: f32).vision.encode(pixels: pixels)
        #expect(normwiseError(a.array, b.array) < 1e-6)
    }

    @Test func backboneNameRule() throws {
        let tinyResNet = ResNetFixtureTests.tiny
        let tinyViT = CLIPArchitecture(
            embedDim: 96, imageResolution: 32, visionLayers: 2, visionWidth: 192, visionHeads: 3, visionPatchSize: 8,
            contextLength: 77, vocabSize: 49408, textWidth: 128, textHeads: 2, textLayers: 3)
        // Not checked: no name, or a name that is none of OpenAI's.
        for name in ["", "my-clip", "rn50", "ViT-H/14"] {
            #expect(CLIPArchitecture.rn50.backboneMismatch(named: name) == nil)
            #expect(tinyViT.backboneMismatch(named: name) == nil)
        }
        // OpenAI's models must be the one named.
        for (name, architecture) in CLIPArchitecture.openAIModels {
            #expect(architecture.backboneMismatch(named: name) == nil)
        }
        let wrong = try #require(CLIPArchitecture.vitB16.backboneMismatch(named: "RN50"))
        #expect(wrong.contains("RN50") && wrong.contains("ViT-B/16"), "\(wrong)")
        #expect(CLIPArchitecture.vitL14At336.backboneMismatch(named: "ViT-L/14")?.contains("ViT-L/14@336px") == true)
        #expect(CLIPArchitecture.rn101.backboneMismatch(named: "RN50")?.contains("RN101") == true)
        // Other weights need the named kind of tower.
        #expect(tinyResNet.backboneMismatch(named: "RN50") == nil)
        #expect(tinyViT.backboneMismatch(named: "ViT-B/16") == nil)
        let kind = try #require(tinyResNet.backboneMismatch(named: "ViT-B/16"))
        #expect(kind.contains("ViT-B/16") && kind.contains("a ResNet"), "\(kind)")
        #expect(tinyViT.backboneMismatch(named: "RN50x4")?.contains("a ViT") == true)
    }
}
