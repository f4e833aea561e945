import Foundation
import Support
import Tensor
#if canImport(Glibc)
import Glibc
#endif

// The packed copies of a node cache's matrices (oneDNN's blocked layout, Tensor's
// PackedWeights), one file each beside the cache file, made by the first rank whose product
// needs one and mapped by every rank, as the cache file is. A file:
//   0   magic "CCBF16P\0"    8   version (UInt32)    12  0 (UInt32)    16  data bytes (UInt64)
//   24  CRC-32 of these 64 header bytes, this field read as 0 (UInt32)  28..63  0
//   64  the data.
// All little-endian. Its name is the cache file's, the matrix's index and a hash of the
// layout (`<cache>.t<i>.<layout>.packed`): another layout never finds this file. Any failure
// leaves the copy in the process's private memory (PackedWeights' fallback).

/// The packed weight files of one cache file (`prefix`) in a cache folder.
struct PackedWeightFiles: PackedWeightsStore {
    let folder: String, cache: BFloat16WeightCache, prefix: String

    func bytes(named name: String, count: Int, fill: (UnsafeMutableRawPointer) -> Bool)
        -> (data: UnsafeRawPointer, owner: AnyObject)? {
        let file = "\(prefix).\(name).packed", path = folder + "/" + file
        let find = { () throws -> MappedFile? in
            if cache.requiresOwnFolder { try BFloat16CacheFile.checkFolder(folder) }
            guard let mapped = try? MappedFile(path: path),
                  PackedWeightFile.dataBytes(mapped.bytes) == count else { return nil }
            return mapped
        }
        let write = {
            try BFloat16CacheFile.writeTemporary(folder: folder, name: file,
                                                 size: PackedWeightFile.headerBytes + count) { temporary in
                let data = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 64), alignment: 64)
                defer { data.deallocate() }
                guard fill(data) else {
                    throw WeightCacheFailure(step: "pack weights for", path: path, code: EINVAL)
                }
                try temporary.put(UnsafeRawBufferPointer(start: data, count: count), at: PackedWeightFile.headerBytes)
                try PackedWeightFile.header(dataBytes: count).withUnsafeBytes { try temporary.put($0, at: 0) }
            }
        }
        guard let (mapped, _) = try? BFloat16CacheFile.publish(path: path, folder: folder, name: file, cache: cache,
                                                               find: find, write: write) else { return nil }
        return (mapped.bytes.baseAddress! + PackedWeightFile.headerBytes, mapped)
    }
}

/// The header of a packed weight file.
public enum PackedWeightFile {
    static let magic = Array("CCBF16P\0".utf8)
    static let version: UInt32 = 1
    static let headerBytes = 64

    /// The header of a file holding `dataBytes` bytes of packed weights.
    static func header(dataBytes: Int) -> [UInt8] {
        var bytes = magic
        BFloat16CacheFile.append(version, to: &bytes); BFloat16CacheFile.append(UInt32(0), to: &bytes)
        BFloat16CacheFile.append(UInt64(dataBytes), to: &bytes)
        bytes += [UInt8](repeating: 0, count: headerBytes - bytes.count)   // the CRC (at 24) and zeros
        return BFloat16CacheFile.sealed(bytes, crcAt: 24)
    }

    /// The data bytes of a complete, valid file (`bytes` is the whole file), else nil. Public
    /// for the fuzzing harness.
    public static func dataBytes(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= headerBytes else { return nil }
        let count = Int(clamping: BFloat16CacheFile.u64(bytes, 16))
        guard count == bytes.count - headerBytes, Array(bytes[0..<headerBytes]) == header(dataBytes: count) else {
            return nil
        }
        return count
    }
}
