import Foundation
import Imaging
import Testing
@testable import Datasets

@Suite("ImageTransform: Dassl's transform lists")
struct ImageTransformTests {
    func image(_ name: String = "chelsea_q90.jpg") throws -> RGBImage {
        try ImageDecoder.decode(fileAt: fixtureFolder("preprocess").appendingPathComponent(name))
    }

    func settings(_ transforms: [String], size: Int = 64) -> TransformSettings {
        TransformSettings(size: size, transforms: transforms)
    }

    // MARK: - Validation

    @Test func unknownNameIsNamed() {
        #expect(throws: TransformError.unknownTransform(name: "random_rotation", known: TransformSettings.dasslNames)) {
            try ImageTransform(settings: settings(["random_resized_crop", "random_rotation"]), mode: .train)
        }
        // Dassl asserts every name at test time as well.
        #expect(throws: TransformError.self) {
            try ImageTransform(settings: settings(["random_rotation"]), mode: .test)
        }
    }

    @Test func unsupportedDasslTransformIsNamed() throws {
        do {
            _ = try ImageTransform(settings: settings(["random_flip", "colorjitter", "normalize"]), mode: .train)
            Issue.record("colorjitter accepted")
        } catch let error as TransformError {
            guard case .unsupportedTransform(let name, _) = error else { Issue.record("\(error)"); return }
            #expect(name == "colorjitter")
            #expect(error.description.contains("'colorjitter'"))
        }
        // The test transform ignores training-only names, as Dassl's does...
        _ = try ImageTransform(settings: settings(["random_flip", "colorjitter", "normalize"]), mode: .test)
        // ...but not instance_norm, which Dassl applies at test time.
        #expect(throws: TransformError.self) {
            try ImageTransform(settings: settings(["normalize", "instance_norm"]), mode: .test)
        }
    }

    @Test func otherSettingsAreChecked() {
        var s = settings(["normalize"])
        s.interpolation = "bilinear"
        #expect(throws: TransformError.unsupportedInterpolation("bilinear")) {
            try ImageTransform(settings: s, mode: .test)
        }
        s = settings(["normalize"]); s.pixelStd = [0.2, 0, 0.2]
        #expect(throws: TransformError.self) { try ImageTransform(settings: s, mode: .test) }
        s = settings(["normalize"]); s.pixelMean = [0.5]
        #expect(throws: TransformError.self) { try ImageTransform(settings: s, mode: .test) }
        s = settings(["random_resized_crop"]); s.rrcropScale = (0.9, 0.5)
        #expect(throws: TransformError.self) { try ImageTransform(settings: s, mode: .train) }
        s = settings(["random_resized_crop"]); s.height = 0
        #expect(throws: TransformError.self) { try ImageTransform(settings: s, mode: .train) }
    }

    // MARK: - Semantics

    @Test func randomTransformNeedsAKeyAndFollowsIt() throws {
        let t = try ImageTransform(settings: settings(["random_resized_crop", "random_flip", "normalize"]),
                                   mode: .train)
        let img = try image()
        #expect(t.isRandom)
        #expect(throws: TransformError.missingAugmentationKey) { try t(img, key: nil) }
        var flips = 0
        for i in 0..<8 {
            let key = AugmentationKey(seed: 5, epoch: 1, sampleIndex: i)
            let params = try #require(try t.augmentation(key: key, imageWidth: img.width, imageHeight: img.height))
            #expect(params == AugmentationParams.draw(key: key, imageWidth: img.width, imageHeight: img.height))
            if params.flip { flips += 1 }
            // The tensor is ToTensor + Normalize of crop -> resize -> flip.
            var expected = resizeBicubic(img, from: PixelRect(x: params.left, y: params.top, width: params.width,
                                                                            height: params.height),
                                         width: 64, height: 64)
            if params.flip { flipHorizontally(&expected) }
            let reference = CLIPPreprocessor(resolution: 64).normalizedTensor(expected)
            #expect(try t(img, key: key) == reference, "sample \(i): \(params)")
        }
        #expect(flips > 0 && flips < 8)
    }

    @Test func flipOnlyResizesToTheExactSizeFirst() throws {
        // Neither random_crop nor random_resized_crop: Dassl puts Resize(INPUT.SIZE) first.
        var s = settings(["random_flip", "normalize"])
        s.height = 48
        let t = try ImageTransform(settings: s, mode: .train)
        let img = try image()
        var sawFlip = false, sawPlain = false
        for i in 0..<10 {
            let key = AugmentationKey(seed: 2, epoch: 0, sampleIndex: i)
            let flip = try #require(try t.augmentation(key: key, imageWidth: img.width, imageHeight: img.height)).flip
            var expected = resizeBicubic(img, width: 64, height: 48)
            if flip { flipHorizontally(&expected); sawFlip = true } else { sawPlain = true }
            let out = try t.geometric(img, key: key)
            #expect(out == expected)
        }
        #expect(sawFlip && sawPlain)
    }

    @Test func centerCropIsIgnoredAtTrainingTimeAsInDassl() throws {
        let with = try ImageTransform(settings: settings(["random_resized_crop", "center_crop", "normalize"]),
                                      mode: .train)
        let without = try ImageTransform(settings: settings(["random_resized_crop", "normalize"]), mode: .train)
        let img = try image("coffee.png")
        let key = AugmentationKey(seed: 9, epoch: 3, sampleIndex: 1)
        #expect(try with(img, key: key) == without(img, key: key))
    }

    @Test func withoutNormalizeTheTensorIsToTensorOnly() throws {
        let t = try ImageTransform(settings: settings([]), mode: .test)
        let img = try image()
        let geometric = t.geometric(img, params: nil)
        let out = try t(img, key: nil)
        for i in [0, 100, 4095] {
            #expect(out[i] == Float(geometric.pixels[3 * i]) / Float(255))
        }
        #expect(!t.normalizes && t.steps.count == 3)
    }

    @Test(arguments: ["chelsea_q90.jpg", "astronaut.png", "coffee.png", "dog_04_drawn_with_strai_01.png"])
    func squareTestTransformEqualsCLIPPreprocessor(_ name: String) throws {
        let t = try ImageTransform(
            settings: TransformSettings(size: 224, transforms: ["random_resized_crop", "random_flip", "normalize"]),
            mode: .test)
        let img = try image(name)
        #expect(try t(img, key: nil) == CLIPPreprocessor(resolution: 224)(img))
    }

    @Test func stepsReadLikeDassl() throws {
        let t = try trainTransform()
        #expect(t.steps.first == "+ random resized crop (size=224x224, scale=(0.08, 1.0))")
        #expect(t.steps.contains("+ random flip"))
        let test = try ImageTransform(settings: TransformSettings(), mode: .test)
        #expect(test.steps.prefix(2) == ["+ resize the smaller edge to 224", "+ 224x224 center crop"])
    }

    @Test func flipReversesRows() {
        var img = RGBImage(width: 3, height: 2, pixels: Array(0..<18).map { UInt8($0) })
        flipHorizontally(&img)
        #expect(img.pixels == [6, 7, 8, 3, 4, 5, 0, 1, 2, 15, 16, 17, 12, 13, 14, 9, 10, 11])
    }
}

extension CLIPPreprocessor {
    /// ToTensor + Normalize of an image already of the output size.
    func normalizedTensor(_ image: RGBImage) -> [Float] {
        var out = [Float](repeating: 0, count: 3 * image.width * image.height)
        out.withUnsafeMutableBufferPointer { normalize(image, into: $0.baseAddress!) }
        return out
    }
}
