import Foundation
import Support
import Testing
import TestSupport
import TorchFormats
@testable import Datasets

/// CoOp's own few-shot cache (`split_fewshot/shot_K-seed_S.pkl`): written beside our JSON in
/// CoOp's format, read when present and checked against our draw (the cache wins).
@Suite("CoOp few-shot pickle cache")
struct CoOpPickleCacheTests {
    /// The OxfordPets tree of ``FewShotCacheTests``.
    func pets() throws -> TemporaryDirectory { try FewShotCacheTests().pets() }

    func pickle(_ tmp: TemporaryDirectory, shots: Int, seed: Int) -> URL {
        tmp.url.appendingPathComponent("oxford_pets/split_fewshot/shot_\(shots)-seed_\(seed).pkl")
    }

    @Test("A draw writes CoOp's .pkl beside the JSON: Datum objects with absolute paths, labels, class names")
    func writesPickle() throws {
        let tmp = try pets()
        let s = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil,
                                        options: .init(numShots: 2, seed: 1))
        let cache = try DasslFewShotCache.read(path: pickle(tmp, shots: 2, seed: 1).path)
        #expect(cache.train.map(\.impath) == s.train.map(\.imagePath))
        #expect(cache.train.map(\.label) == s.train.map(\.label))
        #expect(cache.val.map(\.classname) == s.val.map(\.classname))
        #expect(cache.train.allSatisfy { $0.impath.hasPrefix("/") && $0.domain == 0 })
    }

    @Test("A .pkl drawn on another machine (other absolute paths) that equals our draw is used without warning")
    func foreignPathsSameDraw() throws {
        let tmp = try pets()
        let full = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil)
        let drawn = FewShot.drawCoOp(train: full.train, val: full.val, numShots: 2, seed: 5)
        func elsewhere(_ d: Datum) -> DasslDatum {
            DasslDatum(impath: "/home/someone/DATA/oxford_pets/images/" + full.relativePath(of: d), label: d.label,
                       classname: d.classname)
        }
        let url = pickle(tmp, shots: 2, seed: 5)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try DasslFewShotCache.write(train: drawn.train.map(elsewhere), val: drawn.val.map(elsewhere), to: url)
        let s = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil,
                                        options: .init(numShots: 2, seed: 5))
        #expect(s.train == drawn.train && s.val == drawn.val, "resolved to this machine's files")
        #expect(s.warnings.isEmpty, "\(s.warnings)")
        #expect(s.fewShotNote?.contains(url.path) == true)
    }

    @Test("A .pkl that differs from our draw wins, with a warning naming the file and the first difference")
    func differentCacheWins() throws {
        let tmp = try pets()
        let full = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil)
        let chosen = FewShot.groupByLabel(full.train).map { $0.items[0] }
        func dassl(_ d: Datum) -> DasslDatum { DasslDatum(impath: d.imagePath, label: d.label, classname: d.classname) }
        let url = pickle(tmp, shots: 1, seed: 1)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let val = FewShot.drawCoOp(train: full.train, val: full.val, numShots: 1, seed: 1).val
        try DasslFewShotCache.write(train: chosen.map(dassl), val: val.map(dassl), to: url)
        let s = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil,
                                        options: .init(numShots: 1, seed: 1))
        #expect(s.train == chosen)
        #expect(s.warnings.count == 1)
        #expect(s.warnings.first?.hasPrefix("\(url.path): CoOp's few-shot cache differs") == true, "\(s.warnings)")
        #expect(s.warnings.first?.contains("train[") == true)
    }

    @Test("A .pkl item that is no item of the split is refused naming the file and item")
    func unknownItem() throws {
        let tmp = try pets()
        let url = pickle(tmp, shots: 1, seed: 1)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try DasslFewShotCache.write(train: [DasslDatum(impath: "/x/images/nope.jpg", label: 0, classname: "a")],
                                    val: [], to: url)
        let e = expectDatasetError { _ = try DatasetCatalog.load(name: "OxfordPets", root: tmp.url, splitFile: nil,
                                                                 options: .init(numShots: 1, seed: 1)) }
        let images = tmp.url.appendingPathComponent("oxford_pets/images").path
        #expect(e == .staleCache(path: url.path, reason: "train[0] /x/images/nope.jpg (label 0) is not an item of "
            + "the train split under \(images)"), "\(String(describing: e))")
    }
}
