import Foundation
import Imaging
import Testing
@testable import Datasets

@Suite("Dataset packs (HDF5)")
struct PackTests {
    /// A test dataset (with an image in two splits) packed into `<root>/pack.h5`.
    func packed(_ data: TestDataset) throws -> (URL, DatasetPacker.Summary) {
        let file = data.root.appendingPathComponent("pack.h5")
        let summary = try DatasetPacker.pack(data.splits, root: data.root, to: file, software: "tests")
        return (file, summary)
    }

    @Test func packThenReadGivesIdenticalBytesItemsAndTensors() throws {
        let data = try TestDataset(count: 9)
        let (file, summary) = try packed(data)
        let folderItems = data.splits.train.count
        #expect(summary.images == folderItems) // val and test reuse train images
        #expect(summary.items == [.train: folderItems, .val: 3, .test: 4])
        #expect(!FileManager.default.fileExists(atPath: file.path + ".tmp"))

        for direct in [true, false] {
            let pack = try PackedDataset(contentsOf: file, directReads: direct)
            #expect(pack.datasetName == "SplitFile" && pack.classnames == data.splits.classnames)
            #expect(pack.count == folderItems)
            for i in 0..<pack.count {
                let original = try [UInt8](Data(
                    contentsOf: data.splits.imageRoot.appendingPathComponent(pack.relativePaths[i])))
                #expect(try pack.encodedImage(at: i) == original, "image \(i) (direct reads: \(direct))")
            }
            try pack.verifyChecksum()
            // Same Datums as the folder gives, images from the pack.
            let splits = pack.splits(root: data.root)
            #expect(splits.train == data.splits.train && splits.val == data.splits.val
                    && splits.test == data.splits.test)
            #expect(splits.imageRoot.path == data.splits.imageRoot.path
                    && splits.datasetDirectory.path == data.splits.datasetDirectory.path)
            #expect(splits.imageSource is PackedImageSource)
            let transform = try ImageTransform(settings: TransformSettings(size: 40), mode: .train)
            let fromPack = ImageLoader(source: splits.imageSource, transform: transform)
            let fromFolder = ImageLoader(source: FolderImageSource(), transform: transform)
            for (i, d) in splits.train.enumerated() {
                let key = AugmentationKey(seed: 4, epoch: 0, sampleIndex: i)
                #expect(try fromPack.load(d, key: key) == fromFolder.load(d, key: key), "\(d)")
            }
        }
    }

    @Test func catalogLoadsFromThePackWithTheSameFewShotDraw() throws {
        let data = try TestDataset(count: 15)
        let (file, _) = try packed(data)
        var options = DatasetLoadOptions(numShots: 2, seed: 3, subsample: .base, useFewShotCache: false)
        let folder = try DatasetCatalog.load(name: "SplitFile", root: data.root, splitFile: data.splitFile,
                                             options: options)
        // The image folder may be gone: everything comes from the pack.
        try FileManager.default.removeItem(at: data.root.appendingPathComponent("images"))
        options.packedFile = file
        let fromPack = try DatasetCatalog.load(name: "SplitFile", root: data.root, splitFile: nil, options: options)
        #expect(fromPack.train == folder.train && fromPack.val == folder.val && fromPack.test == folder.test)
        #expect(fromPack.classnames == folder.classnames)
        let loader = ImageLoader(source: fromPack.imageSource,
                                 transform: try ImageTransform(settings: TransformSettings(size: 24), mode: .test))
        for d in fromPack.test { _ = try loader.load(d, key: nil) }
        // A pack of another dataset is refused, naming both.
        #expect(throws: PackError.datasetMismatch(path: file.path, packed: "SplitFile", requested: "OxfordPets")) {
            try DatasetCatalog.load(name: "OxfordPets", root: data.root, splitFile: nil, options: options)
        }
    }

    @Test func imageOutsideThePackIsNamed() throws {
        let data = try TestDataset(count: 3, withFixtures: false)
        let (file, _) = try packed(data)
        let pack = try PackedDataset(contentsOf: file)
        let source = PackedImageSource(pack: pack, imageRoot: data.splits.imageRoot)
        let stranger = Datum(imagePath: data.splits.imageRoot.appendingPathComponent("images/other.jpg").path,
                             label: 0, classname: "class_0")
        #expect(throws: ImageLoadError.notInPack(path: stranger.imagePath, pack: file.path)) {
            try source.encodedImage(for: stranger)
        }
        #expect(source.displayName(for: data.splits.train[0]) == "\(file.path)[images/class_0/img_0.jpg]")
    }

    @Test func missingImageWhilePackingIsNamedAndLeavesNoFile() throws {
        let data = try TestDataset(count: 4, withFixtures: false)
        try FileManager.default.removeItem(atPath: data.path(2))
        let file = data.root.appendingPathComponent("pack.h5")
        #expect(throws: ImageLoadError.missingImage(path: data.path(2))) {
            try DatasetPacker.pack(data.splits, root: data.root, to: file)
        }
        #expect(!FileManager.default.fileExists(atPath: file.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: data.root.path)
            .filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func damagedPacksAreDetected() throws {
        let data = try TestDataset(count: 4, withFixtures: false)
        let (file, _) = try packed(data)
        var bytes = try [UInt8](Data(contentsOf: file))
        // Flip one byte inside the first image's stored bytes.
        let first = try [UInt8](Data(contentsOf: URL(fileURLWithPath: data.path(0))))
        let at = try #require(Data(bytes).range(of: Data(first))).lowerBound + first.count / 2
        bytes[at] ^= 0xFF
        let damaged = data.root.appendingPathComponent("damaged.h5")
        try Data(bytes).write(to: damaged)
        let pack = try PackedDataset(contentsOf: damaged)
        #expect(throws: PackError.self) { try pack.verifyChecksum() }
        // A truncated copy is refused when opened.
        let truncated = data.root.appendingPathComponent("truncated.h5")
        try Data(bytes.prefix(at)).write(to: truncated)
        #expect(throws: PackError.self) { try PackedDataset(contentsOf: truncated) }
        // Not a pack at all.
        #expect(throws: PackError.self) { try PackedDataset(contentsOf: URL(fileURLWithPath: data.path(0))) }
    }

    @Test func recordedPathsAreRelativeToTheRoot() {
        let root = URL(fileURLWithPath: "/data")
        #expect(DatasetPacker.recorded(URL(fileURLWithPath: "/data/oxford_pets/images"), root: root)
                    == "oxford_pets/images")
        #expect(DatasetPacker.recorded(URL(fileURLWithPath: "/data"), root: root) == "")
        #expect(DatasetPacker.recorded(URL(fileURLWithPath: "/elsewhere/x"), root: root) == "/elsewhere/x")
        #expect(DatasetPacker.recorded(URL(fileURLWithPath: "/data2/x"), root: root) == "/data2/x")
    }
}
