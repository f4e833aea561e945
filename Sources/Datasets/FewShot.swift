import Foundation

/// Few-shot subsets as Dassl's `DatasetBase.generate_fewshot_dataset` draws them, and their
/// cache under `<dataset_dir>/split_fewshot/`.
public enum FewShot {
    // MARK: - Drawing

    /// Items grouped by label in order of first appearance (Dassl's
    /// `split_dataset_by_label`, a `defaultdict(list)`), each group in item order.
    public static func groupByLabel(_ items: [Datum]) -> [(label: Int, items: [Datum])] {
        var order: [Int] = []
        var groups: [Int: [Datum]] = [:]
        for d in items {
            if groups[d.label] == nil { order.append(d.label) }
            groups[d.label, default: []].append(d)
        }
        return order.map { ($0, groups[$0]!) }
    }

    /// `generate_fewshot_dataset(items, num_shots=numShots, repeat=repeat)`: for each label
    /// in order of first appearance, `random.sample(group, numShots)` when the group has
    /// at least `numShots` items, else `random.choices(group, k=numShots)` if `repeat`,
    /// else the whole group. `numShots < 1` returns `items` and draws nothing.
    public static func draw(_ items: [Datum], numShots: Int, repeat: Bool = false,
                            rng: inout PythonRandom) -> [Datum] {
        guard numShots >= 1 else { return items }
        var out: [Datum] = []
        for (_, group) in groupByLabel(items) {
            if group.count >= numShots {
                out += rng.sample(group, numShots)
            } else if `repeat` {
                out += rng.choices(group, k: numShots)
            } else {
                out += group
            }
        }
        return out
    }

    /// CoOp's sequence after `set_random_seed(seed)`: `random.seed(seed)`, then the train
    /// subset with `numShots` and the validation subset with `min(numShots, 4)` (the
    /// validation draw is skipped when `drawVal` is false, as ImageNet does).
    public static func drawCoOp(train: [Datum], val: [Datum], numShots: Int, seed: Int,
                                drawVal: Bool = true) -> (train: [Datum], val: [Datum]) {
        var rng = PythonRandom(seed: seed)
        let t = draw(train, numShots: numShots, rng: &rng)
        let v = drawVal ? draw(val, numShots: min(numShots, 4), rng: &rng) : val
        return (t, v)
    }

    // MARK: - Cache

    /// `<datasetDirectory>/split_fewshot/shot_K-seed_S.json`: the split-file entries of the
    /// subset. CoOp's own cache is the `.pkl` of the same name (a pickle of Datum objects,
    /// see ``pickleCacheFile(json:)``), written beside it.
    public static func cacheFile(datasetDirectory: URL, numShots: Int, seed: Int, subfolder: String? = nil) -> URL {
        var dir = datasetDirectory.appendingPathComponent("split_fewshot")
        if let subfolder { dir = dir.appendingPathComponent(subfolder) }
        return dir.appendingPathComponent("shot_\(numShots)-seed_\(seed).json")
    }

    /// Reads a cache file: `{"train": [...], "val": [...]}` ("val" only if `readVal`).
    /// Each cached entry must be an item of the corresponding full split (same path,
    /// label and class name), so a cache drawn from another split file is refused.
    /// - Throws: `DatasetError` naming the file, split and entry; `.staleCache` on mismatch.
    public static func readCache(_ file: URL, imageRoot: URL, fullTrain: [Datum], fullVal: [Datum],
                                 readVal: Bool) throws -> (train: [Datum], val: [Datum]) {
        let keys: [Split] = readVal ? [.train, .val] : [.train]
        let parsed = try SplitFile.read(file, imageRoot: imageRoot, keys: keys)
        let train = parsed[.train] ?? []
        let val = readVal ? (parsed[.val] ?? []) : fullVal
        for (split, cached, full) in [(Split.train, train, fullTrain), (.val, readVal ? val : [], fullVal)] {
            let known = Set(full)
            if let i = cached.firstIndex(where: { !known.contains($0) }) {
                throw DatasetError.staleCache(path: file.path,
                    reason: "\(split.rawValue)[\(i)] \(cached[i]) is not an item of the \(split.rawValue) split")
            }
        }
        return (train, val)
    }

    /// Writes a cache file atomically (several ranks may write the same content at once).
    public static func writeCache(_ file: URL, imageRoot: URL, train: [Datum], val: [Datum]?) throws {
        var splits: [(Split, [Datum])] = [(.train, train)]
        if let val { splits.append((.val, val)) }
        try SplitFile.write(splits, imageRoot: imageRoot, to: file)
    }
}
