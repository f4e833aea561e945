import Foundation

/// How one DATASET.NAME is laid out under DATASET.ROOT, as CoOp's dataset classes define it.
public struct DatasetDescriptor: Sendable {
    /// How the items are found.
    public enum Layout: Sendable {
        /// `split_zhou_*.json` in the dataset folder; paths relative to the image folder.
        case coopSplitFile(splitFileName: String)
        /// variants.txt + images_variant_{train,val,test}.txt.
        case fgvcAircraft
        /// images/{train,val}/<wnid>/* + classnames.txt.
        case imageNet
        /// imagenetv2-matched-frequency-format-val/<label>/* + classnames.txt.
        case imageNetV2
        /// <image folder>/<wnid>/* + classnames.txt, classes = folders present.
        case imageNetFolders
        /// DATASET.SPLIT_FILE names the split file; paths relative to its folder.
        case genericSplitFile
    }

    /// DATASET.NAME as in CoOp's configs/datasets/*.yaml.
    public let name: String
    /// Folder under DATASET.ROOT (CoOp's `dataset_dir`); empty for SplitFile.
    public let folder: String
    /// Image folder inside the dataset folder ("" = the dataset folder itself).
    public let imageFolder: String
    /// How the items are found.
    public let layout: Layout

    /// True for datasets with no training data (ImageNetV2, -Sketch, -A, -R).
    public var isTestOnly: Bool {
        switch layout {
        case .imageNetV2, .imageNetFolders: return true
        default: return false
        }
    }
}

/// Options of `DatasetCatalog.load`, with the CoOp/Dassl config keys they stand for.
public struct DatasetLoadOptions: Sendable {
    /// DATASET.NUM_SHOTS: images per class in train (val gets min(K, 4)); < 1 keeps all.
    public var numShots: Int
    /// SEED: seeds Python's `random` before the few-shot draw; must be >= 0 when numShots >= 1.
    public var seed: Int
    /// DATASET.SUBSAMPLE_CLASSES.
    public var subsample: ClassSubset
    /// Check that every image exists while loading (Dassl's Datum asserts this eagerly).
    public var checkImages: Bool
    /// Read a cached few-shot subset if present and write one after drawing (CoOp does).
    public var useFewShotCache: Bool
    /// A dataset pack (`cocoop pack`) to read the splits and images from instead of the
    /// dataset folder; the items are the same `Datum`s the folder would give.
    public var packedFile: URL?

    /// Defaults: Dassl's NUM_SHOTS = -1 (all), SEED 1, SUBSAMPLE_CLASSES "all", lazy image
    /// checks, cache on, image files (no pack).
    public init(numShots: Int = -1, seed: Int = 1, subsample: ClassSubset = .all,
                checkImages: Bool = false, useFewShotCache: Bool = true, packedFile: URL? = nil) {
        self.numShots = numShots
        self.seed = seed
        self.subsample = subsample
        self.checkImages = checkImages
        self.useFewShotCache = useFewShotCache
        self.packedFile = packedFile
    }
}

/// Every dataset of the CoOp/CoCoOp papers, keyed by DATASET.NAME, plus "SplitFile".
public enum DatasetCatalog {
    /// The descriptors, in the order of CoOp's train.py imports.
    public static let descriptors: [DatasetDescriptor] = [
        .init(name: "OxfordPets", folder: "oxford_pets", imageFolder: "images",
              layout: .coopSplitFile(splitFileName: "split_zhou_OxfordPets.json")),
        .init(name: "OxfordFlowers", folder: "oxford_flowers", imageFolder: "jpg",
              layout: .coopSplitFile(splitFileName: "split_zhou_OxfordFlowers.json")),
        .init(name: "FGVCAircraft", folder: "fgvc_aircraft", imageFolder: "images", layout: .fgvcAircraft),
        .init(name: "DescribableTextures", folder: "dtd", imageFolder: "images",
              layout: .coopSplitFile(splitFileName: "split_zhou_DescribableTextures.json")),
        .init(name: "EuroSAT", folder: "eurosat", imageFolder: "2750",
              layout: .coopSplitFile(splitFileName: "split_zhou_EuroSAT.json")),
        .init(name: "StanfordCars", folder: "stanford_cars", imageFolder: "",
              layout: .coopSplitFile(splitFileName: "split_zhou_StanfordCars.json")),
        .init(name: "Food101", folder: "food-101", imageFolder: "images",
              layout: .coopSplitFile(splitFileName: "split_zhou_Food101.json")),
        .init(name: "SUN397", folder: "sun397", imageFolder: "SUN397",
              layout: .coopSplitFile(splitFileName: "split_zhou_SUN397.json")),
        .init(name: "Caltech101", folder: "caltech-101", imageFolder: "101_ObjectCategories",
              layout: .coopSplitFile(splitFileName: "split_zhou_Caltech101.json")),
        .init(name: "UCF101", folder: "ucf101", imageFolder: "UCF-101-midframes",
              layout: .coopSplitFile(splitFileName: "split_zhou_UCF101.json")),
        .init(name: "ImageNet", folder: "imagenet", imageFolder: "images", layout: .imageNet),
        .init(name: "ImageNetSketch", folder: "imagenet-sketch", imageFolder: "images", layout: .imageNetFolders),
        .init(name: "ImageNetV2", folder: "imagenetv2", imageFolder: "imagenetv2-matched-frequency-format-val",
              layout: .imageNetV2),
        .init(name: "ImageNetA", folder: "imagenet-adversarial", imageFolder: "imagenet-a", layout: .imageNetFolders),
        .init(name: "ImageNetR", folder: "imagenet-rendition", imageFolder: "imagenet-r", layout: .imageNetFolders),
        .init(name: "SplitFile", folder: "", imageFolder: "", layout: .genericSplitFile),
    ]

    /// The descriptor for DATASET.NAME (exact spelling first, then case-insensitive).
    /// - Throws: `DatasetError.unknownDataset` listing the known names.
    public static func descriptor(named name: String) throws -> DatasetDescriptor {
        if let d = descriptors.first(where: { $0.name == name }) { return d }
        if let d = descriptors.first(where: { $0.name.lowercased() == name.lowercased() }) { return d }
        throw DatasetError.unknownDataset(name: name, known: descriptors.map(\.name))
    }

    // MARK: - Loading

    /// Loads DATASET.NAME from DATASET.ROOT with every item (no few-shot, all classes).
    /// `splitFile` replaces the default split file of a split-file dataset and is required
    /// for "SplitFile"; a relative path (`URL(fileURLWithPath: "sub/x.json")`) is taken
    /// relative to `root`, not to the current directory.
    public static func load(name: String, root: URL, splitFile: URL?) throws -> DatasetSplits {
        try load(name: name, root: root, splitFile: splitFile, options: DatasetLoadOptions())
    }

    /// Loads a dataset as CoOp's constructor does: read the splits, draw (or reuse) the
    /// few-shot subset of train and val, then keep the base or new classes.
    ///
    /// Test-only datasets (ImageNetV2/-Sketch/-A/-R) ignore `numShots` and `subsample`,
    /// as CoOp does. ImageNet draws few-shot train only (val is the test set).
    /// - Throws: `DatasetError` naming the file, key or image that was wrong.
    public static func load(name: String, root: URL, splitFile: URL?,
                            options: DatasetLoadOptions) throws -> DatasetSplits {
        let descriptor = try descriptor(named: name)
        var options = options
        var splits: DatasetSplits
        if let pack = options.packedFile {
            splits = try readPacked(descriptor, pack: pack, root: root)
            // Without the dataset folder (a cluster with only the pack) there is no cache to
            // share: the draw is deterministic, so it is simply drawn again.
            if !FileManager.default.fileExists(atPath: splits.datasetDirectory.path) { options.useFewShotCache = false }
        } else {
            splits = try readAll(descriptor, root: root, splitFile: splitFile)
            if options.checkImages { try splits.checkImagesExist() }
        }
        guard !splits.isTestOnly else { return splits }
        if options.numShots >= 1 {
            splits = try fewShot(splits, descriptor: descriptor, options: options)
        }
        return splits.subsampled(options.subsample)
    }

    /// Reads every item of a dataset's splits (no few-shot, no subsampling).
    public static func readAll(_ descriptor: DatasetDescriptor, root: URL, splitFile: URL?) throws -> DatasetSplits {
        let dir = root.appendingPathComponent(descriptor.folder)
        switch descriptor.layout {
        case .coopSplitFile(let fileName):
            let imageRoot = descriptor.imageFolder.isEmpty ? dir : dir.appendingPathComponent(descriptor.imageFolder)
            let file = splitFile.map { resolve($0, root: root) } ?? dir.appendingPathComponent(fileName)
            return try readSplitFileDataset(name: descriptor.name, file: file, datasetDirectory: dir,
                                            imageRoot: imageRoot)
        case .genericSplitFile:
            guard let splitFile else {
                throw DatasetError.invalidOption(name: "DATASET.SPLIT_FILE", value: "",
                                                 reason: "DATASET.NAME SplitFile needs DATASET.SPLIT_FILE "
                                                         + "(a split JSON)")
            }
            let file = resolve(splitFile, root: root)
            let folder = file.deletingLastPathComponent()
            return try readSplitFileDataset(name: descriptor.name, file: file, datasetDirectory: folder,
                                            imageRoot: folder)
        case .fgvcAircraft:
            return try FGVCAircraftReader.read(datasetDirectory: dir, name: descriptor.name)
        case .imageNet:
            return try ImageNetReaders.readImageNet(datasetDirectory: dir, name: descriptor.name)
        case .imageNetV2:
            return try ImageNetReaders.readImageNetV2(datasetDirectory: dir, name: descriptor.name)
        case .imageNetFolders:
            return try ImageNetReaders.readFolderVariant(datasetDirectory: dir, imageFolder: descriptor.imageFolder,
                                                         name: descriptor.name)
        }
    }

    /// A split-file dataset: the three splits of `file`, class names from its entries.
    public static func readSplitFileDataset(name: String, file: URL, datasetDirectory: URL,
                                            imageRoot: URL) throws -> DatasetSplits {
        let parsed = try SplitFile.read(file, imageRoot: imageRoot)
        let train = parsed[.train]!, val = parsed[.val]!, test = parsed[.test]!
        let classnames = try DatasetSplits.classnames(from: [(.train, train), (.val, val), (.test, test)],
                                                      source: file.path)
        return DatasetSplits(name: name, datasetDirectory: datasetDirectory, imageRoot: imageRoot,
                             train: train, val: val, test: test, classnames: classnames, splitFile: file)
    }

    /// A split file given by a relative path (a URL with a base, as
    /// `URL(fileURLWithPath: "sub/x.json")` makes) lies under `root`; an absolute one is kept.
    private static func resolve(_ file: URL, root: URL) -> URL {
        file.baseURL != nil && !file.relativePath.hasPrefix("/") ? root.appendingPathComponent(file.relativePath) : file
    }

    // MARK: - Few-shot

    /// Replaces train (and val, except for ImageNet) by the few-shot subset for
    /// (numShots, seed): read from the cache if present, else drawn and cached.
    static func fewShot(_ splits: DatasetSplits, descriptor: DatasetDescriptor,
                        options: DatasetLoadOptions) throws -> DatasetSplits {
        guard options.seed >= 0 else {
            throw DatasetError.invalidOption(name: "SEED", value: "\(options.seed)",
                reason: "few-shot sampling (DATASET.NUM_SHOTS \(options.numShots)) needs SEED >= 0 "
                        + "so that every run and rank draws the same subset")
        }
        let drawVal: Bool
        if case .imageNet = descriptor.layout { drawVal = false } else { drawVal = true }
        var subfolder: String? = nil
        if case .genericSplitFile = descriptor.layout {
            // Several split files may share a folder: keep their caches apart.
            subfolder = splits.splitFile?.deletingPathExtension().lastPathComponent
        }
        let cache = FewShot.cacheFile(datasetDirectory: splits.datasetDirectory, numShots: options.numShots,
                                      seed: options.seed, subfolder: subfolder)
        var out = splits
        let pickle = FewShot.pickleCacheFile(json: cache)
        let hasJSON = FileManager.default.fileExists(atPath: cache.path)
        if options.useFewShotCache, FileManager.default.fileExists(atPath: pickle.path) {
            // CoOp's own cache: checked against our subset, and used as CoOp would use it.
            let drawn = hasJSON
                ? try FewShot.readCache(cache, imageRoot: splits.imageRoot, fullTrain: splits.train,
                                        fullVal: splits.val, readVal: drawVal)
                : FewShot.drawCoOp(train: splits.train, val: splits.val, numShots: options.numShots,
                                   seed: options.seed, drawVal: drawVal)
            let read = try FewShot.readPickleCache(pickle, imageRoot: splits.imageRoot, fullTrain: splits.train,
                                                   fullVal: splits.val, readVal: drawVal, drawn: drawn)
            (out.train, out.val) = (read.train, read.val)
            out.warnings += read.warning.map { [$0] } ?? []
            out.fewShotNote = "\(options.numShots) shots, read from \(pickle.path)"
        } else if options.useFewShotCache, hasJSON {
            (out.train, out.val) = try FewShot.readCache(cache, imageRoot: splits.imageRoot, fullTrain: splits.train,
                                                          fullVal: splits.val, readVal: drawVal)
            out.fewShotNote = "\(options.numShots) shots, read from \(cache.path)"
        } else {
            (out.train, out.val) = FewShot.drawCoOp(train: splits.train, val: splits.val, numShots: options.numShots,
                                                    seed: options.seed, drawVal: drawVal)
            var cached = false
            if options.useFewShotCache {
                // A read-only dataset root (a shared mount) is fine: the draw is the same on
                // every run, so the cache only saves time; without it the subset is redrawn.
                do {
                    try FewShot.writeCache(cache, imageRoot: splits.imageRoot, train: out.train,
                                           val: drawVal ? out.val : nil)
                    try FewShot.writePickleCache(pickle, train: out.train, val: drawVal ? out.val : nil)
                    cached = true
                } catch {
                    out.warnings.append("few-shot cache not written in \(cache.deletingLastPathComponent().path) "
                                        + "(\(error)); the subset is drawn again on every run")
                }
            }
            out.fewShotNote = "\(options.numShots) shots drawn with seed \(options.seed)"
                + (cached ? ", cached in \(cache.path)" : "")
        }
        return out
    }
}
