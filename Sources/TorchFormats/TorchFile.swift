import Support

/// A file PyTorch wrote, read without PyTorch: a `torch.save` zip archive
/// (`<archive>/data.pkl` + `<archive>/data/<key>`), a TorchScript archive (`torch.jit.save`,
/// as `clip.load` downloads them), PyTorch's legacy pre-1.6 format, or a bare pickle
/// (Dassl's few-shot `.pkl`).
///
/// The pickle runs on the restricted ``Unpickler``: only tensors, containers, TorchScript
/// module objects and Dassl's `Datum` are built; any other name is refused before anything
/// happens. Storages are slices of the memory-mapped file (no copy).
public final class TorchFile {
    /// The path the file was opened with.
    public let path: String
    /// The mapping the storages point into.
    public let mapping: MappedFile
    /// The unpickled top-level value.
    public let root: PickleValue
    /// Whether the archive is TorchScript (`torch.jit.save`: code/ and constants.pkl beside data.pkl).
    public let isTorchScript: Bool

    /// Reads the file at `path`.
    /// - Throws: ``MappedFileError`` or ``TorchFormatError``, naming the file (and entry, tensor).
    public convenience init(path: String) throws {
        try self.init(mapping: MappedFile(path: path))
    }

    /// Reads a file that is already mapped.
    public init(mapping: MappedFile) throws {
        self.mapping = mapping
        path = mapping.path
        let bytes = mapping.bytes
        if ZipArchive.looksLikeZip(bytes) {
            let archive = try ZipArchive(mapping: mapping)
            let pickles = archive.entries.map(\.name).filter {
                $0.hasSuffix("/data.pkl") && $0.split(separator: "/", omittingEmptySubsequences: false).count == 2
            }
            guard pickles.count == 1, let pickle = pickles.first else {
                throw TorchFormatError.notAnArchive(path: path, reason: pickles.isEmpty
                    ? "a zip archive without <archive>/data.pkl" : "several data.pkl entries: \(pickles)")
            }
            let prefix = String(pickle.dropLast("data.pkl".count))
            if archive.entry(prefix + "byteorder") != nil {
                let order = String(decoding: try archive.verifiedBytes(of: prefix + "byteorder"), as: UTF8.self)
                guard order == "little" else {
                    throw TorchFormatError.notAnArchive(path: path, reason: "byteorder '\(order)' (only little-endian "
                                                        + "archives are read)")
                }
            }
            isTorchScript = archive.entry(prefix + "constants.pkl") != nil
            let storages = StorageTable(archive: archive, prefix: prefix)
            var unpickler = Unpickler(data: try archive.verifiedBytes(of: pickle), path: path, entry: pickle,
                                      persistentLoad: storages.load)
            root = try unpickler.load()
            return
        }
        if Self.isLegacy(bytes) {
            isTorchScript = false
            root = try Self.loadLegacy(mapping)
            return
        }
        guard bytes.first == 0x80 else {
            throw TorchFormatError.notAnArchive(path: path, reason: bytes.isEmpty ? "empty file"
                : "neither a zip archive nor a pickle (first byte 0x\(String(bytes[0], radix: 16)))")
        }
        isTorchScript = false
        var unpickler = Unpickler(data: bytes, path: path, entry: "the pickle")
        root = try unpickler.load()
    }

    /// The legacy (pre-1.6) format starts with a pickled magic number.
    static func isLegacy(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let magic: [UInt8] = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
        return bytes.count >= magic.count && zip(bytes, magic).allSatisfy { $0 == $1 }
    }

    /// Storages by key, each checked against its entry once.
    private final class StorageTable {
        let archive: ZipArchive
        let prefix: String
        var loaded: [String: TorchStorage] = [:]

        init(archive: ZipArchive, prefix: String) {
            self.archive = archive
            self.prefix = prefix
        }

        func load(_ pid: PickleValue) throws -> PickleValue {
            let path = archive.path
            guard let parts = pid.elements, parts.count == 5, parts[0].string == "storage",
                  case let .global(storageClass) = parts[1], let key = parts[2].string, let count = parts[4].int else {
                throw TorchFormatError.unexpectedContent(path: path, reason: "persistent id is not "
                    + "('storage', <storage class>, key, location, numel): \(pid.elements?.map(\.kind) ?? [pid.kind])")
            }
            let entry = prefix + "data/" + key
            guard let dtype = TorchStorage.dtype(ofStorageClass: storageClass) else {
                throw TorchFormatError.refusedGlobal(path: path, name: storageClass)
            }
            if let storage = loaded[key] {
                guard storage.dtype == dtype, storage.count == count else {
                    throw TorchFormatError.badTensor(path: path, tensor: "of storage '\(entry)'", reason:
                        "used as \(storage.count) x \(storage.dtype.rawValue) and as \(count) x \(dtype.rawValue)")
                }
                return .storage(storage)
            }
            let bytes = try archive.bytes(of: entry)
            let (needed, overflow) = max(count, 0).multipliedReportingOverflow(by: dtype.byteSize)
            guard count >= 0, !overflow, needed == bytes.count else {
                throw TorchFormatError.badTensor(path: path, tensor: "of storage '\(entry)'", reason:
                    "\(count) x \(dtype.rawValue) elements need \(overflow ? "more than Int.max" : "\(needed)") "
                    + "bytes, the entry holds \(bytes.count)")
            }
            let storage = TorchStorage(key: key, entry: entry, dtype: dtype, count: count, bytes: bytes,
                                       owner: archive.mapping)
            loaded[key] = storage
            return .storage(storage)
        }
    }
}
