import Support

/// One member of a zip archive, from the central directory (sizes widened by zip64).
public struct ZipEntry: Equatable, Sendable {
    /// The member's name (`archive/data/0`).
    public let name: String
    /// Compression method: 0 stored, 8 deflated.
    public let method: Int
    /// Size in the archive.
    public let compressedSize: Int
    /// Size once extracted.
    public let size: Int
    /// Offset of the member's local header.
    public let localHeaderOffset: Int
    /// CRC-32 of the extracted bytes, from the central directory.
    public let crc32: UInt32
}

/// A zip archive read in place from a memory-mapped file, as `torch.save` and
/// `torch.jit.save` write them: stored (uncompressed) members, zip64 when over 4 GiB.
///
/// Only the structure is parsed; a stored member's bytes are a slice of the mapping (no
/// copy). Deflated members are listed but refused when read. Every offset and size is
/// checked against the file, so a truncated or damaged archive is an error naming the file.
public final class ZipArchive {
    /// The mapped file.
    public let mapping: MappedFile
    /// Members in central-directory order.
    public let entries: [ZipEntry]
    private let index: [String: Int]

    /// The path the archive was opened with.
    public var path: String { mapping.path }

    /// Parses the archive's central directory.
    /// - Throws: ``TorchFormatError`` naming the file.
    public init(mapping: MappedFile) throws {
        self.mapping = mapping
        let entries = try Self.readCentralDirectory(Reader(bytes: mapping.bytes, path: mapping.path))
        self.entries = entries
        var index: [String: Int] = [:]
        for (i, entry) in entries.enumerated() where index[entry.name] == nil { index[entry.name] = i }
        self.index = index
    }

    /// Whether the file at hand starts like a zip archive (a local header).
    public static func looksLikeZip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && bytes.loadUnaligned(as: UInt32.self) == UInt32(littleEndian: 0x0403_4b50)
    }

    /// The member named `name`, if any.
    public func entry(_ name: String) -> ZipEntry? { index[name].map { entries[$0] } }

    /// The bytes of a stored member, pointing into the mapping.
    /// - Throws: ``TorchFormatError/compressedEntry(path:entry:method:)`` for a compressed
    ///   member, ``TorchFormatError/corruptArchive(path:entry:reason:)`` if it lies outside the file.
    public func bytes(of entry: ZipEntry) throws -> UnsafeRawBufferPointer {
        guard entry.method == 0 else {
            throw TorchFormatError.compressedEntry(path: path, entry: entry.name, method: entry.method)
        }
        guard entry.compressedSize == entry.size else {
            throw TorchFormatError.corruptArchive(path: path, entry: entry.name,
                                                  reason: "stored member with different sizes")
        }
        let reader = Reader(bytes: mapping.bytes, path: path, entry: entry.name)
        let header = entry.localHeaderOffset
        try reader.expect(signature: 0x0403_4b50, at: header, what: "local header")
        let nameLength = try reader.u16(header + 26)
        let extraLength = try reader.u16(header + 28)
        let start = header + 30 + nameLength + extraLength
        return try reader.slice(start, entry.size)
    }

    /// The bytes of the member named `name`.
    public func bytes(of name: String) throws -> UnsafeRawBufferPointer {
        guard let entry = entry(name) else { throw TorchFormatError.missingEntry(path: path, entry: name) }
        return try bytes(of: entry)
    }

    /// The bytes of the member named `name`, checked against its CRC-32 (for the small
    /// members that are parsed, such as data.pkl; storages are not hashed, to keep loading
    /// large weights free of a pass over every byte).
    public func verifiedBytes(of name: String) throws -> UnsafeRawBufferPointer {
        guard let entry = entry(name) else { throw TorchFormatError.missingEntry(path: path, entry: name) }
        let bytes = try bytes(of: entry)
        let crc = ReflectedCRC32.zip.checksum(bytes)
        guard crc == entry.crc32 else {
            throw TorchFormatError.corruptArchive(path: path, entry: name, reason: "CRC-32 is "
                + "\(String(crc, radix: 16)), the archive says \(String(entry.crc32, radix: 16)) (a damaged file)")
        }
        return bytes
    }

    // MARK: - Central directory

    private static func readCentralDirectory(_ r: Reader) throws -> [ZipEntry] {
        let count = r.bytes.count
        guard count >= 22 else {
            throw TorchFormatError.notAnArchive(path: r.path, reason: "\(count) bytes, too short for a zip archive")
        }
        // The end-of-central-directory record is in the last 22 + 65535 bytes.
        var end: Int?
        var at = count - 22
        while at >= max(0, count - 22 - 65535) {
            if try r.u32(at) == 0x0605_4b50 { end = at; break }
            at -= 1
        }
        guard let end else {
            throw TorchFormatError.notAnArchive(path: r.path, reason: "no end-of-central-directory record; "
                                                + "truncated, or not a zip archive")
        }
        var total = try r.u16(end + 10)
        var directorySize = try r.u32(end + 12)
        var directoryOffset = try r.u32(end + 16)
        if total == 0xffff || directorySize == 0xffff_ffff || directoryOffset == 0xffff_ffff {
            // zip64: a locator right before the record points at the zip64 end record.
            let locator = end - 20
            try r.expect(signature: 0x0706_4b50, at: locator, what: "zip64 end locator")
            let record = try r.u64(locator + 8)
            try r.expect(signature: 0x0606_4b50, at: record, what: "zip64 end record")
            total = try r.u64(record + 32)
            directorySize = try r.u64(record + 40)
            directoryOffset = try r.u64(record + 48)
        }
        _ = try r.slice(directoryOffset, directorySize)
        guard total <= directorySize / 46 + 1 else {
            throw TorchFormatError.corruptArchive(path: r.path, entry: nil,
                                                  reason: "\(total) members cannot fit in \(directorySize) bytes")
        }
        var entries: [ZipEntry] = []
        entries.reserveCapacity(total)
        var p = directoryOffset
        for _ in 0..<total {
            try r.expect(signature: 0x0201_4b50, at: p, what: "central directory entry")
            let method = try r.u16(p + 10)
            let crc = UInt32(try r.u32(p + 16))
            var compressed = try r.u32(p + 20)
            var size = try r.u32(p + 24)
            let nameLength = try r.u16(p + 28), extraLength = try r.u16(p + 30), commentLength = try r.u16(p + 32)
            var offset = try r.u32(p + 42)
            let name = String(decoding: try r.slice(p + 46, nameLength), as: UTF8.self)
            // zip64 extra field (id 1): 8-byte values for the fields saturated above, in order.
            var extra = p + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = try r.u16(extra), length = try r.u16(extra + 2)
                if id == 1 {
                    var q = extra + 4
                    for field in [0, 1, 2] {
                        let saturated = [size, compressed, offset][field] == 0xffff_ffff
                        guard saturated else { continue }
                        guard q + 8 <= extra + 4 + length else { break }
                        let value = try r.u64(q)
                        switch field {
                        case 0: size = value
                        case 1: compressed = value
                        default: offset = value
                        }
                        q += 8
                    }
                }
                extra += 4 + length
            }
            entries.append(ZipEntry(name: name, method: method, compressedSize: compressed, size: size,
                                    localHeaderOffset: offset, crc32: crc))
            p += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }

    // MARK: - Bounds-checked little-endian reads

    struct Reader {
        let bytes: UnsafeRawBufferPointer
        let path: String
        var entry: String?

        func fail(_ reason: String) -> TorchFormatError {
            TorchFormatError.corruptArchive(path: path, entry: entry, reason: reason)
        }

        func slice(_ start: Int, _ length: Int) throws -> UnsafeRawBufferPointer {
            guard start >= 0, length >= 0, start <= bytes.count, length <= bytes.count - start else {
                throw fail("\(length) bytes at offset \(start) run past the end of the file (\(bytes.count) bytes)")
            }
            return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
        }

        func u16(_ at: Int) throws -> Int {
            Int(UInt16(littleEndian: try slice(at, 2).loadUnaligned(as: UInt16.self)))
        }

        func u32(_ at: Int) throws -> Int {
            Int(UInt32(littleEndian: try slice(at, 4).loadUnaligned(as: UInt32.self)))
        }

        func u64(_ at: Int) throws -> Int {
            let value = UInt64(littleEndian: try slice(at, 8).loadUnaligned(as: UInt64.self))
            guard let exact = Int(exactly: value), exact <= bytes.count else {
                throw fail("value \(value) at offset \(at) exceeds the file size")
            }
            return exact
        }

        func expect(signature: Int, at: Int, what: String) throws {
            guard try u32(at) == signature else { throw fail("no \(what) at offset \(at)") }
        }
    }
}
