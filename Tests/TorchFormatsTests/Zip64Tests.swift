import Foundation
import Support
import Testing
import TestSupport
@testable import TorchFormats

/// Archives over 4 GiB use zip64 records; a small archive in the same form (every size and
/// offset saturated, the real values in zip64 extra fields and end record) reads the same.
@Suite("Zip64")
struct Zip64Tests {
    static func put<T: FixedWidthInteger>(_ value: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    /// One stored member `name` holding `data`, written with zip64 records only.
    static func zip64Archive(_ name: String, _ data: [UInt8]) -> [UInt8] {
        let nameBytes = Array(name.utf8), crc = ReflectedCRC32.zip.checksum(data)
        var out: [UInt8] = []
        put(UInt32(0x0403_4b50), &out)
        for v: UInt16 in [45, 0, 0, 0, 0] { put(v, &out) }
        for v: UInt32 in [crc, 0xffff_ffff, 0xffff_ffff] { put(v, &out) }
        for v: UInt16 in [UInt16(nameBytes.count), 20] { put(v, &out) }
        out += nameBytes
        for v: UInt16 in [1, 16] { put(v, &out) }
        for v: UInt64 in [UInt64(data.count), UInt64(data.count)] { put(v, &out) }
        out += data
        let directoryOffset = out.count
        put(UInt32(0x0201_4b50), &out)
        for v: UInt16 in [45, 45, 0, 0, 0, 0] { put(v, &out) }
        for v: UInt32 in [crc, 0xffff_ffff, 0xffff_ffff] { put(v, &out) }
        for v: UInt16 in [UInt16(nameBytes.count), 28, 0, 0, 0] { put(v, &out) }
        for v: UInt32 in [0, 0xffff_ffff] { put(v, &out) }
        out += nameBytes
        for v: UInt16 in [1, 24] { put(v, &out) }
        for v: UInt64 in [UInt64(data.count), UInt64(data.count), 0] { put(v, &out) }
        let directorySize = out.count - directoryOffset
        let record = out.count
        put(UInt32(0x0606_4b50), &out)
        put(UInt64(44), &out)
        for v: UInt16 in [45, 45] { put(v, &out) }
        for v: UInt32 in [0, 0] { put(v, &out) }
        for v: UInt64 in [1, 1, UInt64(directorySize), UInt64(directoryOffset)] { put(v, &out) }
        put(UInt32(0x0706_4b50), &out)
        put(UInt32(0), &out)
        put(UInt64(record), &out)
        put(UInt32(1), &out)
        put(UInt32(0x0605_4b50), &out)
        for v: UInt16 in [0, 0, 0xffff, 0xffff] { put(v, &out) }
        for v: UInt32 in [0xffff_ffff, 0xffff_ffff] { put(v, &out) }
        put(UInt16(0), &out)
        return out
    }

    @Test("Sizes and offsets come from the zip64 extra field and end record")
    func zip64() throws {
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("big.pt")
            let pickle = PickleWriter.stream(.dict([("answer", .int(42))], ordered: false))
            try Data(Self.zip64Archive("archive/data.pkl", pickle)).write(to: url)
            let archive = try ZipArchive(mapping: MappedFile(path: url.path))
            #expect(archive.entries.map(\.size) == [pickle.count])
            #expect(archive.entries.map(\.localHeaderOffset) == [0])
            #expect(try TorchFile(path: url.path).root.dict?["answer"]?.int == 42)
        }
    }

    @Test("A zip64 end record pointing past the file is an error naming the file")
    func brokenLocator() throws {
        try TemporaryDirectory.with { folder in
            let url = folder.appendingPathComponent("broken.pt")
            var bytes = Self.zip64Archive("archive/data.pkl", PickleWriter.stream(.none))
            let locator = bytes.count - 22 - 20
            bytes.replaceSubrange((locator + 8)..<(locator + 16), with: [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])
            try Data(bytes).write(to: url)
            #expect(throws: TorchFormatError.self) { try TorchFile(path: url.path) }
            do {
                _ = try TorchFile(path: url.path)
            } catch {
                #expect("\(error)".contains(url.path), "\(error)")
            }
        }
    }
}
