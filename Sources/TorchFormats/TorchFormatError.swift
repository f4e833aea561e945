/// Why a PyTorch file could not be read or written; every case names the file and, where
/// one is at fault, the archive entry or tensor.
public enum TorchFormatError: Error, CustomStringConvertible, Equatable {
    /// The file is not a zip archive (and not a pickle either); `reason` says what was found.
    case notAnArchive(path: String, reason: String)
    /// The zip structure is damaged (a record runs past the end, a bad signature, ...).
    case corruptArchive(path: String, entry: String?, reason: String)
    /// An entry is compressed with a method this reader does not inflate.
    case compressedEntry(path: String, entry: String, method: Int)
    /// A required entry is missing from the archive.
    case missingEntry(path: String, entry: String)
    /// The pickle stream is malformed or uses an opcode outside the supported set.
    case badPickle(path: String, entry: String, offset: Int, reason: String)
    /// The pickle names a callable or class this reader does not build (never executed).
    case refusedGlobal(path: String, name: String)
    /// A tensor's storage, dtype, shape, strides or offset is inconsistent.
    case badTensor(path: String, tensor: String, reason: String)
    /// The file holds no state dict of the kind asked for; `reason` says what it holds.
    case unexpectedContent(path: String, reason: String)
    /// Creating or writing an output file failed.
    case writeFailed(path: String, reason: String)

    /// The callables and classes the restricted unpickler builds, for error messages.
    public static let allowedSummary = "only torch tensors and storages (torch._utils._rebuild_tensor_v2, "
        + "_rebuild_parameter, torch.*Storage), collections.OrderedDict, TorchScript modules (__torch__.*, "
        + "torch.jit._pickle.build_*list) and Dassl's dassl.data.datasets.base_dataset.Datum are allowed"

    public var description: String {
        switch self {
        case let .notAnArchive(path, reason):
            return "\(path): not a PyTorch file (\(reason))"
        case let .corruptArchive(path, entry, reason):
            return "\(path)\(entry.map { " (entry '\($0)')" } ?? ""): damaged zip archive: \(reason)"
        case let .compressedEntry(path, entry, method):
            return "\(path): entry '\(entry)' is compressed (zip method \(method)); torch.save stores entries "
                + "uncompressed, re-save the file with torch.save"
        case let .missingEntry(path, entry):
            return "\(path): the archive has no entry '\(entry)'"
        case let .badPickle(path, entry, offset, reason):
            return "\(path): \(entry) at byte \(offset): \(reason)"
        case let .refusedGlobal(path, name):
            return "refusing to load '\(name)' from \(path): \(Self.allowedSummary)"
        case let .badTensor(path, tensor, reason):
            return "\(path): tensor \(tensor): \(reason)"
        case let .unexpectedContent(path, reason):
            return "\(path): \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): write failed: \(reason)"
        }
    }
}
