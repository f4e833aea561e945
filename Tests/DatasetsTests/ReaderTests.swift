import Foundation
import Testing
import TestSupport
@testable import Datasets

/// (DATASET.NAME, dataset folder, image folder, split file) of CoOp's split-file datasets.
let coopSplitLayouts: [(String, String, String, String)] = [
    ("OxfordPets", "oxford_pets", "images", "split_zhou_OxfordPets.json"),
    ("OxfordFlowers", "oxford_flowers", "jpg", "split_zhou_OxfordFlowers.json"),
    ("DescribableTextures", "dtd", "images", "split_zhou_DescribableTextures.json"),
    ("EuroSAT", "eurosat", "2750", "split_zhou_EuroSAT.json"),
    ("StanfordCars", "stanford_cars", "", "split_zhou_StanfordCars.json"),
    ("Food101", "food-101", "images", "split_zhou_Food101.json"),
    ("SUN397", "sun397", "SUN397", "split_zhou_SUN397.json"),
    ("Caltech101", "caltech-101", "101_ObjectCategories", "split_zhou_Caltech101.json"),
    ("UCF101", "ucf101", "UCF-101-midframes", "split_zhou_UCF101.json"),
]

/// A split with `perClass` train images, 2 val and 3 test per class, for class names `names`.
func syntheticSplit(_ names: [String], perClass: Int) -> (train: [(String, Int, String)], val: [(String, Int, String)],
                                                          test: [(String, Int, String)]) {
    func items(_ split: String, _ n: Int) -> [(String, Int, String)] {
        // Interleave classes so that first-appearance order is not label order.
        (0..<n).flatMap { i in names.indices.reversed().map { ("\(names[$0])/\(split)_\(i).jpg", $0, names[$0]) } }
    }
    return (items("train", perClass), items("val", 2), items("test", 3))
}

@Suite("Dataset readers in CoOp's layouts")
struct ReaderTests {
    @Test(arguments: coopSplitLayouts.map { $0.0 })
    func splitFileDatasets(name: String) throws {
        let (_, folder, imageFolder, splitName) = coopSplitLayouts.first { $0.0 == name }!
        let tmp = try TemporaryDirectory("cocoop-datasets")
        let names = ["abyssinian", "american_bulldog", "beagle"]
        let split = syntheticSplit(names, perClass: 5)
        try tmp.writeSplit("\(folder)/\(splitName)", train: split.train, val: split.val, test: split.test)
        let imageDir = imageFolder.isEmpty ? folder : "\(folder)/\(imageFolder)"
        try tmp.touch((split.train + split.val + split.test).map { "\(imageDir)/\($0.0)" })

        let s = try DatasetCatalog.load(name: name, root: tmp.url, splitFile: nil)
        #expect(s.name == name)
        #expect(s.classnames == names)
        #expect(s.train.count == 15 && s.val.count == 6 && s.test.count == 9)
        #expect(s.imageRoot.path == tmp.url.appendingPathComponent(imageDir).path)
        #expect(s.train[0].imagePath == tmp.url.appendingPathComponent("\(imageDir)/beagle/train_0.jpg").path)
        #expect(s.train[0].label == 2 && s.train[0].classname == "beagle" && s.train[0].domain == 0)
        #expect(s.relativePath(of: s.train[0]) == "beagle/train_0.jpg")
        try s.checkImagesExist()
        _ = try DatasetCatalog.load(name: name, root: tmp.url, splitFile: nil, options: .init(checkImages: true))
    }

    @Test func missingImageIsNamed() throws {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        try tmp.writeSplit("dtd/split_zhou_DescribableTextures.json", train: [("banded/a.jpg", 0, "banded")], val: [],
                           test: [("banded/b.jpg", 0, "banded")])
        try tmp.touch(["dtd/images/banded/a.jpg"])
        // Lazy by default: loading succeeds, the check names the file.
        let s = try DatasetCatalog.load(name: "DescribableTextures", root: tmp.url, splitFile: nil)
        let missing = tmp.url.appendingPathComponent("dtd/images/banded/b.jpg").path
        #expect(expectDatasetError { try s.test[0].checkExists() } == .missingImage(path: missing))
        #expect(expectDatasetError { try s.checkImagesExist() } == .missingImage(path: missing))
        let e = expectDatasetError { _ = try DatasetCatalog.load(name: "DescribableTextures", root: tmp.url,
                                                                 splitFile: nil, options: .init(checkImages: true)) }
        #expect(e == .missingImage(path: missing))
        #expect(e?.description == "image not found: \(missing)")
    }

    @Test func missingSplitFileAndUnknownName() throws {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        let e = expectDatasetError { _ = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil) }
        #expect(e == .missing(path: tmp.url.appendingPathComponent("oxford_pets/split_zhou_OxfordPets.json").path,
                              what: "split file"))
        let unknown = expectDatasetError { _ = try DatasetCatalog.load(name: "Pets", root: tmp.url, splitFile: nil) }
        guard case .unknownDataset(let n, let known)? = unknown else {
            Issue.record("expected unknownDataset"); return
        }
        #expect(n == "Pets" && known.contains("OxfordPets") && known.count == 16)
        // Case-insensitive fallback.
        #expect(try DatasetCatalog.descriptor(named: "oxfordpets").name == "OxfordPets")
    }

    @Test func labelGapIsAnError() throws {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        try tmp.writeSplit("eurosat/split_zhou_EuroSAT.json", train: [("a.jpg", 0, "Forest"), ("b.jpg", 2, "River")],
                           val: [], test: [])
        let e = expectDatasetError { _ = try DatasetCatalog.load(name: "EuroSAT", root: tmp.url, splitFile: nil) }
        guard case .labelWithoutName(let label, let n, _)? = e else {
            Issue.record("expected labelWithoutName"); return
        }
        #expect(label == 1 && n == 3)
    }

    @Test func genericSplitFileIsRelativeToItsFolder() throws {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        try tmp.writeSplit("custom/sets/my_split.json", train: [("pics/a.png", 0, "x"), ("pics/b.png", 1, "y")],
                           val: [], test: [("pics/c.png", 1, "y")])
        let s = try DatasetCatalog.load(name: "SplitFile", root: tmp.url,
                                        splitFile: URL(fileURLWithPath: "custom/sets/my_split.json"))
        #expect(s.train[0].imagePath == tmp.url.appendingPathComponent("custom/sets/pics/a.png").path)
        #expect(s.classnames == ["x", "y"])
        let abs = try DatasetCatalog.load(name: "SplitFile", root: URL(fileURLWithPath: "/elsewhere"),
                                          splitFile: tmp.url.appendingPathComponent("custom/sets/my_split.json"))
        #expect(abs.test == s.test)
        let e = expectDatasetError { _ = try DatasetCatalog.load(name: "SplitFile", root: tmp.url, splitFile: nil) }
        guard case .invalidOption(let key, _, _)? = e else {
            Issue.record("expected invalidOption"); return
        }
        #expect(key == "DATASET.SPLIT_FILE")
    }

    @Test func fgvcAircraft() throws {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        try tmp.write("fgvc_aircraft/variants.txt", "707-320\nA300B4\nCessna 172\n\n")
        try tmp.write("fgvc_aircraft/images_variant_train.txt", "1025794 707-320\n0123 Cessna 172\n2000 A300B4\n")
        try tmp.write("fgvc_aircraft/images_variant_val.txt", "0456 Cessna 172\r\n")
        try tmp.write("fgvc_aircraft/images_variant_test.txt", "0789 A300B4\n")
        let s = try DatasetCatalog.load(name: "FGVCAircraft", root: tmp.url, splitFile: nil)
        #expect(s.classnames == ["707-320", "A300B4", "Cessna 172"])
        #expect(s.train.map(\.label) == [0, 2, 1])
        #expect(s.train[1].classname == "Cessna 172")
        #expect(s.train[1].imagePath == tmp.url.appendingPathComponent("fgvc_aircraft/images/0123.jpg").path)
        #expect(s.val.map(\.label) == [2] && s.test.map(\.label) == [1])

        try tmp.write("fgvc_aircraft/images_variant_test.txt", "0789 A300B4\n0790 Boeing 747\n")
        let e = expectDatasetError { _ = try DatasetCatalog.load(name: "FGVCAircraft", root: tmp.url, splitFile: nil) }
        guard case .badLine(let path, let line, let reason)? = e else {
            Issue.record("expected badLine, got \(String(describing: e))"); return
        }
        #expect(path.hasSuffix("images_variant_test.txt") && line == 2 && reason.contains("'Boeing 747'"))
    }

    /// classnames.txt for three wnids.
    func writeImageNetClassnames(_ tmp: TemporaryDirectory, _ folder: String) throws {
        try tmp.write("\(folder)/classnames.txt", "n01440764 tench\nn01443537 goldfish\nn01484850 great white shark\n")
    }

    @Test func imageNet() throws {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        try writeImageNetClassnames(tmp, "imagenet")
        for wnid in ["n01484850", "n01440764", "n01443537"] {
            try tmp.touch(["imagenet/images/train/\(wnid)/b.JPEG", "imagenet/images/train/\(wnid)/a.JPEG",
                           "imagenet/images/train/\(wnid)/.hidden", "imagenet/images/val/\(wnid)/v.JPEG"])
        }
        let s = try DatasetCatalog.load(name: "ImageNet", root: tmp.url, splitFile: nil)
        #expect(s.classnames == ["tench", "goldfish", "great white shark"])
        #expect(s.train.map(\.label) == [0, 0, 1, 1, 2, 2])
        #expect(s.train.map { s.relativePath(of: $0) }.prefix(2) == ["train/n01440764/a.JPEG",
                                                                     "train/n01440764/b.JPEG"])
        #expect(s.test.count == 3 && s.val == s.test)
        #expect(!s.isTestOnly)

        try tmp.touch(["imagenet/images/val/n99999999/x.JPEG"])
        let e = expectDatasetError { _ = try DatasetCatalog.load(name: "ImageNet", root: tmp.url, splitFile: nil) }
        guard case .unknownClass(_, let name, _)? = e else {
            Issue.record("expected unknownClass"); return
        }
        #expect(name == "n99999999")
    }

    @Test func imageNetV2() throws {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        try writeImageNetClassnames(tmp, "imagenetv2")
        for label in 0..<3 {
            try tmp.touch(["imagenetv2/imagenetv2-matched-frequency-format-val/\(label)/img\(label).jpeg"])
        }
        let s = try DatasetCatalog.load(name: "ImageNetV2", root: tmp.url, splitFile: nil,
                                        options: .init(numShots: 16, subsample: .base))
        #expect(s.isTestOnly && s.train.isEmpty && s.val.isEmpty)
        #expect(s.test.map(\.label) == [0, 1, 2]
                && s.test.map(\.classname) == ["tench", "goldfish", "great white shark"])
        #expect(s.classnames.count == 3)
        let cache = tmp.url.appendingPathComponent("imagenetv2/split_fewshot")
        #expect(!FileManager.default.fileExists(atPath: cache.path))
    }

    @Test(arguments: [("ImageNetA", "imagenet-adversarial", "imagenet-a"),
                      ("ImageNetR", "imagenet-rendition", "imagenet-r"),
                      ("ImageNetSketch", "imagenet-sketch", "images")])
    func imageNetFolderVariants(name: String, folder: String, imageFolder: String) throws {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        try writeImageNetClassnames(tmp, folder)
        // A subset of the classes (as -A and -R hold 200 of 1000), plus README.txt.
        try tmp.touch(["\(folder)/\(imageFolder)/n01484850/x.jpg", "\(folder)/\(imageFolder)/n01484850/y.jpg",
                       "\(folder)/\(imageFolder)/n01440764/z.jpg", "\(folder)/\(imageFolder)/README.txt"])
        let s = try DatasetCatalog.load(name: name, root: tmp.url, splitFile: nil)
        #expect(s.classnames == ["tench", "great white shark"])
        #expect(s.test.map(\.label) == [0, 1, 1])
        #expect(s.test.map { s.relativePath(of: $0) } == ["n01440764/z.jpg", "n01484850/x.jpg", "n01484850/y.jpg"])
        #expect(s.isTestOnly && s.train.isEmpty)
    }
}
