import Support
import Foundation
import Testing
import TestSupport
@testable import Datasets

@Suite("Few-shot loading through the catalog, and its cache")
struct FewShotCacheTests {
    /// An OxfordPets tree with 4 classes of 10 train / 6 val / 3 test images.
    func pets() throws -> TemporaryDirectory {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        let split = syntheticSplit(["a", "b", "c", "d"], perClass: 10)
        var val = split.val
        val += syntheticSplit(["a", "b", "c", "d"], perClass: 0).val.map {
            ($0.0.replacingOccurrences(of: "val_", with: "val2_"), $0.1, $0.2)
        }
        val += syntheticSplit(["a", "b", "c", "d"], perClass: 0).val.map {
            ($0.0.replacingOccurrences(of: "val_", with: "val3_"), $0.1, $0.2)
        }
        try tmp.writeSplit("oxford_pets/split_zhou_OxfordPets.json", train: split.train, val: val, test: split.test)
        return tmp
    }

    @Test func drawsAsCoOpAndCaches() throws {
        let tmp = try pets()
        let full = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil)
        let s = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil,
                                        options: .init(numShots: 8, seed: 2))
        let expected = FewShot.drawCoOp(train: full.train, val: full.val, numShots: 8, seed: 2)
        #expect(s.train == expected.train && s.val == expected.val)
        #expect(s.train.count == 32 && s.val.count == 16)  // val: min(8, 4) per class
        #expect(s.test == full.test && s.classnames == full.classnames)

        let cache = tmp.url.appendingPathComponent("oxford_pets/split_fewshot/shot_8-seed_2.json")
        let json = try JSONValue.parse(Data(contentsOf: cache))
        #expect(json["train"] == SplitFile.json(s.train, imageRoot: s.imageRoot))
        #expect(json["val"] == SplitFile.json(s.val, imageRoot: s.imageRoot))
        #expect(s.fewShotNote?.contains("drawn with seed 2") == true)
    }

    @Test("A dataset root that cannot be written: drawn, not cached, one warning naming the folder")
    func readOnlyDatasetRoot() throws {
        let tmp = try pets()
        let full = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil)
        // A file where split_fewshot/ would go: the folder cannot be made, even by root
        // (for whom a chmod'ed folder is still writable); a non-root run also gets the chmod.
        let folder = tmp.url.appendingPathComponent("oxford_pets/split_fewshot")
        try Data("not a folder".utf8).write(to: folder)
        let dataset = tmp.url.appendingPathComponent("oxford_pets")
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: dataset.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dataset.path) }

        let s = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil,
                                        options: .init(numShots: 8, seed: 2))
        let expected = FewShot.drawCoOp(train: full.train, val: full.val, numShots: 8, seed: 2)
        #expect(s.train == expected.train && s.val == expected.val)
        #expect(s.warnings.filter { $0.contains("few-shot cache not written") }.count == 1)
        #expect(s.warnings.contains { $0.contains(folder.path) })
        #expect(s.fewShotNote?.contains("cached in") == false)
    }

    @Test func reusesAnExistingCache() throws {
        let tmp = try pets()
        let full = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil)
        // A hand-made cache (the first item of each class) must be taken as it is.
        let chosenTrain = FewShot.groupByLabel(full.train).map { $0.items[0] }
        let chosenVal = FewShot.groupByLabel(full.val).map { $0.items[1] }
        let cache = FewShot.cacheFile(datasetDirectory: full.datasetDirectory, numShots: 1, seed: 1)
        try FewShot.writeCache(cache, imageRoot: full.imageRoot, train: chosenTrain, val: chosenVal)
        let s = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil,
                                        options: .init(numShots: 1, seed: 1))
        #expect(s.train == chosenTrain && s.val == chosenVal)
        #expect(s.fewShotNote?.contains("read from") == true)
        // Without the cache the draw differs from this hand-made subset.
        let drawn = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil,
                                            options: .init(numShots: 1, seed: 1, useFewShotCache: false))
        #expect(drawn.train != chosenTrain)
    }

    @Test func staleCacheIsRefused() throws {
        let tmp = try pets()
        try tmp.write("oxford_pets/split_fewshot/shot_2-seed_1.json",
                      #"{"train": [["a/train_0.jpg", 0, "a"], ["zzz/none.jpg", 1, "b"]], "val": []}"#)
        let e = expectDatasetError { _ = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil,
                                                                 options: .init(numShots: 2, seed: 1)) }
        guard case .staleCache(let path, let reason)? = e else {
            Issue.record("expected staleCache, got \(String(describing: e))"); return
        }
        #expect(path.hasSuffix("split_fewshot/shot_2-seed_1.json") && reason.contains("train[1]"))
    }

    @Test func fewShotThenBaseNew() throws {
        let tmp = try pets()
        let s = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil,
                                        options: .init(numShots: 4, seed: 3, subsample: .new))
        #expect(s.classnames == ["c", "d"])
        #expect(Set(s.train.map(\.label)) == [0, 1] && s.train.count == 8 && s.test.count == 6)
        // The cache holds the few-shot subset before subsampling (all 4 classes), as CoOp's.
        let cached = try SplitFile.read(tmp.url.appendingPathComponent("oxford_pets/split_fewshot/shot_4-seed_3.json"),
                                        imageRoot: s.imageRoot, keys: [.train, .val])
        #expect(Set(cached[.train]!.map(\.label)) == [0, 1, 2, 3])
    }

    @Test func negativeSeedWithShotsIsRefused() throws {
        let tmp = try pets()
        guard case .invalidOption(let key, _, _)? = expectDatasetError({
            _ = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil,
                                        options: .init(numShots: 4, seed: -1))
        }) else { Issue.record("expected invalidOption"); return }
        #expect(key == "SEED")
    }

    @Test func imageNetDrawsTrainOnly() throws {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        try tmp.write("imagenet/classnames.txt", "n1 one\nn2 two\n")
        for w in ["n1", "n2"] {
            try tmp.touch((0..<5).map { "imagenet/images/train/\(w)/\($0).JPEG" } + ["imagenet/images/val/\(w)/v.JPEG"])
        }
        let full = try DatasetCatalog.load(name: "ImageNet", root: tmp.url, splitFile: nil)
        let s = try DatasetCatalog.load(name: "ImageNet", root: tmp.url, splitFile: nil,
                                        options: .init(numShots: 2, seed: 1))
        var rng = PythonRandom(seed: 1)
        #expect(s.train == FewShot.draw(full.train, numShots: 2, rng: &rng))
        #expect(s.val == full.test && s.test == full.test)
        let cacheFile = tmp.url.appendingPathComponent("imagenet/split_fewshot/shot_2-seed_1.json")
        let cache = try JSONValue.parse(Data(contentsOf: cacheFile))
        #expect(cache["val"] == nil && cache["train"] != nil)
        // Read back from the cache.
        let again = try DatasetCatalog.load(name: "ImageNet", root: tmp.url, splitFile: nil,
                                            options: .init(numShots: 2, seed: 1))
        #expect(again.train == s.train && again.val == full.test)
    }

    @Test func genericSplitFileCachesPerSplitFile() throws {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        try tmp.writeSplit("custom/one.json", train: [("a.png", 0, "x"), ("b.png", 0, "x"), ("c.png", 1, "y")],
                           val: [], test: [])
        _ = try DatasetCatalog.load(name: "SplitFile", root: tmp.url,
                                    splitFile: URL(fileURLWithPath: "custom/one.json"),
                                    options: .init(numShots: 1, seed: 1))
        let cache = tmp.url.appendingPathComponent("custom/split_fewshot/one/shot_1-seed_1.json")
        #expect(FileManager.default.fileExists(atPath: cache.path))
    }
}
