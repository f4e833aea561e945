import Foundation
import Support

/// Writes files `torch.load` reads: a zip archive with `archive/data.pkl` (pickle protocol 2),
/// `archive/byteorder`, `archive/data/<n>` (float32 storages) and `archive/version`.
public enum TorchSave {
    /// Writes `root`, whose `.tensor(storage: i, ...)` nodes refer to `storages[i]`, as `torch.save` would.
    /// - Throws: ``TorchFormatError/writeFailed(path:reason:)``.
    public static func write(_ root: PickleNode, storages: [[Float]], to url: URL) throws {
        var zip = ZipWriter()
        try zip.add("archive/data.pkl", PickleWriter.stream(root), path: url.path)
        try zip.add("archive/byteorder", Array("little".utf8), path: url.path)
        for (key, values) in storages.enumerated() {
            var data = [UInt8]()
            data.reserveCapacity(4 * values.count)
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
            try zip.add("archive/data/\(key)", data, path: url.path)
        }
        try zip.add("archive/version", Array("3\n".utf8), path: url.path)
        try writeAtomically(zip.finished(), to: url)
    }

    /// The state dict node (an OrderedDict of tensors) and its storages.
    public static func stateDict(_ tensors: [Support.NamedTensor]) throws -> (node: PickleNode, storages: [[Float]]) {
        var entries: [(String, PickleNode)] = []
        for (i, t) in tensors.enumerated() {
            guard t.shape.allSatisfy({ $0 >= 0 }), t.shape.reduce(1, *) == t.values.count else {
                throw TorchFormatError.badTensor(path: "(writing)", tensor: "'\(t.name)'",
                                                 reason: "\(t.values.count) values for shape \(t.shape)")
            }
            entries.append((t.name, .tensor(storage: i, shape: t.shape)))
        }
        return (.dict(entries, ordered: true), tensors.map(\.values))
    }

    /// Writes a plain state dict (`torch.save(module.state_dict(), f)`).
    public static func writeStateDict(_ tensors: [Support.NamedTensor], to url: URL) throws {
        let (node, storages) = try stateDict(tensors)
        try write(node, storages: storages, to: url)
    }
}
