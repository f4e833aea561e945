import Foundation
import Imaging
import Testing
import TestSupport
@testable import Datasets

// MARK: - Fixture paths

/// Tests/Fixtures/<name>, found from this file's path.
func fixtureFolder(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name)
}

// MARK: - Synthetic images

/// Test images encoded here (TurboJPEG for JPEG).
enum TestImages {
    /// A smooth colour pattern with some texture, different for every `seed`.
    static func pixels(width: Int, height: Int, seed: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                out[i] = UInt8(truncatingIfNeeded: (x * 255) / max(width - 1, 1) + seed * 37)
                out[i + 1] = UInt8(truncatingIfNeeded: (y * 255) / max(height - 1, 1) + seed * 11)
                out[i + 2] = UInt8(truncatingIfNeeded: ((x ^ y) & 31) * 8 + seed * 5)
            }
        }
        return out
    }

    /// A baseline JPEG (4:2:0, quality 90) of `pixels(width:height:seed:)`.
    static func jpeg(width: Int, height: Int, seed: Int) -> [UInt8] {
        try! ImageEncoder.jpeg(pixels(width: width, height: height, seed: seed), width: width, height: height)
    }
}

// MARK: - A small dataset on disk

/// A SplitFile dataset in a temporary folder: `count` JPEGs of assorted sizes in
/// `classes` classes, plus the PNG/JPEG fixture images; every item in train, the first
/// few in val and test too.
final class TestDataset {
    let dir: TemporaryDirectory
    let splitFile: URL
    let splits: DatasetSplits
    var root: URL { dir.url }

    init(count: Int = 12, classes: Int = 3, withFixtures: Bool = true) throws {
        let dir = try TemporaryDirectory("cocoop-datasets")
        self.dir = dir
        func write(_ relative: String, _ bytes: [UInt8]) throws { try Self.write(relative, bytes, in: dir.url) }
        var train: [(String, Int, String)] = []
        for i in 0..<count {
            let label = i % classes
            let rel = "images/class_\(label)/img_\(i).jpg"
            let (w, h) = [(500, 375), (375, 500), (96, 64), (320, 320), (1000, 150)][i % 5]
            try write(rel, TestImages.jpeg(width: w, height: h, seed: i))
            train.append((rel, label, "class_\(label)"))
        }
        if withFixtures {
            for (k, name) in ["chelsea_q90.jpg", "astronaut.png", "bunny_01.png"].enumerated() {
                let bytes = try [UInt8](Data(contentsOf: fixtureFolder("preprocess").appendingPathComponent(name)))
                let rel = "images/fixtures/\(name)"
                try write(rel, bytes)
                train.append((rel, k % classes, "class_\(k % classes)"))
            }
        }
        splitFile = try dir.writeSplit("split_test.json", train: train, val: Array(train.prefix(3)),
                                       test: Array(train.suffix(4)))
        splits = try DatasetCatalog.load(name: "SplitFile", root: dir.url, splitFile: splitFile,
                                         options: DatasetLoadOptions(useFewShotCache: false))
    }

    /// Writes `bytes` at `relative` under the dataset folder.
    func write(_ relative: String, _ bytes: [UInt8]) throws { try Self.write(relative, bytes, in: dir.url) }

    static func write(_ relative: String, _ bytes: [UInt8], in folder: URL) throws {
        let file = folder.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
    }

    /// The absolute path of train item `i`.
    func path(_ i: Int) -> String { splits.train[i].imagePath }
}

/// The CoOp training transform (224, bicubic, random_resized_crop + random_flip + normalize).
func trainTransform(size: Int = 224) throws -> ImageTransform {
    try ImageTransform(settings: TransformSettings(size: size), mode: .train)
}

/// Largest absolute difference of two byte arrays and the index where it occurs.
func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> (diff: Int, at: Int) {
    var best = (0, -1)
    for i in 0..<min(a.count, b.count) {
        let d = abs(Int(a[i]) - Int(b[i]))
        if d > best.0 { best = (d, i) }
    }
    return best
}
