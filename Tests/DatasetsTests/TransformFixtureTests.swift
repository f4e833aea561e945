import Foundation
import Imaging
import Support
import Testing
@testable import Datasets

// MARK: - Fixture (Scripts/gen_transform_fixture.py)

/// One case of Tests/Fixtures/transforms/transforms.json.
struct TransformCase: CustomStringConvertible, Sendable {
    let name: String
    let kind: String
    let image: String
    let top: Int, left: Int, height: Int, width: Int
    let outWidth: Int, outHeight: Int
    let flip: Bool
    let tensor: Bool

    var description: String { name }

    static let folder = fixtureFolder("transforms")

    static let all: [TransformCase] = {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("transforms.json").path),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = root["cases"] as? [[String: Any]] else { return [] }
        return cases.map { c in
            TransformCase(name: c["name"] as! String, kind: c["kind"] as! String, image: c["image"] as! String,
                          top: c["top"] as? Int ?? 0, left: c["left"] as? Int ?? 0,
                          height: c["height"] as? Int ?? 0, width: c["width"] as? Int ?? 0,
                          outWidth: c["out_width"] as! Int, outHeight: c["out_height"] as! Int,
                          flip: c["flip"] as! Bool, tensor: c["tensor"] as! Bool)
        }
    }()

    /// The fixture image (for a test case with a crop box: that crop of it).
    func decodedImage() throws -> RGBImage {
        let full = try ImageDecoder.decode(fileAt: fixtureFolder("preprocess").appendingPathComponent(image))
        guard kind == "test", width > 0 else { return full }
        return crop(full, PixelRect(x: left, y: top, width: width, height: height))
    }
}

@Suite("Transforms against Pillow (fixed parameters)")
struct TransformFixtureTests {
    let arrays: SafetensorsFile

    init() throws {
        arrays = try SafetensorsFile(url: TransformCase.folder.appendingPathComponent("transforms.safetensors"))
    }

    @Test func fixtureHasCases() {
        #expect(TransformCase.all.count >= 12)
        // The cases that take Pillow 13's vertical-first path really do.
        for c in TransformCase.all where c.name.contains("vertical_first") || c.name == "jpeg_tensor_flip" {
            #expect(pillowResamplesVerticalFirst(inWidth: c.width, inHeight: c.height, outWidth: c.outWidth,
                                                 outHeight: c.outHeight), "\(c)")
        }
    }

    /// The transform under test for a case: SIZE = (outHeight, outWidth).
    func transform(_ c: TransformCase) throws -> ImageTransform {
        var settings = TransformSettings()
        settings.height = c.outHeight
        settings.width = c.outWidth
        return try ImageTransform(settings: settings, mode: c.kind == "test" ? .test : .train)
    }

    @Test(arguments: TransformCase.all)
    func uint8ResultIsPillowExact(_ c: TransformCase) throws {
        let image = try c.decodedImage()
        let params = AugmentationParams(top: c.top, left: c.left, height: c.height, width: c.width, flip: c.flip)
        let out = try transform(c).geometric(image, params: c.kind == "test" ? nil : params)
        let expected = try arrays.uint8s(c.name)
        #expect(out.width == c.outWidth && out.height == c.outHeight)
        let (diff, at) = maxDifference(out.pixels, expected)
        #expect(out.pixels == expected, "\(c): largest difference \(diff) at byte \(at)")
    }

    @Test(arguments: TransformCase.all.filter(\.tensor))
    func float32TensorIsTorchExact(_ c: TransformCase) throws {
        let image = try c.decodedImage()
        let t = try transform(c)
        let params = AugmentationParams(top: c.top, left: c.left, height: c.height, width: c.width, flip: c.flip)
        let geometric = t.geometric(image, params: c.kind == "test" ? nil : params)
        var out = [Float](repeating: .nan, count: t.outputCount)
        out.withUnsafeMutableBufferPointer { t.toTensor(geometric, into: $0.baseAddress!) }
        let expected = try arrays.floats(c.name + ".tensor")
        #expect(expected.count == out.count)
        let mismatches = zip(out, expected).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(mismatches == 0, "\(c): \(mismatches) floats differ from torch's ToTensor + Normalize")
    }

    @Test func testTransformWithKeyIgnoresTheKey() throws {
        let c = try #require(TransformCase.all.first { $0.kind == "test" })
        let t = try transform(c)
        let image = try c.decodedImage()
        let a = try t(image, key: nil)
        let b = try t(image, key: AugmentationKey(seed: 1, epoch: 2, sampleIndex: 3))
        #expect(a == b)
        #expect(!t.isRandom)
    }
}

// MARK: - Crop + resize = crop, then resize

@Suite("resizeBicubic(from:) equals crop then resize (torchvision resized_crop on PIL)")
struct ResizedCropIdentityTests {
    @Test(arguments: ["chelsea_q90.jpg", "astronaut.png", "coffee.png"])
    func regionResizeEqualsExplicitCropThenResize(_ name: String) throws {
        let image = try ImageDecoder.decode(fileAt: fixtureFolder("preprocess").appendingPathComponent(name))
        var checked = 0
        for i in 0..<40 {
            // Regions from the real RandomResizedCrop draw, plus a few extreme ones.
            let p = AugmentationParams.draw(key: AugmentationKey(seed: 7, epoch: 0, sampleIndex: i),
                                            imageWidth: image.width, imageHeight: image.height)
            var region = PixelRect(x: p.left, y: p.top, width: p.width, height: p.height)
            if i == 0 { region = PixelRect(x: 0, y: 0, width: image.width, height: image.height) }
            if i == 1 { region = PixelRect(x: image.width - 3, y: image.height - 2, width: 3, height: 2) }
            if i == 2 { region = PixelRect(x: 1, y: 0, width: image.width - 1, height: 1) }
            let size = [(224, 224), (224, 160), (17, 301)][i % 3]
            let direct = resizeBicubic(image, from: region, width: size.0, height: size.1)
            let explicit = resizeBicubic(crop(image, region), width: size.0, height: size.1)
            #expect(direct == explicit, "\(name) region \(region) -> \(size)")
            checked += 1
        }
        #expect(checked == 40)
    }
}
