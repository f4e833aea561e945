import Foundation

/// ImageNet and its test-only variants as CoOp reads them. Each folder holds
/// `classnames.txt`: one "<wnid> <class name with spaces>" per line, 1000 lines in
/// ImageNet's label order.
enum ImageNetReaders {
    // MARK: - classnames.txt

    /// The (folder, class name) pairs of classnames.txt in file order (`read_classnames`).
    static func readClassnames(_ file: URL) throws -> [(folder: String, name: String)] {
        var seen = Set<String>()
        return try FileListing.strippedLines(of: file, what: "ImageNet class list (classnames.txt)").map { line in
            let parts = FileListing.splitOnSpace(line.text)
            guard parts.count >= 2, !parts[0].isEmpty else {
                throw DatasetError.badLine(path: file.path, line: line.number,
                                           reason: "expected '<folder> <class name>', found '\(line.text)'")
            }
            guard seen.insert(parts[0]).inserted else {
                throw DatasetError.badLine(path: file.path, line: line.number,
                                           reason: "folder '\(parts[0])' listed twice")
            }
            return (parts[0], parts[1...].joined(separator: " "))
        }
    }

    /// Items of `<dir>/<folder>/*` for each folder with the given label and class name.
    private static func items(in dir: URL, folders: [(folder: String, label: Int, name: String)]) throws -> [Datum] {
        var out: [Datum] = []
        for f in folders {
            let classDir = dir.appendingPathComponent(f.folder)
            for file in try FileListing.entries(of: classDir, what: "class folder").files {
                out.append(Datum(imagePath: classDir.appendingPathComponent(file).path, label: f.label,
                                 classname: f.name))
            }
        }
        return out
    }

    // MARK: - ImageNet

    /// `imagenet/images/{train,val}/<wnid>/*`; labels are the sorted train folders' indices;
    /// the test set ("val" folder) is also the validation set, as in CoOp.
    ///
    /// CoOp numbers the val folders on their own; when both hold the same wnids (the
    /// normal case) that is the same labelling, and a val wnid absent from train is an error.
    static func readImageNet(datasetDirectory dir: URL, name: String) throws -> DatasetSplits {
        let classFile = dir.appendingPathComponent("classnames.txt")
        let names = Dictionary(try readClassnames(classFile).map { ($0.folder, $0.name) },
                               uniquingKeysWith: { a, _ in a })
        let imageRoot = dir.appendingPathComponent("images")
        let trainDir = imageRoot.appendingPathComponent("train"), valDir = imageRoot.appendingPathComponent("val")
        let trainFolders = try FileListing.entries(of: trainDir, what: "ImageNet training folder").folders
        var labelOf: [String: Int] = [:]
        let trainClasses = try trainFolders.enumerated().map {
            (i, folder) -> (folder: String, label: Int, name: String) in
            guard let n = names[folder] else {
                throw DatasetError.unknownClass(path: trainDir.appendingPathComponent(folder).path, name: folder,
                                                classList: classFile.path)
            }
            labelOf[folder] = i
            return (folder, i, n)
        }
        let valClasses = try FileListing.entries(of: valDir, what: "ImageNet validation folder").folders.map {
            folder -> (folder: String, label: Int, name: String) in
            guard let label = labelOf[folder] else {
                throw DatasetError.unknownClass(path: valDir.appendingPathComponent(folder).path, name: folder,
                                                classList: "the training folders of \(trainDir.path)")
            }
            return (folder, label, trainClasses[label].name)
        }
        let train = try items(in: trainDir, folders: trainClasses)
        let test = try items(in: valDir, folders: valClasses)
        return DatasetSplits(name: name, datasetDirectory: dir, imageRoot: imageRoot, train: train, val: test,
                             test: test, classnames: trainClasses.map(\.name))
    }

    // MARK: - Test-only variants

    /// ImageNetV2 (matched frequency): `imagenetv2/imagenetv2-matched-frequency-format-val/<label>/*`
    /// for label 0..<C, C = lines of classnames.txt, class names in classnames.txt order.
    static func readImageNetV2(datasetDirectory dir: URL, name: String) throws -> DatasetSplits {
        let classes = try readClassnames(dir.appendingPathComponent("classnames.txt"))
        let imageRoot = dir.appendingPathComponent("imagenetv2-matched-frequency-format-val")
        let test = try items(in: imageRoot,
                             folders: classes.enumerated().map { ("\($0.offset)", $0.offset, $0.element.name) })
        return DatasetSplits(name: name, datasetDirectory: dir, imageRoot: imageRoot, train: [], val: [], test: test,
                             classnames: classes.map(\.name), isTestOnly: true)
    }

    /// ImageNet-Sketch, -A and -R: `<dataset_dir>/<image folder>/<wnid>/*`; the classes are
    /// the wnid folders present (sorted; 200 for -A and -R, 1000 for -Sketch), labelled
    /// 0..<C in that order, named by classnames.txt (non-folder entries such as
    /// README.txt are skipped, as CoOp's TO_BE_IGNORED does).
    static func readFolderVariant(datasetDirectory dir: URL, imageFolder: String,
                                  name: String) throws -> DatasetSplits {
        let classFile = dir.appendingPathComponent("classnames.txt")
        let names = Dictionary(try readClassnames(classFile).map { ($0.folder, $0.name) },
                               uniquingKeysWith: { a, _ in a })
        let imageRoot = dir.appendingPathComponent(imageFolder)
        let folders = try FileListing.entries(of: imageRoot, what: "\(name) image folder").folders
        let classes = try folders.enumerated().map { (i, folder) -> (folder: String, label: Int, name: String) in
            guard let n = names[folder] else {
                throw DatasetError.unknownClass(path: imageRoot.appendingPathComponent(folder).path, name: folder,
                                                classList: classFile.path)
            }
            return (folder, i, n)
        }
        let test = try items(in: imageRoot, folders: classes)
        return DatasetSplits(name: name, datasetDirectory: dir, imageRoot: imageRoot, train: [], val: [], test: test,
                             classnames: classes.map(\.name), isTestOnly: true)
    }
}
