import Foundation
import Imaging
import Support

/// `cocoop demo-data`: turns the image data Debian ships (Fashion-MNIST, Open Clip Art)
/// into CoOp's split-file layout, so the demo's data takes the same path as users' data.
enum DemoDataCommand: Command {
    static let name = "demo-data"
    static let summary = "convert Debian's Fashion-MNIST (and clip art) to CoOp's split-file layout"
    static let usage = """
    usage: cocoop demo-data --output DATA [--fashion-mnist DIR] [--train-per-class N] [--val-per-class N]
                            [--test-per-class N] [--openclipart DIR] [--clipart-size S] [--quiet]

    Writes DATA/fashion_mnist/split_fashion_mnist.json and its PNGs (28 x 28 gray, as in the
    IDX files), for training with
      DATASET.NAME SplitFile DATASET.SPLIT_FILE fashion_mnist/split_fashion_mnist.json
    Class names (label order): \(FashionMNIST.classnames.joined(separator: ", ")).
    train takes the first N images of each class of the 60,000 training images (file
    order), val the next N; test the first N of each class of the 10,000 test images.
    Nothing is random, so the same options always give the same files.

      --output DATA          the dataset root (DATASET.ROOT); created if missing
      --fashion-mnist DIR    the IDX files (default \(FashionMNIST.debianFolder),
                             Debian package dataset-fashion-mnist)
      --train-per-class N    default all (6000); --val-per-class N default 0;
      --test-per-class N     default all (1000)
      --openclipart DIR      also convert clip art (Debian package openclipart-png:
                             /usr/share/openclipart/png) to DATA/openclipart/ with
                             split_openclipart.json: composited over white, padded to a
                             square, resized (bicubic) to S x S (--clipart-size, default 64);
                             class = the file's folder; every 5th file (sorted) is test.
                             Skips the folders \(ClipArtLayout.excludedFolders.joined(separator: ", "))
                             (icons, flags, stars and patterns)
      --quiet                print nothing but errors
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["output", "fashion-mnist", "train-per-class", "val-per-class",
                                             "test-per-class", "openclipart", "clipart-size"],
                              boolean: ["quiet"])
        guard a.positional.isEmpty else { throw UsageError("unexpected argument '\(a.positional[0])'") }
        guard let output = a.value("output") else { throw UsageError("--output DATA is required") }
        let root = URL(fileURLWithPath: output)
        let quiet = a.has("quiet")
        let counts = FashionMNIST.Counts(train: try a.int("train-per-class", default: -1),
                                         val: try a.int("val-per-class", default: 0),
                                         test: try a.int("test-per-class", default: -1))
        for (option, n) in [("train-per-class", counts.train), ("val-per-class", counts.val),
                            ("test-per-class", counts.test)]
        where a.value(option) != nil && n < 0 {
            throw UsageError("--\(option) must not be negative, got \(n)")
        }
        if counts.val > 0 && counts.train < 0 {
            throw UsageError("--val-per-class takes the images after the first --train-per-class ones of each class: "
                             + "give --train-per-class too (at most \(6000 - counts.val))")
        }
        let started = Date()
        let written = try FashionMNIST.convert(from: a.value("fashion-mnist") ?? FashionMNIST.debianFolder,
                                               to: root, counts: counts)
        if !quiet {
            print("fashion_mnist: "
                  + "\(written.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", ")) images -> "
                  + root.appendingPathComponent(FashionMNIST.splitFile).path)
        }
        if let clipart = a.value("openclipart") {
            let size = try a.int("clipart-size", default: 64)
            guard size > 0 else { throw UsageError("--clipart-size must be positive") }
            let summary = try ClipArtLayout.convert(from: URL(fileURLWithPath: clipart), to: root, size: size)
            if !quiet {
                print("openclipart: \(summary) -> \(root.appendingPathComponent(ClipArtLayout.splitFile).path)")
            }
        }
        if !quiet { print(String(format: "done in %.1f s", Date().timeIntervalSince(started))) }
        return 0
    }
}

// MARK: - Fashion-MNIST

/// Fashion-MNIST (Zalando, MIT licence) from its IDX files to PNGs plus a split JSON.
enum FashionMNIST {
    /// Where Debian's dataset-fashion-mnist puts the IDX files.
    static let debianFolder = "/usr/share/datasets/fashion-mnist"
    /// The split file, relative to the dataset root.
    static let splitFile = "fashion_mnist/split_fashion_mnist.json"
    /// The class names in label order (Zalando's labels, lower case).
    static let classnames = ["t-shirt/top", "trouser", "pullover", "dress", "coat",
                             "sandal", "shirt", "sneaker", "bag", "ankle boot"]
    static let installHint = "install the Debian package dataset-fashion-mnist, e.g. with Scripts/setup.sh"

    /// Images per class in each split (-1: all).
    struct Counts { var train: Int; var val: Int; var test: Int }

    /// Converts; returns the number of items per split.
    static func convert(from folder: String, to root: URL, counts: Counts) throws -> [String: Int] {
        func file(_ name: String) -> String {
            let base = URL(fileURLWithPath: folder).appendingPathComponent(name).path
            return FileManager.default.fileExists(atPath: base + ".gz") ? base + ".gz" : base
        }
        let trainSet = try IDXSet(images: file("train-images-idx3-ubyte"), labels: file("train-labels-idx1-ubyte"),
                                  hint: installHint)
        let testSet = try IDXSet(images: file("t10k-images-idx3-ubyte"), labels: file("t10k-labels-idx1-ubyte"),
                                 hint: installHint)
        let datasetDir = root.appendingPathComponent("fashion_mnist")
        let unlimited = Int.max
        // Train and val come from the training file (val after train, per class), test from t10k.
        let plan: [(split: String, set: IDXSet, skip: Int, take: Int)] = [
            ("train", trainSet, 0, counts.train < 0 ? unlimited : counts.train),
            ("val", trainSet, counts.train < 0 ? unlimited : counts.train, counts.val < 0 ? unlimited : counts.val),
            ("test", testSet, 0, counts.test < 0 ? unlimited : counts.test),
        ]
        // Asking for more images of a class than the file holds is an error, before anything is written.
        for (step, option) in zip(plan, ["--train-per-class", "--val-per-class", "--test-per-class"])
        where step.take != unlimited && step.skip != unlimited {
            var perClass = [Int](repeating: 0, count: 256)
            for l in step.set.labels { perClass[Int(l)] += 1 }
            if let label = classnames.indices.first(where: { perClass[$0] < step.skip + step.take }) {
                throw UsageError("\(option) \(step.take)\(step.skip > 0 ? " after \(step.skip) training images" : ""): "
                                 + "the Fashion-MNIST \(step.split == "test" ? "test" : "training") file has only "
                                 + "\(perClass[label]) images of class \(label) (\(classnames[label]))")
            }
        }
        var splits: [(String, JSONValue)] = []
        var written: [String: Int] = [:]
        for step in plan {
            let picked = pick(step.set.labels, skip: step.skip, take: step.take)
            let folder = step.split == "val" ? "train" : step.split  // val images are training images
            let items = picked.map { index -> (path: String, label: Int) in
                let label = Int(step.set.labels[index])
                return ("images/\(folder)/\(classFolder(label))/\(String(format: "%05d", index)).png", label)
            }
            try writeImages(step.set, indices: picked, paths: items.map(\.path), under: datasetDir)
            splits.append((step.split, .array(items.map {
                .array([.string($0.path), .int($0.label), .string(classnames[$0.label])])
            })))
            written[step.split] = items.count
        }
        try writeAtomically(JSONValue.object(splits).serialized(indent: 4) + "\n",
                            to: root.appendingPathComponent(splitFile))
        return written
    }

    /// Folder of one class: `<label>_<name>` with '/' and ' ' replaced by '_'.
    static func classFolder(_ label: Int) -> String {
        "\(label)_" + classnames[label].replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: " ", with: "_")
    }

    /// Indices (file order) of the images ranked skip..<skip+take within their class.
    static func pick(_ labels: [UInt8], skip: Int, take: Int) -> [Int] {
        var seen = [Int](repeating: 0, count: 256)
        var out: [Int] = []
        for (i, l) in labels.enumerated() {
            let rank = seen[Int(l)]
            seen[Int(l)] += 1
            if rank >= skip && rank - skip < take { out.append(i) }
        }
        return out
    }

    /// Writes the PNGs on all cores.
    static func writeImages(_ set: IDXSet, indices: [Int], paths: [String], under dir: URL) throws {
        for folder in Set(paths.map { ($0 as NSString).deletingLastPathComponent }) {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(folder),
                                                    withIntermediateDirectories: true)
        }
        let plane = set.rows * set.columns
        let failures = FailureBox()
        DispatchQueue.concurrentPerform(iterations: max(1, ProcessInfo.processInfo.activeProcessorCount)) { worker in
            let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
            var k = worker
            while k < indices.count, failures.first == nil {
                let start = indices[k] * plane
                do {
                    try DemoPNG.write(Array(set.pixels[start..<start + plane]), width: set.columns, height: set.rows,
                                      channels: 1, to: dir.appendingPathComponent(paths[k]))
                } catch { failures.record(error) }
                k += workers
            }
        }
        if let e = failures.first { throw e }
    }
}

// MARK: - Open Clip Art

/// Open Clip Art Library PNGs (public domain) to square RGB PNGs plus a split JSON.
enum ClipArtLayout {
    static let splitFile = "openclipart/split_openclipart.json"
    /// Top-level folders left out: computer icons, flags and signs, stars, patterns,
    /// duplicates; their file names rarely say what the picture shows.
    static let excludedFolders = ["buttons", "computer", "logos", "shapes", "signs_and_symbols", "special", "unsorted"]

    /// Converts every PNG under `source` outside the excluded folders; returns a summary.
    static func convert(from source: URL, to root: URL, size: Int) throws -> String {
        let hint = "install the Debian package openclipart-png"
        guard let walker = FileManager.default.enumerator(at: source, includingPropertiesForKeys: nil) else {
            throw DemoDataError.unreadable(path: source.path, reason: "not a readable folder", hint: hint)
        }
        let base = source.standardizedFileURL.path
        var relative: [String] = []
        while let url = walker.nextObject() as? URL {
            guard url.pathExtension.lowercased() == "png" else { continue }
            let rel = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
            guard let top = rel.split(separator: "/").first, rel.contains("/"),
                  !excludedFolders.contains(String(top)) else { continue }
            relative.append(rel)
        }
        relative.sort()
        guard !relative.isEmpty else {
            throw DemoDataError.unreadable(path: source.path, reason: "no PNG files in the included folders",
                                           hint: hint)
        }
        let classOf = relative.map { rel -> String in
            let folder = (rel as NSString).deletingLastPathComponent
            return (folder as NSString).lastPathComponent.lowercased().replacingOccurrences(of: "_", with: " ")
        }
        let classnames = Array(Set(classOf)).sorted()
        let labelOf = Dictionary(uniqueKeysWithValues: classnames.enumerated().map { ($1, $0) })
        let datasetDir = root.appendingPathComponent("openclipart")
        for folder in Set(relative.map { ($0 as NSString).deletingLastPathComponent }) {
            try FileManager.default.createDirectory(at: datasetDir.appendingPathComponent("images/" + folder),
                                                    withIntermediateDirectories: true)
        }
        let ok = OkBox(count: relative.count)
        let skipped = FailureBox()
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var k = worker
            while k < relative.count {
                do {
                    let png = try DemoPNG.readRGBA(source.appendingPathComponent(relative[k]))
                    let image = ClipArt.squareOnWhite(width: png.width, height: png.height, rgba: png.pixels,
                                                      size: size)
                    try DemoPNG.write(image.pixels, width: size, height: size, channels: 3,
                                      to: datasetDir.appendingPathComponent("images/" + relative[k]))
                    ok.set(k)
                } catch { skipped.record(error) }
                k += workers
            }
        }
        var train: [JSONValue] = [], test: [JSONValue] = []
        var kept = 0
        for (k, rel) in relative.enumerated() where ok.isSet(k) {
            let item = JSONValue.array([.string("images/" + rel), .int(labelOf[classOf[k]]!), .string(classOf[k])])
            if kept % 5 == 4 { test.append(item) } else { train.append(item) }
            kept += 1
        }
        let json = JSONValue.object([("train", .array(train)), ("val", .array([])), ("test", .array(test))])
        try writeAtomically(json.serialized(indent: 4) + "\n", to: root.appendingPathComponent(splitFile))
        for e in skipped.all { printError("demo-data: skipped: \(e)") }
        return "\(kept) images (train \(train.count), test \(test.count)), \(classnames.count) classes"
            + (skipped.all.isEmpty ? "" : ", \(skipped.all.count) unreadable files skipped")
    }
}

// MARK: - Helpers

/// Writes `text` to a temporary name beside `url`, then renames it over `url`.
private func writeAtomically(_ text: String, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    do {
        try Data(text.utf8).write(to: url, options: .atomic)
    } catch {
        throw DemoDataError.unreadable(path: url.path,
                                       reason: "cannot write: \(FileFailure.reason(error))", hint: "")
    }
}

/// Errors collected from worker threads.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []
    var first: Error? { lock.lock(); defer { lock.unlock() }; return errors.first }
    var all: [Error] { lock.lock(); defer { lock.unlock() }; return errors }
    func record(_ e: Error) { lock.lock(); errors.append(e); lock.unlock() }
}

/// Which items a worker converted.
private final class OkBox: @unchecked Sendable {
    private let lock = NSLock()
    private var flags: [Bool]
    init(count: Int) { flags = [Bool](repeating: false, count: count) }
    func set(_ i: Int) { lock.lock(); flags[i] = true; lock.unlock() }
    func isSet(_ i: Int) -> Bool { lock.lock(); defer { lock.unlock() }; return flags[i] }
}
