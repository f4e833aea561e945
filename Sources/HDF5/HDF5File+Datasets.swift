import CHDF5
import Foundation

// MARK: - Element types

/// The numeric element types datasets and attributes hold: Float, Double and Int64
/// (stored little-endian: H5T_IEEE_F32LE, H5T_IEEE_F64LE, H5T_STD_I64LE).
public protocol HDF5Numeric {
    /// Which HDF5 type stores this Swift type.
    static var hdf5Kind: HDF5NumericKind { get }
}

/// A numeric element kind.
public enum HDF5NumericKind: Sendable {
    case float32, float64, int64

    /// In-memory HDF5 type.
    var memoryType: hid_t {
        switch self {
        case .float32: return chdf5_native_float()
        case .float64: return chdf5_native_double()
        case .int64: return chdf5_native_int64()
        }
    }

    /// On-disk HDF5 type.
    var fileType: hid_t {
        switch self {
        case .float32: return chdf5_ieee_f32le()
        case .float64: return chdf5_ieee_f64le()
        case .int64: return chdf5_std_i64le()
        }
    }

    /// The HDF5 type class a dataset must have to be read as this kind.
    var typeClass: H5T_class_t {
        self == .int64 ? H5T_INTEGER : H5T_FLOAT
    }

    /// A name for messages.
    var name: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .int64: return "int64"
        }
    }
}

extension Float: HDF5Numeric { public static var hdf5Kind: HDF5NumericKind { .float32 } }
extension Double: HDF5Numeric { public static var hdf5Kind: HDF5NumericKind { .float64 } }
extension Int64: HDF5Numeric { public static var hdf5Kind: HDF5NumericKind { .int64 } }

/// The largest chunk the writer makes, in bytes (HDF5's own limit is 4 GiB).
let maximumChunkBytes = 1 << 20

extension HDF5File {
    // MARK: - Writing numbers

    /// Writes `values` (row-major, `shape.reduce(1, *)` of them) as a new dataset at
    /// `objectPath`, creating missing groups. Non-empty arrays are stored CHUNKED with the
    /// Fletcher-32 filter, so a damaged chunk is detected when read; shape `[]` is a scalar.
    public func write<T: HDF5Numeric>(_ values: UnsafeBufferPointer<T>, shape: [Int], to objectPath: String) throws {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            let ctx = context(full)
            guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
                throw HDF5Error.shapeMismatch(file: path, object: full, shape: shape, valueCount: values.count)
            }
            let kind = T.hdf5Kind
            let dataset = try createDataset(full, type: kind.fileType, shape: shape,
                                            checksummedElementSize: MemoryLayout<T>.stride, ctx: ctx)
            defer { H5Dclose(dataset) }
            if values.count > 0 {
                try ctx.check("H5Dwrite", H5Dwrite(dataset, kind.memoryType, chdf5_s_all(), chdf5_s_all(),
                                                   chdf5_p_default(), values.baseAddress))
            }
        }
    }

    /// Writes an array; see `write(_:shape:to:)` for buffers.
    public func write<T: HDF5Numeric>(_ values: [T], shape: [Int], to objectPath: String) throws {
        try values.withUnsafeBufferPointer { try write($0, shape: shape, to: objectPath) }
    }

    /// Writes a 1-D array.
    public func write<T: HDF5Numeric>(_ values: [T], to objectPath: String) throws {
        try write(values, shape: [values.count], to: objectPath)
    }

    /// Writes one number as a scalar dataset.
    public func write<T: HDF5Numeric>(scalar value: T, to objectPath: String) throws {
        try write([value], shape: [], to: objectPath)
    }

    /// Creates a dataset; chunked with Fletcher-32 when `checksummedElementSize` is given and
    /// the shape is a non-empty array.
    func createDataset(_ full: String, type: hid_t, shape: [Int], checksummedElementSize: Int?,
                       ctx: H5Context) throws -> hid_t {
        var dims = shape.map { hsize_t($0) }
        let space = shape.isEmpty
            ? try ctx.id("H5Screate", H5Screate(H5S_SCALAR))
            : try ctx.id("H5Screate_simple", H5Screate_simple(Int32(dims.count), &dims, nil))
        defer { H5Sclose(space) }
        let dcpl = try ctx.id("H5Pcreate", H5Pcreate(chdf5_p_dataset_create()))
        defer { H5Pclose(dcpl) }
        if let elementSize = checksummedElementSize, !shape.isEmpty, !shape.contains(0) {
            var chunk = chunkShape(shape, elementSize: elementSize).map { hsize_t($0) }
            try ctx.check("H5Pset_chunk", H5Pset_chunk(dcpl, Int32(chunk.count), &chunk))
            try ctx.check("H5Pset_fletcher32", H5Pset_fletcher32(dcpl))
        }
        let lcpl = try linkCreationList(ctx)
        defer { H5Pclose(lcpl) }
        return try ctx.id("H5Dcreate2", H5Dcreate2(id, full, type, space, lcpl, dcpl, chdf5_p_default()))
    }

    /// The chunk shape for `shape`: the whole array when it fits in `maximumChunkBytes`,
    /// else the leading dimensions halved until it does.
    func chunkShape(_ shape: [Int], elementSize: Int) -> [Int] {
        var chunk = shape
        while chunk.reduce(elementSize, *) > maximumChunkBytes,
              let i = chunk.firstIndex(where: { $0 > 1 }) {
            chunk[i] = (chunk[i] + 1) / 2
        }
        return chunk
    }

    // MARK: - Reading numbers

    /// The shape of the dataset at `objectPath` (`[]` for a scalar).
    public func shape(of objectPath: String) throws -> [Int] {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            return try withDataset(full) { dataset, ctx in try datasetShape(dataset, ctx) }
        }
    }

    /// The element type of the dataset at `objectPath`, e.g. "float32", "int64", "string".
    public func elementTypeName(of objectPath: String) throws -> String {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            return try withDataset(full) { dataset, ctx in
                let type = try ctx.id("H5Dget_type", H5Dget_type(dataset))
                defer { H5Tclose(type) }
                return typeName(type)
            }
        }
    }

    /// Every value of the numeric dataset at `objectPath`, row-major. HDF5 converts between
    /// sizes (e.g. float64 data read as Float) but not between integers and floats.
    public func read<T: HDF5Numeric>(_ objectPath: String, as type: T.Type = T.self) throws -> [T] {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            return try withDataset(full) { dataset, ctx in
                let count = try elementCount(dataset, ctx, elementSize: MemoryLayout<T>.stride, full: full)
                return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                    try readLocked(dataset, into: buffer, full: full, ctx: ctx)
                    initialized = count
                }
            }
        }
    }

    /// Reads the numeric dataset at `objectPath` into `buffer`, whose count must equal the
    /// dataset's element count (e.g. a named slice of a flat parameter buffer).
    public func read<T: HDF5Numeric>(_ objectPath: String, into buffer: UnsafeMutableBufferPointer<T>) throws {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            try withDataset(full) { dataset, ctx in
                let shape = try datasetShape(dataset, ctx)
                guard try elementCount(dataset, ctx, elementSize: MemoryLayout<T>.stride, full: full) == buffer.count
                else {
                    throw HDF5Error.shapeMismatch(file: path, object: full, shape: shape, valueCount: buffer.count)
                }
                try readLocked(dataset, into: buffer, full: full, ctx: ctx)
            }
        }
    }

    /// The Float values of the dataset at `objectPath`.
    public func readFloats(_ objectPath: String) throws -> [Float] { try read(objectPath, as: Float.self) }
    /// The Double values of the dataset at `objectPath`.
    public func readDoubles(_ objectPath: String) throws -> [Double] { try read(objectPath, as: Double.self) }
    /// The Int64 values of the dataset at `objectPath`.
    public func readInt64s(_ objectPath: String) throws -> [Int64] { try read(objectPath, as: Int64.self) }

    func readLocked<T: HDF5Numeric>(_ dataset: hid_t, into buffer: UnsafeMutableBufferPointer<T>,
                                    full: String, ctx: H5Context) throws {
        let kind = T.hdf5Kind
        try using(try ctx.id("H5Dget_type", H5Dget_type(dataset)), { H5Tclose($0) }) { fileType in
            guard H5Tget_class(fileType) == kind.typeClass else {
                throw HDF5Error.typeMismatch(file: path, object: full, expected: kind.name, found: typeName(fileType))
            }
        }
        guard buffer.count > 0 else { return }
        try ctx.check("H5Dread", H5Dread(dataset, kind.memoryType, chdf5_s_all(), chdf5_s_all(),
                                         chdf5_p_default(), buffer.baseAddress))
    }

    // MARK: - Strings

    /// Writes `strings` as a 1-D dataset of variable-length UTF-8 strings (h5py reads them as
    /// `str` via `.asstr()`, h5dump prints them). Strings must not contain NUL.
    public func write(_ strings: [String], to objectPath: String) throws {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            let ctx = context(full)
            if let bad = strings.first(where: { $0.contains("\0") }) {
                throw HDF5Error.invalidName(file: path, name: bad, reason: "strings stored in HDF5 cannot contain NUL")
            }
            try using(try variableStringType(ctx), { H5Tclose($0) }) { type in
                let dataset = try createDataset(full, type: type, shape: [strings.count], checksummedElementSize: nil,
                                                ctx: ctx)
                defer { H5Dclose(dataset) }
                let pointers = strings.map { strdup($0) }
                defer { pointers.forEach { free($0) } }
                guard !pointers.isEmpty else { return }
                _ = try pointers.withUnsafeBufferPointer { buffer in
                    try ctx.check("H5Dwrite", H5Dwrite(dataset, type, chdf5_s_all(), chdf5_s_all(),
                                                       chdf5_p_default(), buffer.baseAddress))
                }
            }
        }
    }

    /// The strings of a 1-D string dataset (variable- or fixed-length).
    public func readStrings(_ objectPath: String) throws -> [String] {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            return try withDataset(full) { dataset, ctx in
                return try using(try ctx.id("H5Dget_type", H5Dget_type(dataset)), { H5Tclose($0) }) { fileType in
                    guard H5Tget_class(fileType) == H5T_STRING else {
                        throw HDF5Error.typeMismatch(file: path, object: full, expected: "strings",
                                                     found: typeName(fileType))
                    }
                    let variable = try ctx.truth("H5Tis_variable_str", H5Tis_variable_str(fileType))
                    let size = variable ? MemoryLayout<UnsafeMutablePointer<CChar>?>.stride : H5Tget_size(fileType)
                    let count = try elementCount(dataset, ctx, elementSize: size, full: full)
                    guard count > 0 else { return [] }
                    if variable {
                        return try using(try variableStringType(ctx), { H5Tclose($0) }) { memType in
                            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                            try checkStoredStringReferences(dataset, count: count, full: full, ctx: ctx)
                            try ctx.check("H5Dread", H5Dread(dataset, memType, chdf5_s_all(), chdf5_s_all(),
                                                             chdf5_p_default(), &pointers))
                            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
                            let space = try ctx.id("H5Dget_space", H5Dget_space(dataset))
                            defer { H5Sclose(space) }
                            try ctx.check("H5Dvlen_reclaim", chdf5_reclaim_vlen(memType, space, &pointers))
                            return strings
                        }
                    }
                    var bytes = [CChar](repeating: 0, count: count * size)
                    try ctx.check("H5Dread", H5Dread(dataset, fileType, chdf5_s_all(), chdf5_s_all(),
                                                     chdf5_p_default(), &bytes))
                    return (0..<count).map { fixedString(bytes[($0 * size)..<(($0 + 1) * size)]) }
                }
            }
        }
    }

    /// Refuses a contiguous variable-length string dataset whose stored references HDF5 would
    /// follow into trouble (found by fuzzing the pack reader): a length beyond the file, which
    /// HDF5 allocates and fills (up to 4 GB) before it looks for the string, or a heap address
    /// or object index that does not exist, which HDF5 reads out of bounds. The stored
    /// elements (16 bytes each: length, heap address, object index) are read from the file;
    /// other layouts are left to HDF5.
    func checkStoredStringReferences(_ dataset: hid_t, count: Int, full: String, ctx: H5Context) throws {
        let offset = UInt64(H5Dget_offset(dataset)), stored = UInt64(H5Dget_storage_size(dataset))
        guard offset != UInt64(haddr_t.max), stored == UInt64(count) * 16,
              let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped),
              offset <= UInt64(data.count), stored <= UInt64(data.count) - offset else { return }
        try data.withUnsafeBytes { (file: UnsafeRawBufferPointer) in
            let base = Int(offset)
            var walked: [Int: (objects: [UInt32: UInt64], problem: String?)] = [:]
            for i in 0..<count {
                let element = base + i * 16
                let length = UInt64(file.loadUnaligned(fromByteOffset: element, as: UInt32.self).littleEndian)
                let address = file.loadUnaligned(fromByteOffset: element + 4, as: UInt64.self).littleEndian
                let index = file.loadUnaligned(fromByteOffset: element + 12, as: UInt32.self).littleEndian
                if length > UInt64(file.count) {
                    throw HDF5Error.damagedDataset(file: path, object: full, reason: "string \(i) declares \(length) "
                                                   + "bytes, more than the file's \(file.count)")
                }
                if let problem = Self.heapReferenceProblem(in: file, length: length, address: address, index: index,
                                                           walked: &walked) {
                    throw HDF5Error.damagedDataset(file: path, object: full, reason: "string \(i): \(problem)")
                }
            }
        }
    }

    /// A memory type for variable-length UTF-8 strings (caller closes it).
    func variableStringType(_ ctx: H5Context) throws -> hid_t {
        let type = try ctx.id("H5Tcopy", H5Tcopy(chdf5_c_s1()))
        do {
            try ctx.check("H5Tset_size", H5Tset_size(type, chdf5_variable()))
            try ctx.check("H5Tset_cset", H5Tset_cset(type, H5T_CSET_UTF8))
        } catch {
            H5Tclose(type)
            throw error
        }
        return type
    }

    // MARK: - Helpers

    /// Opens the dataset at `full` (which must be one) for `body`.
    func withDataset<R>(_ full: String, _ body: (hid_t, H5Context) throws -> R) throws -> R {
        try require(full, is: .dataset)
        let ctx = context(full)
        return try using(try ctx.id("H5Dopen2", H5Dopen2(id, full, chdf5_p_default())), { H5Dclose($0) }) {
            try body($0, ctx)
        }
    }

    /// The number of elements of `dataset`, refused when its dimensions multiply past `Int`
    /// or past what the file can hold (`elementSize` bytes each in memory, at most 1024 per
    /// byte of file, deflate's limit, plus 64 MiB): a damaged dataspace is an error, not a
    /// trap or an allocation of many GB (found by fuzzing the pack reader).
    func elementCount(_ dataset: hid_t, _ ctx: H5Context, elementSize: Int, full: String) throws -> Int {
        let shape = try datasetShape(dataset, ctx)
        var fileSize: hsize_t = 0
        try ctx.check("H5Fget_filesize", H5Fget_filesize(id, &fileSize))
        let limit = Int(clamping: fileSize).multipliedReportingOverflow(by: 1024).partialValue + (1 << 26)
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            let (bytes, tooMany) = product.multipliedReportingOverflow(by: max(elementSize, 1))
            guard !overflow, !tooMany, bytes <= limit else {
                throw HDF5Error.damagedDataset(file: path, object: full, reason: "its shape \(shape) is more than a "
                                               + "file of \(fileSize) bytes can hold")
            }
            count = product
        }
        return count
    }

    /// The current dimensions of `dataset`.
    func datasetShape(_ dataset: hid_t, _ ctx: H5Context) throws -> [Int] {
        try using(try ctx.id("H5Dget_space", H5Dget_space(dataset)), { H5Sclose($0) }) { space in
            let rank = H5Sget_simple_extent_ndims(space)
            if rank < 0 { throw ctx.failure("H5Sget_simple_extent_ndims") }
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            if rank > 0 { try ctx.check("H5Sget_simple_extent_dims", H5Sget_simple_extent_dims(space, &dims, nil)) }
            return dims.map { Int($0) }
        }
    }
}

// MARK: - Type names and fixed strings

/// A short name of an HDF5 datatype for messages: "float32", "int64", "string", ...
func typeName(_ type: hid_t) -> String {
    let size = H5Tget_size(type)
    switch H5Tget_class(type) {
    case H5T_FLOAT: return "float\(size * 8)"
    case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + "\(size * 8)"
    case H5T_STRING: return "string"
    case H5T_COMPOUND: return "compound"
    case H5T_ENUM: return "enum"
    case H5T_ARRAY: return "array"
    case H5T_VLEN: return "variable-length sequence"
    default: return "another HDF5 type"
    }
}

/// A fixed-length HDF5 string: up to the first NUL, trailing spaces removed.
func fixedString(_ bytes: ArraySlice<CChar>) -> String {
    let content = bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: content, as: UTF8.self).replacingTrailingSpaces()
}

extension String {
    /// The string without trailing spaces (HDF5's space-padded strings).
    func replacingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
