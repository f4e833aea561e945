import Foundation
import Imaging
import Testing
import TestSupport

/// The committed tiny CLIP (Demo/tiny_clip.safetensors) on real images: Fashion-MNIST test
/// images converted by `cocoop demo-data` from Debian's dataset-fashion-mnist. These
/// assert accuracies, not only that the commands run.
@Suite("Demo model", .serialized)
struct DemoModelTests {
    static let weights = Cocoop.packageRoot.appendingPathComponent("Demo/tiny_clip.safetensors").path
    static let datasetConfig = Cocoop.packageRoot.appendingPathComponent("Configs/demo/fashion_mnist.yaml").path
    static let config = { (name: String) in
        Cocoop.packageRoot.appendingPathComponent("Configs/demo/\(name).yaml").path
    }
    static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// Converts 32 training and 40 test images per class into a temporary folder.
    static func makeData(trainPerClass: Int = 32, testPerClass: Int = 40) throws -> URL {
        try #require(FileManager.default.fileExists(atPath: fashionMNIST + "/t10k-images-idx3-ubyte.gz"),
                     """
                     Fashion-MNIST is missing (\(fashionMNIST)): run Scripts/setup.sh, which installs the Debian \
                     package dataset-fashion-mnist
                     """)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-demo-\(UUID().uuidString)")
        let r = try Cocoop.run(["demo-data", "--output", root.path, "--train-per-class", "\(trainPerClass)",
                                "--test-per-class", "\(testPerClass)", "--quiet"])
        try #require(r.status == 0, "demo-data failed: \(r.stderr)")
        return root
    }

    /// Runs `cocoop train` (one process) and returns the accuracy in its results.json.
    static func accuracy(_ arguments: [String], root: URL, output: URL) throws -> Double {
        let r = try Cocoop.run(["train", "--weights", weights, "--root", root.path,
                                "--dataset-config-file", datasetConfig, "--output-dir", output.path] + arguments,
                               timeout: 150)
        try #require(r.status == 0, "cocoop train \(arguments.joined(separator: " ")) failed:\n\(r.stderr)")
        let data = try Data(contentsOf: output.appendingPathComponent("results.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(json["accuracy"] as? Double)
    }

    // MARK: - Converter

    @Test("demo-data writes CoOp's split-file layout with the IDX pixels, labels and class names")
    func converter() throws {
        let root = try Self.makeData(trainPerClass: 3, testPerClass: 2)
        defer { try? FileManager.default.removeItem(at: root) }
        let splitURL = root.appendingPathComponent("fashion_mnist/split_fashion_mnist.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: splitURL))
        let split = try #require(json as? [String: [[Any]]])
        #expect(split["train"]?.count == 30)
        #expect(split["val"]?.count == 0)
        #expect(split["test"]?.count == 20)
        // The first test image of t10k is an ankle boot (label 9); its file is that image.
        let first = try #require(split["test"]?.first)
        #expect(first[0] as? String == "images/test/9_ankle_boot/00000.png")
        #expect(first[1] as? Int == 9)
        #expect(first[2] as? String == "ankle boot")
        let names = Set((split["test"] ?? []).map { "\($0[1]) \($0[2])" })
        #expect(names.contains("0 t-shirt/top") && names.contains("7 sneaker") && names.count == 10)
        let boot = splitURL.deletingLastPathComponent().appendingPathComponent("images/test/9_ankle_boot/00000.png")
        let image = try ImageDecoder.decode(fileAt: boot)
        #expect(image.width == 28 && image.height == 28)
        // Gray replicated to RGB; row 14, columns 10..<18 and the pixel sum from the IDX file.
        let row = (10..<18).map { image.pixels[(14 * 28 + $0) * 3] }
        #expect(row == [0, 0, 98, 136, 110, 109, 110, 162])
        #expect(stride(from: 0, to: image.pixels.count, by: 3).reduce(0) { $0 + Int(image.pixels[$1]) } == 33456)
    }

    @Test("demo-data refuses more images per class than the files hold, before writing anything")
    func converterRefusesImpossibleCounts() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-demo-\(UUID().uuidString)")
        for (args, message) in [(["--train-per-class", "6001"],
                                 "the Fashion-MNIST training file has only 6000 images of class 0"),
                                (["--train-per-class", "5990", "--val-per-class", "11"],
                                 "--val-per-class 11 after 5990 training images"),
                                (["--test-per-class", "1001"], "the Fashion-MNIST test file has only 1000 images"),
                                (["--val-per-class", "4"], "give --train-per-class too")] {
            let r = try Cocoop.run(["demo-data", "--output", root.path, "--quiet"] + args)
            #expect(r.status == 2 && r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: root.path))
        }
    }

    // MARK: - Accuracy

    @Test("zero-shot accuracy of the tiny CLIP on 400 Fashion-MNIST test images is far above chance (10%)")
    func zeroShot() throws {
        let root = try Self.makeData()
        defer { try? FileManager.default.removeItem(at: root) }
        let acc = try Self.accuracy(["--trainer", "ZeroshotCLIP", "--config-file", Self.config("zeroshot_tiny")],
                                    root: root, output: root.appendingPathComponent("zeroshot"))
        #expect(acc > 60, "zero-shot accuracy \(acc)% on 10 classes")
    }

    @Test("CoCoOp trained on 16 shots of the base classes beats zero-shot CLIP on the base classes")
    func cocoopBeatsZeroShotOnBase() throws {
        let root = try Self.makeData()
        defer { try? FileManager.default.removeItem(at: root) }
        let zeroShot = try Self.accuracy(["--trainer", "ZeroshotCLIP", "--config-file", Self.config("zeroshot_tiny"),
                                          "DATASET.SUBSAMPLE_CLASSES", "base"],
                                         root: root, output: root.appendingPathComponent("zeroshot"))
        let cocoop = try Self.accuracy(["--trainer", "CoCoOp", "--config-file", Self.config("prompt_tiny"),
                                        "--seed", "1", "DATASET.NUM_SHOTS", "16", "DATASET.SUBSAMPLE_CLASSES", "base"],
                                       root: root, output: root.appendingPathComponent("cocoop"))
        #expect(cocoop > zeroShot + 2, "CoCoOp \(cocoop)% vs zero-shot \(zeroShot)% on the 5 base classes (200 images)")
    }
}
