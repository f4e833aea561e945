import Foundation
import TorchFormats

// CoOp's own few-shot cache, `split_fewshot/shot_K-seed_S.pkl` (a pickle of Dassl Datum
// objects), read and written beside our JSON cache of the same subset.
extension FewShot {
    /// The `.pkl` twin of a JSON cache file (`shot_K-seed_S.pkl`, CoOp's name).
    public static func pickleCacheFile(json: URL) -> URL {
        json.deletingPathExtension().appendingPathExtension("pkl")
    }

    /// Reads CoOp's cache and compares it with `drawn`, the subset this program draws (or its
    /// JSON cache holds). The cache wins, as in CoOp: on a difference its items are used and a
    /// warning naming the file and the first differing item is returned.
    ///
    /// CoOp stores absolute paths of the machine that drew the subset; each is matched to the
    /// item of the full split whose path relative to `imageRoot` ends it, with the same label.
    /// - Throws: ``DatasetError/staleCache(path:reason:)`` naming an item that matches none.
    public static func readPickleCache(_ file: URL, imageRoot: URL, fullTrain: [Datum], fullVal: [Datum],
                                       readVal: Bool, drawn: (train: [Datum], val: [Datum])) throws
        -> (train: [Datum], val: [Datum], warning: String?) {
        let cached = try DasslFewShotCache.read(path: file.path)
        let train = try resolve(cached.train, in: fullTrain, imageRoot: imageRoot, split: "train", file: file)
        let val = readVal ? try resolve(cached.val, in: fullVal, imageRoot: imageRoot, split: "val", file: file)
                          : drawn.val
        var warning: String?
        for (split, ours, theirs) in [("train", drawn.train, train), ("val", drawn.val, val)] where ours != theirs {
            let common = min(ours.count, theirs.count)
            let i = (0..<common).first { ours[$0] != theirs[$0] } ?? common
            let detail = i < common ? "\(split)[\(i)] is \(theirs[i]) in the cache, "
                + "\(ours[i]) in the draw" : "\(split) has \(theirs.count) items in the cache, \(ours.count) drawn"
            warning = "\(file.path): CoOp's few-shot cache differs from this program's subset (\(detail)); "
                + "using the cache, as CoOp does"
            break
        }
        return (train, val, warning)
    }

    private static func resolve(_ items: [DasslDatum], in full: [Datum], imageRoot: URL, split: String,
                                file: URL) throws -> [Datum] {
        let prefix = imageRoot.path.hasSuffix("/") ? imageRoot.path : imageRoot.path + "/"
        var byRelative: [String: [Datum]] = [:]
        var depth = 1
        for d in full {
            let relative = d.imagePath.hasPrefix(prefix) ? String(d.imagePath.dropFirst(prefix.count)) : d.imagePath
            byRelative[relative, default: []].append(d)
            depth = max(depth, relative.split(separator: "/").count)
        }
        return try items.enumerated().map { i, item in
            let parts = item.impath.split(separator: "/")
            for k in stride(from: min(depth, parts.count), through: 1, by: -1) {
                let suffix = parts.suffix(k).joined(separator: "/")
                if let match = byRelative[suffix]?.first(where: { $0.label == item.label }) { return match }
            }
            throw DatasetError.staleCache(path: file.path, reason: "\(split)[\(i)] \(item.impath) (label "
                + "\(item.label)) is not an item of the \(split) split under \(imageRoot.path)")
        }
    }

    /// Writes CoOp's cache of a subset (val omitted when nil, as CoOp's ImageNet does).
    public static func writePickleCache(_ file: URL, train: [Datum], val: [Datum]?) throws {
        func dassl(_ d: Datum) -> DasslDatum {
            DasslDatum(impath: d.imagePath, label: d.label, domain: d.domain, classname: d.classname)
        }
        try DasslFewShotCache.write(train: train.map(dassl), val: val?.map(dassl), to: file)
    }
}
