import Support

// PyTorch's legacy serialization (torch.save before 1.6, or with
// _use_new_zipfile_serialization=False): five pickles in a row (magic number, protocol
// version, system info, the object, the list of storage keys), then each storage in that
// order as an 8-byte little-endian element count and its raw bytes.
extension TorchFile {
    /// The pickled object of a legacy file, its storages slices of the mapping.
    /// - Throws: ``TorchFormatError`` naming the file and the storage at fault.
    static func loadLegacy(_ mapping: MappedFile) throws -> PickleValue {
        let bytes = mapping.bytes, path = mapping.path
        var offset = 15  // the magic number's pickle: PROTO 2, LONG1 of 10 bytes, STOP
        func next(_ what: String, _ load: ((PickleValue) throws -> PickleValue)? = nil) throws -> PickleValue {
            var unpickler = Unpickler(data: UnsafeRawBufferPointer(rebasing: bytes[offset...]), path: path,
                                      entry: "the legacy \(what) pickle (from byte \(offset))", persistentLoad: load)
            let value = try unpickler.load()
            offset += unpickler.consumed
            return value
        }
        guard try next("version").int == 1001 else {
            throw TorchFormatError.notAnArchive(path: path, reason: "legacy format of an unknown protocol version")
        }
        guard try next("system information").dict?["little_endian"]?.int == 1 else {
            throw TorchFormatError.notAnArchive(path: path, reason: "a big-endian legacy file")
        }
        // First pass: which storages the object uses (element type and count per key).
        let objectStart = offset
        var wanted: [String: (dtype: SafetensorsDType, count: Int)] = [:]
        _ = try next("object") { pid in
            let (key, dtype, count) = try legacyStorageID(pid, path: path)
            wanted[key] = (dtype, count)
            return .storage(TorchStorage(key: key, entry: "storage \(key)", dtype: dtype, count: count,
                                         bytes: UnsafeRawBufferPointer(start: nil, count: 0), owner: mapping))
        }
        guard let keys = try next("storage keys").elements?.compactMap(\.string), keys.count == wanted.count,
              Set(keys) == Set(wanted.keys) else {
            throw TorchFormatError.notAnArchive(path: path, reason: "the legacy storage key list does not match "
                                                + "the \(wanted.count) storages the object uses")
        }
        var storages: [String: TorchStorage] = [:]
        let reader = ZipArchive.Reader(bytes: bytes, path: path)
        for key in keys {
            guard let (dtype, count) = wanted[key] else {
                throw TorchFormatError.badTensor(path: path, tensor: "of storage \(key)",
                                                 reason: "not used by the object")
            }
            let stored = try reader.u64(offset)
            let (size, overflow) = stored.multipliedReportingOverflow(by: dtype.byteSize)
            guard stored == count, !overflow else {
                throw TorchFormatError.badTensor(path: path, tensor: "of storage \(key)", reason:
                    "\(stored) elements stored at byte \(offset), the object expects \(count)")
            }
            storages[key] = TorchStorage(key: key, entry: "storage \(key)", dtype: dtype, count: count,
                                         bytes: try reader.slice(offset + 8, size), owner: mapping)
            offset += 8 + size
        }
        // Second pass: the object again, now over the real storages.
        offset = objectStart
        return try next("object") { pid in
            let key = try legacyStorageID(pid, path: path).key
            guard let storage = storages[key] else {
                throw TorchFormatError.badTensor(path: path, tensor: "of storage \(key)", reason: "not stored")
            }
            return .storage(storage)
        }
    }

    /// `('storage', storage class, key, location, numel, view_metadata)` of a legacy file.
    private static func legacyStorageID(_ pid: PickleValue, path: String) throws
        -> (key: String, dtype: SafetensorsDType, count: Int) {
        guard let parts = pid.elements, parts.count == 6, parts[0].string == "storage",
              case let .global(storageClass) = parts[1], let key = parts[2].string, let count = parts[4].int,
              count >= 0 else {
            throw TorchFormatError.unexpectedContent(path: path, reason: "legacy persistent id is not ('storage', "
                + "<storage class>, key, location, numel, view metadata): \(pid.elements?.map(\.kind) ?? [pid.kind])")
        }
        guard case .none = parts[5] else {
            throw TorchFormatError.unexpectedContent(path: path, reason: "storage \(key) is a view of another "
                                                     + "storage (pre-1.0 PyTorch); re-save the file with torch.save")
        }
        guard let dtype = TorchStorage.dtype(ofStorageClass: storageClass) else {
            throw TorchFormatError.refusedGlobal(path: path, name: storageClass)
        }
        return (key, dtype, count)
    }
}
