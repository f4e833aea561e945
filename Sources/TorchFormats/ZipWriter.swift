import Foundation
import Support

/// Builds a zip archive of stored (uncompressed) members in memory, the way `torch.save`
/// lays them out: each member's data starts at a multiple of 64 bytes (padding in the local
/// header's extra field), so readers can map storages in place. No zip64: the files written
/// here (prompt learners, few-shot lists) are far below 4 GiB, and larger input is refused.
struct ZipWriter {
    private(set) var bytes: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0
    static let alignment = 64
    static let paddingFieldID: UInt16 = 0x4650  // any id: readers skip unknown extra fields

    private static func put<T: FixedWidthInteger>(_ value: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    /// Appends a stored member.
    mutating func add(_ name: String, _ data: [UInt8], path: String) throws {
        let nameBytes = Array(name.utf8)
        guard data.count < 0xffff_ffff, bytes.count < 0xffff_ffff - data.count - 4096 else {
            throw TorchFormatError.writeFailed(path: path, reason: "archive over 4 GiB (zip64 is not written)")
        }
        let crc = ReflectedCRC32.zip.checksum(data)
        let offset = bytes.count
        var padding = Self.alignment - (offset + 30 + nameBytes.count + 4) % Self.alignment
        if padding == Self.alignment { padding = 0 }
        var local: [UInt8] = []
        for v in [UInt32(0x0403_4b50)] { Self.put(v, &local) }
        for v: UInt16 in [20, 0, 0, 0, 0] { Self.put(v, &local) }  // version, flags, method, time, date
        for v: UInt32 in [crc, UInt32(data.count), UInt32(data.count)] { Self.put(v, &local) }
        for v: UInt16 in [UInt16(nameBytes.count), UInt16(4 + padding)] { Self.put(v, &local) }
        local += nameBytes
        for v: UInt16 in [Self.paddingFieldID, UInt16(padding)] { Self.put(v, &local) }
        local += [UInt8](repeating: 0, count: padding)
        bytes += local
        bytes += data
        Self.put(UInt32(0x0201_4b50), &central)
        for v: UInt16 in [20, 20, 0, 0, 0, 0] { Self.put(v, &central) }  // made by, needed, flags, method, time, date
        for v: UInt32 in [crc, UInt32(data.count), UInt32(data.count)] { Self.put(v, &central) }
        for v: UInt16 in [UInt16(nameBytes.count), 0, 0, 0, 0] { Self.put(v, &central) }
        for v: UInt32 in [0, UInt32(offset)] { Self.put(v, &central) }  // external attributes, header offset
        central += nameBytes
        count += 1
    }

    /// The finished archive (central directory and end record appended).
    func finished() -> [UInt8] {
        var out = bytes
        let directoryOffset = out.count
        out += central
        Self.put(UInt32(0x0605_4b50), &out)
        for v: UInt16 in [0, 0, UInt16(count), UInt16(count)] { Self.put(v, &out) }
        for v: UInt32 in [UInt32(central.count), UInt32(directoryOffset)] { Self.put(v, &out) }
        Self.put(UInt16(0), &out)
        return out
    }
}

/// Writes `bytes` to `url` through a temporary file in the same folder and a rename, so a
/// reader never sees half a file.
func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
    do {
        try Data(bytes).write(to: url, options: .atomic)
    } catch {
        throw TorchFormatError.writeFailed(path: url.path, reason: FileFailure.reason(error))
    }
}
