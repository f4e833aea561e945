import Foundation
import Testing
@testable import Imaging

// MARK: - Fixture description (preprocess.json)

/// One image of Tests/Fixtures/preprocess and what Pillow/torchvision made of it.
struct PreprocessCase: CustomStringConvertible, Sendable {
    let stem: String
    let file: String
    let mode: String
    let width: Int
    let height: Int
    let size: Int
    let resizedWidth: Int
    let resizedHeight: Int
    let cropLeft: Int
    let cropTop: Int

    var description: String { "\(stem)/\(size)" }
    var url: URL { FixturePaths.preprocess.appendingPathComponent(file) }

    /// Every (image, target size) pair listed in preprocess.json.
    static let all: [PreprocessCase] = {
        let url = FixturePaths.preprocess.appendingPathComponent("preprocess.json")
        guard let data = FileManager.default.contents(atPath: url.path),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let images = root["images"] as? [[String: Any]]
        else { return [] }
        var cases: [PreprocessCase] = []
        for image in images {
            guard let stem = image["stem"] as? String, let file = image["file"] as? String,
                  let mode = image["mode"] as? String, let width = image["width"] as? Int,
                  let height = image["height"] as? Int, let sizes = image["sizes"] as? [String: Any]
            else { continue }
            for (key, value) in sizes.sorted(by: { $0.key < $1.key }) {
                guard let size = Int(key), let info = value as? [String: Any],
                      let rw = info["resized_w"] as? Int, let rh = info["resized_h"] as? Int,
                      let left = info["crop_left"] as? Int, let top = info["crop_top"] as? Int
                else { continue }
                cases.append(PreprocessCase(stem: stem, file: file, mode: mode, width: width, height: height,
                                            size: size, resizedWidth: rw, resizedHeight: rh,
                                            cropLeft: left, cropTop: top))
            }
        }
        return cases
    }()
}

// MARK: - Comparison helpers

/// How two uint8 arrays differ: count of differing entries and the largest difference.
func byteDifference(_ a: [UInt8], _ b: [UInt8]) -> (count: Int, max: Int) {
    var count = 0, largest = 0
    for (x, y) in zip(a, b) where x != y {
        count += 1
        largest = max(largest, abs(Int(x) - Int(y)))
    }
    return (count, largest)
}

/// Largest absolute difference and number of entries that are not bit-identical.
func floatDifference(_ a: [Float], _ b: [Float]) -> (maxAbs: Float, notIdentical: Int) {
    var largest: Float = 0, notIdentical = 0
    for (x, y) in zip(a, b) {
        if x.bitPattern != y.bitPattern { notIdentical += 1 }
        largest = max(largest, abs(x - y))
    }
    return (largest, notIdentical)
}

/// nil when the images are identical, else a short description of how they differ
/// (keeps failure messages readable instead of printing whole pixel arrays).
func imageMismatch(_ a: RGBImage, _ b: RGBImage) -> String? {
    if a.width != b.width || a.height != b.height {
        return "size \(a.width) x \(a.height) vs \(b.width) x \(b.height)"
    }
    let diff = byteDifference(a.pixels, b.pixels)
    return diff.count == 0 ? nil : "\(diff.count) of \(a.pixels.count) bytes differ, max \(diff.max)"
}

// MARK: - Tests

@Suite("Imaging: preprocessing vs Pillow/torchvision fixtures")
struct PreprocessFixtureTests {
    static let arrays = Result { try FixtureArrays(path: FixturePaths.preprocessArrays.path) }

    @Test("preprocess.json lists the 12 cases")
    func casesPresent() {
        #expect(PreprocessCase.all.count == 12)
    }

    @Test("decoding matches Pillow's convert('RGB')", arguments: ["chelsea_q90", "dog_04", "bunny"])
    func decodedPixels(stem: String) throws {
        let arrays = try Self.arrays.get()
        let item = try #require(PreprocessCase.all.first { $0.stem == stem })
        let image = try ImageDecoder.decode(fileAt: item.url)
        #expect(image.width == item.width && image.height == item.height)
        let expected = try arrays.uint8("\(stem)/rgb_full")
        #expect(try arrays.shape("\(stem)/rgb_full") == [item.height, item.width, 3])
        let diff = byteDifference(image.pixels, expected)
        #expect(diff.count == 0, "\(stem): \(diff.count) of \(expected.count) bytes differ, max \(diff.max)")
    }

    @Test("RGB PNGs decode to sizes in preprocess.json",
          arguments: ["astronaut", "chelsea", "coffee"])
    func plainPNG(stem: String) throws {
        let item = try #require(PreprocessCase.all.first { $0.stem == stem })
        let image = try ImageDecoder.decode(fileAt: item.url)
        #expect(image.width == item.width && image.height == item.height)
        // The JPEG fixture was encoded from chelsea.png: its decode must stay close.
        if stem == "chelsea" {
            let jpeg = try ImageDecoder.decode(
                fileAt: FixturePaths.preprocess.appendingPathComponent("chelsea_q90.jpg"))
            let diff = byteDifference(image.pixels, jpeg.pixels)
            #expect(diff.max < 64)
        }
    }

    @Test("Resize(N) is Pillow's bicubic resize, bit for bit", arguments: PreprocessCase.all)
    func resize(item: PreprocessCase) throws {
        let arrays = try Self.arrays.get()
        let image = try ImageDecoder.decode(fileAt: item.url)
        let size = resizedSize(width: image.width, height: image.height, shorterSide: item.size)
        #expect(size.width == item.resizedWidth && size.height == item.resizedHeight)
        let resized = resizeShorterSide(image, to: item.size)
        let name = "\(item.stem)/\(item.size)/resized_uint8"
        #expect(try arrays.shape(name) == [item.resizedHeight, item.resizedWidth, 3])
        let diff = byteDifference(resized.pixels, try arrays.uint8(name))
        #expect(diff.count == 0, "\(item): \(diff.count) of \(resized.pixels.count) bytes differ, max \(diff.max)")
    }

    @Test("Resize + CenterCrop uint8 equals Pillow's", arguments: PreprocessCase.all)
    func resizeAndCrop(item: PreprocessCase) throws {
        let arrays = try Self.arrays.get()
        let image = try ImageDecoder.decode(fileAt: item.url)
        let rect = centerCropRect(imageWidth: item.resizedWidth, imageHeight: item.resizedHeight,
                                  width: item.size, height: item.size)
        #expect(rect.x == item.cropLeft && rect.y == item.cropTop)
        let expected = try arrays.uint8("\(item.stem)/\(item.size)/uint8")
        let windowed = CLIPPreprocessor(resolution: item.size).resizeAndCrop(image)
        #expect(windowed.width == item.size && windowed.height == item.size)
        let diff = byteDifference(windowed.pixels, expected)
        #expect(diff.count == 0, "\(item): \(diff.count) of \(expected.count) bytes differ, max \(diff.max)")
        // The two-step path (full resize, then crop) gives the same pixels.
        let twoStep = centerCrop(resizeShorterSide(image, to: item.size), size: item.size)
        #expect(imageMismatch(twoStep, windowed) == nil)
    }

    @Test("ToTensor + Normalize equals torchvision's tensor", arguments: PreprocessCase.all)
    func tensor(item: PreprocessCase) throws {
        let arrays = try Self.arrays.get()
        let image = try ImageDecoder.decode(fileAt: item.url)
        let tensor = CLIPPreprocessor(resolution: item.size)(image)
        let name = "\(item.stem)/\(item.size)/tensor"
        #expect(try arrays.shape(name) == [3, item.size, item.size])
        let expected = try arrays.float32(name)
        #expect(tensor.count == expected.count)
        let diff = floatDifference(tensor, expected)
        #expect(diff.maxAbs <= 1e-6, "\(item): max |diff| \(diff.maxAbs)")
        #expect(diff.notIdentical == 0, "\(item): \(diff.notIdentical) of \(expected.count) floats not bit-identical")
    }

    @Test("normalize reproduces the stored tensor from the stored uint8 crop", arguments: PreprocessCase.all)
    func normalizeFromStoredBytes(item: PreprocessCase) throws {
        let arrays = try Self.arrays.get()
        let crop = RGBImage(width: item.size, height: item.size,
                            pixels: try arrays.uint8("\(item.stem)/\(item.size)/uint8"))
        let preprocessor = CLIPPreprocessor(resolution: item.size)
        var tensor = [Float](repeating: .nan, count: preprocessor.tensorCount)
        tensor.withUnsafeMutableBufferPointer { preprocessor.normalize(crop, into: $0.baseAddress!) }
        let diff = floatDifference(tensor, try arrays.float32("\(item.stem)/\(item.size)/tensor"))
        #expect(diff.notIdentical == 0, "\(item): \(diff.notIdentical) floats differ, max \(diff.maxAbs)")
    }
}
