import Foundation

// MARK: - Global heap collections, checked before HDF5 reads them

extension HDF5File {
    /// Refuses a file whose global heap collections (where HDF5 keeps variable-length
    /// strings: our attributes and class names) HDF5 cannot parse without hanging.
    ///
    /// HDF5 walks the objects of a collection by each object's size; one of size zero (a
    /// free-space object, index 0, whose size is its whole extent) never advances the walk,
    /// and `H5Aread` / `H5Dread` spin forever (found by fuzzing the checkpoint reader). This
    /// walk mirrors HDF5's (`H5HG__cache_heap_deserialize`) over every `GCOL` signature
    /// in the file and throws where HDF5's would not end. It reads the whole file, so it
    /// guards the readers of files of bounded size (checkpoints, packs up to `limit` bytes).
    /// - Parameter limit: larger files are not checked (nil: always).
    /// - Throws: ``HDF5Error/corruptGlobalHeap(file:offset:reason:)``; nothing when the file
    ///   cannot be read (HDF5's open reports that).
    public static func checkGlobalHeaps(atPath path: String, limit: Int? = nil) throws {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped),
              limit.map({ data.count <= $0 }) ?? true else { return }
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var start = 0
            while let at = nextCollection(in: bytes, from: start) {
                if let problem = walkCollection(in: bytes, at: at).problem {
                    throw HDF5Error.corruptGlobalHeap(file: path, offset: at, reason: problem)
                }
                start = at + 4
            }
        }
    }

    /// Offset of the next "GCOL" version 1 header (signature, version, 3 zero bytes).
    private static func nextCollection(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        let signature: [UInt8] = [0x47, 0x43, 0x4F, 0x4C, 1, 0, 0, 0]  // "GCOL", version 1, reserved
        guard bytes.count >= signature.count else { return nil }
        var i = start
        while i <= bytes.count - signature.count {
            guard let base = bytes.baseAddress,
                  let hit = memchr(base + i, Int32(signature[0]), bytes.count - signature.count + 1 - i) else {
                return nil
            }
            i = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + i, signature, signature.count) == 0 { return i }
            i += 1
        }
        return nil
    }

    /// The objects (index -> size) of the collection at `at`, and why HDF5's walk of it would
    /// not end, if it would not. The header is 16 bytes (signature, version, reserved, 8-byte
    /// size); each object 16 bytes (index, references, reserved, size) then its data padded
    /// to 8; index 0 is the free space.
    static func walkCollection(in bytes: UnsafeRawBufferPointer, at: Int)
        -> (objects: [UInt32: UInt64], problem: String?) {
        let header = 16
        var objects: [UInt32: UInt64] = [:]
        guard at + header <= bytes.count else { return (objects, nil) }  // HDF5 reports the short read
        let declared = bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self).littleEndian
        let size = Int(clamping: declared)
        var p = at + header
        let end = at &+ size
        while p < end {
            guard p + header <= end else { break }         // a tail too small: free space
            guard p + header <= bytes.count else { return (objects, nil) }
            let index = bytes.loadUnaligned(fromByteOffset: p, as: UInt16.self).littleEndian
            let objectSize = bytes.loadUnaligned(fromByteOffset: p + 8, as: UInt64.self).littleEndian
            let need = index > 0 ? UInt64(header) &+ ((objectSize &+ 7) & ~7) : objectSize
            if need == 0 {
                return (objects, "the free-space object at byte \(p) has size 0")
            }
            if need > UInt64(end - p) {
                return (objects, "object \(index) at byte \(p) has size \(objectSize), past the collection's end "
                    + "(\(size) bytes from byte \(at))")
            }
            if index > 0 { objects[UInt32(index)] = objectSize }
            p += Int(need)
        }
        return (objects, nil)
    }

    /// Why the variable-length string stored as (`length`, heap `address`, object `index`)
    /// cannot be read from `bytes` (the whole file), or nil: HDF5 reads the object without
    /// checking that the address holds a collection or that the index is one of its objects.
    /// `walked` keeps the collections already walked, by address.
    static func heapReferenceProblem(in bytes: UnsafeRawBufferPointer, length: UInt64, address: UInt64,
                                     index: UInt32,
                                     walked: inout [Int: (objects: [UInt32: UInt64], problem: String?)]) -> String? {
        guard length > 0 else { return nil }  // an empty string is not looked up
        let at = Int(clamping: address)
        let signature: [UInt8] = [0x47, 0x43, 0x4F, 0x4C]
        guard bytes.count >= 16, at <= bytes.count - 16, Array(bytes[at..<at + 4]) == signature else {
            return "its heap address \(address) holds no global heap collection"
        }
        if walked[at] == nil { walked[at] = walkCollection(in: bytes, at: at) }
        let (objects, problem) = walked[at]!
        if let problem { return problem }
        guard let size = objects[index] else { return "heap object \(index) does not exist at byte \(address)" }
        guard size >= length else { return "it declares \(length) bytes, heap object \(index) holds \(size)" }
        return nil
    }
}
