import Datasets
import Foundation

/// `cocoop pack`: one HDF5 file per dataset (every image, byte for byte, plus the splits),
/// for clusters where one large file on a shared file system beats many small ones.
enum PackCommand: Command {
    static let name = "pack"
    static let summary = "pack a dataset's images and splits into one HDF5 file (and check packs)"
    static let usage = """
    usage: cocoop pack --root DATA (--dataset-config-file FILE | --dataset NAME)
                       [--split-file FILE] --out FILE.h5
           cocoop pack --check FILE.h5 [--decode]

    Writes every image of every split of a dataset in CoOp's layout under DATA into one
    HDF5 file, exactly as the files hold them (no re-encoding), with the relative paths,
    labels, class names and split lists. Pack before few-shot sampling: a run reading the
    pack (DATASET.PACKED_FILE / DatasetLoadOptions.packedFile) draws its few-shot subset
    and base/new classes from the pack's items exactly as from the folder.

      --root DATA                 DATASET.ROOT
      --dataset-config-file FILE  a CoOp dataset YAML (DATASET.NAME, DATASET.SPLIT_FILE)
      --dataset NAME              DATASET.NAME (\(DatasetCatalog.descriptors.map(\.name).joined(separator: ", ")))
      --split-file FILE           DATASET.SPLIT_FILE (required for SplitFile)
      --out FILE.h5               the pack (written under a temporary name, then renamed)
      --check FILE.h5             recompute the SHA-256 of a pack's image bytes
      --decode                    with --check: also decode every image, listing bad ones

    Layout (h5py: f["images/bytes"][o:o+n].tobytes() is the file f["images/paths"][i]):
      /classnames, /images/{bytes,offsets,lengths,paths}, /splits/{train,val,test}/{image,label}
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["root", "dataset-config-file", "dataset", "split-file", "out", "check"],
                              boolean: ["decode"])
        guard a.positional.isEmpty else { throw UsageError("unexpected argument '\(a.positional[0])'") }
        if let check = a.value("check") { return try checkPack(URL(fileURLWithPath: check), decode: a.has("decode")) }
        guard let root = a.value("root") else { throw UsageError("--root DATA is required") }
        guard let out = a.value("out") else { throw UsageError("--out FILE.h5 is required") }
        var name = a.value("dataset"), splitFile = a.value("split-file")
        if let file = a.value("dataset-config-file") {
            let keys = try DatasetYAML.read(URL(fileURLWithPath: file))
            if name == nil { name = keys.name }
            if splitFile == nil { splitFile = keys.splitFile }
        }
        guard let name else {
            throw UsageError("give --dataset-config-file FILE (with DATASET.NAME) or --dataset NAME")
        }
        let rootURL = URL(fileURLWithPath: root)
        let descriptor = try DatasetCatalog.descriptor(named: name)
        let splits = try DatasetCatalog.readAll(descriptor, root: rootURL,
                                                splitFile: splitFile.map { URL(fileURLWithPath: $0) })
        let start = Date()
        let summary = try DatasetPacker.pack(splits, root: rootURL, to: URL(fileURLWithPath: out),
                                             software: "cocoop \(cocoopVersion)") { done, total in
            FileHandle.standardError.write("\rpacking \(done)/\(total) images".data(using: .utf8)!)
        }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
        let seconds = Date().timeIntervalSince(start)
        print("packed \(splits.name): \(summary.images) images, "
              + "\(String(format: "%.1f", Double(summary.bytes) / 1e6)) MB "
              + "(train \(summary.items[.train] ?? 0), val \(summary.items[.val] ?? 0), "
              + "test \(summary.items[.test] ?? 0) items) "
              + "in \(String(format: "%.1f", seconds)) s -> \(out)")
        print("sha256 of image bytes: \(summary.sha256)")
        return 0
    }

    /// `--check`: checksum, and with `decode` every image through the decoder.
    static func checkPack(_ file: URL, decode: Bool) throws -> Int32 {
        let pack = try PackedDataset(contentsOf: file)
        try pack.verifyChecksum()
        print("\(file.path): \(pack.datasetName), \(pack.count) images, \(pack.classnames.count) classes, "
              + "train/val/test \(pack.items[.train]!.count)/\(pack.items[.val]!.count)/\(pack.items[.test]!.count)"
              + "; SHA-256 ok")
        guard decode else { return 0 }
        let splits = pack.splits(root: file.deletingLastPathComponent())
        let loader = ImageLoader(source: splits.imageSource,
                                 transform: try ImageTransform(settings: TransformSettings(), mode: .test))
        var bad = 0
        var seen = Set<String>()
        for d in splits.train + splits.val + splits.test where seen.insert(d.imagePath).inserted {
            do { _ = try loader.decode(d) } catch {
                bad += 1
                print("bad image: \(error)")
            }
        }
        print("decoded \(seen.count) images, \(bad) bad")
        return bad == 0 ? 0 : 1
    }
}
