import Foundation

// MARK: - Datum

/// One labelled image, as Dassl's `Datum`.
///
/// `imagePath` is an ABSOLUTE file path (as Dassl's `impath`): the image folder of the
/// dataset joined with the relative path of the split file. `DatasetSplits.imageRoot` is
/// that folder, so `DatasetSplits.relativePath(of:)` gives back the split file's form.
public struct Datum: Hashable, Sendable, CustomStringConvertible {
    /// Absolute path of the image file.
    public var imagePath: String
    /// 0-based class label; `DatasetSplits.classnames[label]` is its name.
    public var label: Int
    /// Class name as the dataset spells it ('_' not yet replaced by ' ').
    public var classname: String
    /// Domain label (0 for every dataset of the paper).
    public var domain: Int

    /// Creates a datum; `domain` defaults to 0 as in Dassl.
    public init(imagePath: String, label: Int, classname: String, domain: Int = 0) {
        self.imagePath = imagePath
        self.label = label
        self.classname = classname
        self.domain = domain
    }

    /// "path (label: classname)".
    public var description: String { "\(imagePath) (\(label): \(classname))" }

    /// Throws `DatasetError.missingImage` unless `imagePath` is an existing regular file.
    public func checkExists() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: imagePath, isDirectory: &isDirectory),
              !isDirectory.boolValue else {
            throw DatasetError.missingImage(path: imagePath)
        }
    }
}

// MARK: - Splits

/// The three splits of one dataset and its class names (index = label), what Dassl's
/// `DatasetBase` holds after a CoOp dataset's constructor ran.
public struct DatasetSplits: Sendable {
    /// DATASET.NAME (e.g. "OxfordPets").
    public var name: String
    /// The dataset folder (`$ROOT/<dataset_dir>`, or the split file's folder for SplitFile);
    /// `split_fewshot/` lives here.
    public var datasetDirectory: URL
    /// The folder image paths of the split file are relative to.
    public var imageRoot: URL
    /// Labelled training data (`train_x`); empty for test-only datasets.
    public var train: [Datum]
    /// Validation data (for ImageNet the test set, as in CoOp; empty for test-only datasets).
    public var val: [Datum]
    /// Test data.
    public var test: [Datum]
    /// Class names in label order: `classnames[d.label] == d.classname` for every datum.
    public var classnames: [String]
    /// True for ImageNetV2/-Sketch/-A/-R: no training data, few-shot and base/new do not apply.
    public var isTestOnly: Bool
    /// The split file the items were read from (nil for folder-based layouts).
    public var splitFile: URL?
    /// Where the few-shot subset came from ("read from <cache>" / "drawn with seed S,
    /// cached in <cache>"), nil when no few-shot subset was taken.
    public var fewShotNote: String?
    /// Warnings of the loading (a CoOp few-shot cache that differs from the draw) for the run's log.
    public var warnings: [String] = []
    /// Where the images' bytes come from: the files at `Datum.imagePath` (the default) or
    /// a dataset pack (`DatasetLoadOptions.packedFile`).
    public var imageSource: any ImageSource = FolderImageSource()

    /// Creates splits; see the properties.
    public init(name: String, datasetDirectory: URL, imageRoot: URL, train: [Datum], val: [Datum],
                test: [Datum], classnames: [String], isTestOnly: Bool = false, splitFile: URL? = nil) {
        self.splitFile = splitFile
        self.name = name
        self.datasetDirectory = datasetDirectory
        self.imageRoot = imageRoot
        self.train = train
        self.val = val
        self.test = test
        self.classnames = classnames
        self.isTestOnly = isTestOnly
    }

    /// Number of classes (`classnames.count`).
    public var numClasses: Int { classnames.count }

    /// The split named "train", "val" or "test".
    public subscript(split: Split) -> [Datum] {
        switch split {
        case .train: return train
        case .val: return val
        case .test: return test
        }
    }

    /// `d.imagePath` relative to `imageRoot` (the split file's form), or the absolute path
    /// when it lies outside.
    public func relativePath(of d: Datum) -> String {
        let prefix = imageRoot.path.hasSuffix("/") ? imageRoot.path : imageRoot.path + "/"
        return d.imagePath.hasPrefix(prefix) ? String(d.imagePath.dropFirst(prefix.count)) : d.imagePath
    }

    /// Checks that every image of every split exists.
    /// - Throws: `DatasetError.missingImage` naming the first missing file.
    public func checkImagesExist() throws {
        var seen = Set<String>()
        for d in train + val + test where seen.insert(d.imagePath).inserted {
            try d.checkExists()
        }
    }
}

/// A split name, spelled as in split files.
public enum Split: String, CaseIterable, Sendable {
    /// Labelled training data (Dassl's `train_x`).
    case train
    /// Validation data.
    case val
    /// Test data.
    case test
}

// MARK: - Class names from items

extension DatasetSplits {
    /// Class names in label order from the items of `lists`, as Dassl's `get_lab2cname`
    /// does from `train_x`, but over all lists and checked: one name per label, labels
    /// 0..<C without gaps.
    /// - Parameter source: names the data in error messages (a file path).
    /// - Throws: `DatasetError.classnameMismatch` or `.labelWithoutName`.
    public static func classnames(from lists: [(Split, [Datum])], source: String) throws -> [String] {
        let byLabel = try namesByLabel(lists, source: source)
        guard let maxLabel = byLabel.keys.max() else { return [] }
        return try (0...maxLabel).map { label in
            guard let name = byLabel[label] else {
                throw DatasetError.labelWithoutName(label: label, numClasses: maxLabel + 1, source: source)
            }
            return name
        }
    }

    /// The class name of each label in `lists`, checking that no label has two names.
    /// - Throws: `DatasetError.classnameMismatch` naming both entries.
    static func namesByLabel(_ lists: [(Split, [Datum])], source: String) throws -> [Int: String] {
        var byLabel: [Int: DatasetError.EntryLocation] = [:]
        for (split, items) in lists {
            for (i, d) in items.enumerated() {
                // A control character (NUL, ESC, ...) would break the checkpoint's strings and
                // the terminal: refused here, before anything is trained.
                if d.classname.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                    throw DatasetError.badClassname(path: source, split: split.rawValue, index: i,
                                                    classname: d.classname)
                }
                if let first = byLabel[d.label] {
                    if first.classname != d.classname {
                        let here = DatasetError.EntryLocation(split: split.rawValue, index: i, classname: d.classname)
                        throw DatasetError.classnameMismatch(path: source, label: d.label, first: first, second: here)
                    }
                } else {
                    byLabel[d.label] = DatasetError.EntryLocation(split: split.rawValue, index: i,
                                                                  classname: d.classname)
                }
            }
        }
        return byLabel.mapValues(\.classname)
    }
}
