import Foundation

// MARK: - Reading from a pack

extension DatasetCatalog {
    /// The splits of `descriptor`'s dataset from a pack instead of its folder: the same
    /// items as `readAll` gives under `root` (paths, labels, order), images read from the pack.
    /// - Throws: `PackError` naming the pack (not a pack, or a pack of another dataset).
    public static func readPacked(_ descriptor: DatasetDescriptor, pack file: URL, root: URL) throws -> DatasetSplits {
        let pack = try PackedDataset(contentsOf: file)
        guard pack.datasetName.lowercased() == descriptor.name.lowercased() else {
            throw PackError.datasetMismatch(path: file.path, packed: pack.datasetName, requested: descriptor.name)
        }
        return pack.splits(root: root)
    }
}
