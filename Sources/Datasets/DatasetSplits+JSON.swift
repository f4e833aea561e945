import Support
import Foundation

extension DatasetSplits {
    /// Item counts per split, in the order train, val, test.
    public var counts: [(split: Split, count: Int)] {
        Split.allCases.map { ($0, self[$0].count) }
    }

    /// Items per label in one split (index = label).
    public func countsPerClass(_ split: Split) -> [Int] {
        var c = [Int](repeating: 0, count: numClasses)
        for d in self[split] where d.label < c.count { c[d.label] += 1 }
        return c
    }

    /// A JSON description: name, folders, class names, counts and, with `includeItems`,
    /// every item of each split as `[relative_path, label, classname]` (split-file form).
    public func jsonDescription(includeItems: Bool, indent: Int? = 2) -> String {
        var pairs: [(String, JSONValue)] = [
            ("name", .string(name)),
            ("dataset_directory", .string(datasetDirectory.path)),
            ("image_root", .string(imageRoot.path)),
            ("split_file", splitFile.map { .string($0.path) } ?? .null),
            ("test_only", .bool(isTestOnly)),
            ("few_shot", fewShotNote.map { .string($0) } ?? .null),
            ("num_classes", .int(numClasses)),
            ("classnames", .array(classnames.map { .string($0) })),
            ("counts", .object(counts.map { ($0.split.rawValue, .int($0.count)) })),
        ]
        if includeItems {
            for split in Split.allCases {
                pairs.append((split.rawValue, SplitFile.json(self[split], imageRoot: imageRoot)))
            }
        }
        return JSONValue.object(pairs).serialized(indent: indent)
    }
}
