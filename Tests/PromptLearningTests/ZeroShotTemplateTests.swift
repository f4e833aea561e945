import CLIP
import Foundation
import Testing
@testable import PromptLearning

/// CoOp's zero-shot baselines: zsclip.py's templates (the fixture is read out of CoOp's
/// sources by Scripts/gen_coop_templates.py) and ZeroshotCLIP2's ensemble of text features.
@Suite("Zero-shot templates")
struct ZeroShotTemplateTests {
    static let classnames = ["tabby_cat", "golden retriever", "espresso", "space shuttle"]

    @Test("CUSTOM_TEMPLATES and IMAGENET_TEMPLATES_SELECT equal CoOp's, entry for entry and in order")
    func equalCoOps() throws {
        let json = try Fixtures.json("coop_scripts/zeroshot_templates.json")
        let custom = try #require(json["CUSTOM_TEMPLATES"] as? [String: String])
        #expect(ZeroShotTemplates.custom == custom)
        #expect(ZeroShotTemplates.imagenetSelect == json["IMAGENET_TEMPLATES_SELECT"] as? [String])
        for (name, template) in custom { #expect(ZeroShotTemplates.single(dataset: name) == template, "\(name)") }
    }

    @Test("ZeroshotCLIP: the dataset's template, 'a photo of a {}.' for SplitFile, DATASET.PROMPT_TEMPLATE over both")
    func single() {
        #expect(ZeroShotTemplates.single(dataset: "OxfordPets") == "a photo of a {}, a type of pet.")
        #expect(ZeroShotTemplates.single(dataset: "SplitFile") == "a photo of a {}.")
        #expect(ZeroShotTemplates.single(dataset: "SplitFile", override: "a sketch of a {}.") == "a sketch of a {}.")
        #expect(ZeroShotTemplates.single(dataset: "EuroSAT", override: "{}!") == "{}!")
    }

    @Test("ZeroshotCLIP2: the seven SELECT templates for ImageNet, plus the dataset's own for the others")
    func ensemble() {
        let select = ZeroShotTemplates.imagenetSelect
        #expect(select.count == 7)
        #expect(ZeroShotTemplates.ensemble(dataset: "ImageNet") == select)
        #expect(ZeroShotTemplates.ensemble(dataset: "ImageNetV2") == select + ["a photo of a {}."])
        #expect(ZeroShotTemplates.ensemble(dataset: "DescribableTextures") == select + ["{} texture."])
        #expect(ZeroShotTemplates.ensemble(dataset: "SplitFile") == select + ["a photo of a {}."])
        #expect(ZeroShotTemplates.ensemble(dataset: "ImageNet", override: "a {}.") == select + ["a {}."])
    }

    @Test("The ensemble's text features equal a float64 mean of per-template normalised features, renormalised")
    func ensembleFeatures() throws {
        let clip = try Fixtures.model()
        let tokenizer = try CLIPTokenizer.bundled()
        let templates = ZeroShotTemplates.ensemble(dataset: "OxfordPets")
        let zs = try ZeroShotClassifier(clip: clip, classnames: Self.classnames, templates: templates,
                                        tokenizer: tokenizer)
        let c = Self.classnames.count, e = clip.text.embedDim
        // zsclip.py: sum of f / |f| over templates, / n, then / its norm; here in float64.
        var mean = [Double](repeating: 0, count: c * e)
        for template in templates {
            let texts = Self.classnames.map {
                template.replacingOccurrences(of: "{}", with: $0.replacingOccurrences(of: "_", with: " "))
            }
            let raw = clip.text.encode(tokens: try texts.map { try tokenizer.tokenize($0, contextLength: 77) })
            for row in 0..<c {
                let f = (0..<e).map { Double(raw.data[row * e + $0]) }
                let norm = f.map { $0 * $0 }.reduce(0, +).squareRoot()
                for j in 0..<e { mean[row * e + j] += f[j] / norm }
            }
        }
        var worst = 0.0
        for row in 0..<c {
            let f = (0..<e).map { mean[row * e + $0] / Double(templates.count) }
            let norm = f.map { $0 * $0 }.reduce(0, +).squareRoot()
            for j in 0..<e { worst = max(worst, abs(Double(zs.textFeatures.data[row * e + j]) - f[j] / norm)) }
        }
        #expect(zs.textFeatures.shape == [c, e])
        #expect(worst < 1e-6, "largest difference \(worst)")
        // Not the single-template features: the ensemble changes them.
        let one = try ZeroShotClassifier(clip: clip, classnames: Self.classnames, tokenizer: tokenizer)
        #expect((0..<(c * e)).contains { abs(one.textFeatures.data[$0] - zs.textFeatures.data[$0]) > 1e-3 })
    }
}
