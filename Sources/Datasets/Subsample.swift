import Foundation

/// DATASET.SUBSAMPLE_CLASSES: which half of the classes to keep (base-to-new setting).
public enum ClassSubset: String, CaseIterable, Sendable {
    /// Every class, labels unchanged.
    case all
    /// The first ceil(C/2) labels (in sorted order) of the training set.
    case base
    /// The remaining labels.
    case new

    /// Parses "all", "base" or "new" (case-insensitive).
    /// - Throws: `DatasetError.invalidOption` naming DATASET.SUBSAMPLE_CLASSES.
    public init(parsing text: String) throws {
        guard let v = ClassSubset(rawValue: text.lowercased()) else {
            throw DatasetError.invalidOption(name: "DATASET.SUBSAMPLE_CLASSES", value: text,
                                             reason: "expected all, base or new")
        }
        self = v
    }
}

extension DatasetSplits {
    /// CoOp's `subsample_classes(train, val, test, subsample=...)`: the labels present in
    /// `train`, sorted; "base" keeps the first ceil(n/2), "new" the rest; kept items are
    /// relabelled 0, 1, ... in that order with their class names unchanged; "all" returns
    /// the splits unchanged. `classnames` follows the relabelling.
    public func subsampled(_ subset: ClassSubset) -> DatasetSplits {
        guard subset != .all else { return self }
        let labels = Set(train.map(\.label)).sorted()
        let m = (labels.count + 1) / 2
        let selected = subset == .base ? Array(labels[..<m]) : Array(labels[m...])
        var relabel: [Int: Int] = [:]
        for (newLabel, old) in selected.enumerated() { relabel[old] = newLabel }
        func apply(_ items: [Datum]) -> [Datum] {
            items.compactMap { d in
                guard let y = relabel[d.label] else { return nil }
                var e = d
                e.label = y
                return e
            }
        }
        var out = self
        out.train = apply(train)
        out.val = apply(val)
        out.test = apply(test)
        out.classnames = selected.map { $0 < classnames.count ? classnames[$0] : "" }
        return out
    }
}
