import Support

/// A tensor storage of a PyTorch archive: `<archive>/data/<key>`, typed by the storage class
/// the pickle named (`torch.FloatStorage`, ...), its bytes a slice of the memory-mapped file.
public final class TorchStorage {
    /// The storage's key (the entry name under `data/`).
    public let key: String
    /// The archive entry holding it.
    public let entry: String
    /// Element type.
    public let dtype: SafetensorsDType
    /// Number of elements.
    public let count: Int
    /// The bytes (exactly `count x dtype size`), valid while ``owner`` lives.
    public let bytes: UnsafeRawBufferPointer
    /// The object that keeps ``bytes`` valid (the mapping, or an owned copy).
    public let owner: AnyObject

    init(key: String, entry: String, dtype: SafetensorsDType, count: Int, bytes: UnsafeRawBufferPointer,
         owner: AnyObject) {
        self.key = key
        self.entry = entry
        self.dtype = dtype
        self.count = count
        self.bytes = bytes
        self.owner = owner
    }

    /// The element type of a storage class name (`torch.FloatStorage` -> F32), or nil.
    public static func dtype(ofStorageClass name: String) -> SafetensorsDType? {
        storageClasses[name]
    }

    /// The storage class name of an element type (`F32` -> `FloatStorage`), or nil.
    public static func storageClass(of dtype: SafetensorsDType) -> String? {
        storageClasses.first { $0.value == dtype }.map { String($0.key.dropFirst("torch.".count)) }
    }

    private static let storageClasses: [String: SafetensorsDType] = [
        "torch.FloatStorage": .f32, "torch.HalfStorage": .f16, "torch.BFloat16Storage": .bf16,
        "torch.DoubleStorage": .f64, "torch.LongStorage": .i64, "torch.IntStorage": .i32,
        "torch.ShortStorage": .i16, "torch.CharStorage": .i8, "torch.ByteStorage": .u8, "torch.BoolStorage": .bool,
    ]
}

/// A tensor as `torch._utils._rebuild_tensor_v2` describes it: a storage, an element
/// offset into it, sizes and strides (in elements). Any strides PyTorch writes are
/// accepted (transposed and sliced views), checked to stay inside the storage.
public struct TorchTensor {
    /// The storage the elements live in (shared by views of one tensor).
    public let storage: TorchStorage
    /// Offset of element [0, 0, ...] in the storage, in elements.
    public let offset: Int
    /// Extent of each dimension (`[]` for a 0-dim scalar).
    public let shape: [Int]
    /// Step in the storage per dimension, in elements.
    public let strides: [Int]

    /// Element type.
    public var dtype: SafetensorsDType { storage.dtype }
    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }

    /// Validates the view against its storage.
    /// - Throws: ``TorchFormatError/badTensor(path:tensor:reason:)`` naming the storage.
    init(storage: TorchStorage, offset: Int, shape: [Int], strides: [Int], path: String) throws {
        func fail(_ reason: String) -> TorchFormatError {
            .badTensor(path: path, tensor: "of storage '\(storage.entry)'", reason: reason)
        }
        guard shape.count == strides.count else {
            throw fail("\(shape.count) sizes \(shape) but \(strides.count) strides \(strides)")
        }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw fail("negative offset, size or stride (offset \(offset), sizes \(shape), strides \(strides))")
        }
        var elements = 1
        var last = offset
        for (size, stride) in zip(shape, strides) {
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            let (reach, overflow2) = (max(size, 1) - 1).multipliedReportingOverflow(by: stride)
            let (sum, overflow3) = last.addingReportingOverflow(reach)
            guard !overflow, !overflow2, !overflow3 else { throw fail("sizes \(shape) overflow") }
            elements = product
            last = sum
        }
        if elements > 0, last >= storage.count {
            throw fail("sizes \(shape), strides \(strides) and offset \(offset) reach element \(last), "
                       + "but the storage holds \(storage.count) (\(storage.dtype.rawValue))")
        }
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.strides = strides
    }

    /// Whether the elements are consecutive in the storage, row-major.
    public var isContiguous: Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            if stride != expected { return false }
            expected *= size
        }
        return true
    }

    /// A pointer to the elements in the storage when they can be used as `Float` without
    /// conversion (F32, contiguous, 4-byte aligned, little-endian host); nil otherwise.
    public var float32Pointer: UnsafePointer<Float>? {
        #if _endian(big)
        return nil
        #else
        guard dtype == .f32, isContiguous, let base = storage.bytes.baseAddress else { return nil }
        let address = base + 4 * offset
        guard Int(bitPattern: address) % MemoryLayout<Float>.alignment == 0 else { return nil }
        return address.assumingMemoryBound(to: Float.self)
        #endif
    }

    /// The elements as `Float`, row-major (F16/BF16 widened exactly, F64 rounded).
    /// - Throws: ``TorchFormatError/badTensor(path:tensor:reason:)`` for a non-float dtype.
    public func floats(path: String, name: String) throws -> [Float] {
        try [Float](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
            try copyFloats(into: buffer, path: path, name: name)
            initialized = elementCount
        }
    }

    /// Converts the elements to `Float` into `destination` (exactly ``elementCount`` long).
    public func copyFloats(into destination: UnsafeMutableBufferPointer<Float>, path: String, name: String) throws {
        guard destination.count == elementCount else {
            throw TorchFormatError.badTensor(path: path, tensor: "'\(name)'", reason:
                "\(elementCount) elements, destination holds \(destination.count)")
        }
        let raw = storage.bytes
        let out = destination
        switch dtype {
        case .f32:
            forEachIndex { i, s in
                out[i] = Float(
                    bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * s, as: UInt32.self)))
            }
        case .f16:
            forEachIndex { i, s in
                out[i] = HalfFloat.float(
                    fromHalfBits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * s, as: UInt16.self)))
            }
        case .bf16:
            forEachIndex { i, s in
                out[i] = HalfFloat.float(
                    fromBFloat16Bits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * s, as: UInt16.self)))
            }
        case .f64:
            forEachIndex { i, s in
                out[i] = Float(Double(
                    bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * s, as: UInt64.self))))
            }
        default:
            throw TorchFormatError.badTensor(path: path, tensor: "'\(name)'",
                                             reason: "dtype \(dtype.rawValue) cannot be read as Float")
        }
    }

    /// Calls `body(i, s)` for each element: `i` its row-major position, `s` its storage index.
    private func forEachIndex(_ body: (Int, Int) -> Void) {
        let count = elementCount
        guard count > 0 else { return }
        if isContiguous {
            for i in 0..<count { body(i, offset + i) }
            return
        }
        var index = [Int](repeating: 0, count: shape.count)
        var s = offset
        for i in 0..<count {
            body(i, s)
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                s += strides[d]
                if index[d] < shape[d] { break }
                s -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}
