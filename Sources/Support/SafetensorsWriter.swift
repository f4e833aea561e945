import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds a safetensors file: add tensors by name, then ``write(to:)``.
///
/// The output follows the format as the reference library writes it: tensors laid out by
/// element size (widest first), then by name, so each starts aligned to its element size;
/// a compact JSON header with `__metadata__` first, padded with spaces so the data area
/// starts at a multiple of 8 bytes. Float values can be
/// stored as F32, F16 (round to nearest even), BF16 (likewise) or F64; integers as I64 or
/// U8. Large tensors can be added as generators, which run only while writing, one tensor
/// at a time, so a multi-gigabyte file never sits in memory at once. The file is written
/// under a temporary name and renamed into place, so readers never see a partial file.
public struct SafetensorsWriter {
    /// Fills a tensor's values (row-major) into the buffer it is given.
    public typealias Generator = (UnsafeMutableBufferPointer<Float>) -> Void

    private enum Payload {
        case bytes([UInt8])
        case generated(Generator)
    }

    private struct Entry {
        var name: String
        var dtype: SafetensorsDType
        var shape: [Int]
        var payload: Payload
        var byteCount: Int { shape.reduce(1, *) * dtype.byteSize }
    }

    /// The `__metadata__` map written into the header (omitted when empty).
    public var metadata: [String: String]
    private var entries: [String: Entry] = [:]
    private static let pending = "<safetensors writer>"

    /// An empty writer.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Names of the tensors added so far, sorted.
    public var names: [String] { entries.keys.sorted() }

    // MARK: - Adding tensors

    /// Adds float values stored as `dtype` (F32, F16, BF16 or F64).
    /// - Throws: ``SafetensorsError`` for a duplicate name, a count that does not match
    ///   `shape`, or a non-float dtype.
    public mutating func add(_ name: String, shape: [Int], floats values: [Float],
                             as dtype: SafetensorsDType = .f32) throws {
        try check(name, shape: shape, count: values.count, dtype: dtype, allowed: [.f32, .f16, .bf16, .f64])
        var bytes = [UInt8](repeating: 0, count: values.count * dtype.byteSize)
        values.withUnsafeBufferPointer { source in
            bytes.withUnsafeMutableBytes { Self.encode(source, as: dtype, into: $0) }
        }
        entries[name] = Entry(name: name, dtype: dtype, shape: shape, payload: .bytes(bytes))
    }

    /// Adds double values stored as F64.
    public mutating func add(_ name: String, shape: [Int], doubles values: [Double]) throws {
        try check(name, shape: shape, count: values.count, dtype: .f64, allowed: [.f64])
        let bytes = values.withUnsafeBytes { [UInt8]($0) }
        entries[name] = Entry(name: name, dtype: .f64, shape: shape,
                              payload: .bytes(Self.littleEndian(bytes, width: 8)))
    }

    /// Adds integer values stored as I64.
    public mutating func add(_ name: String, shape: [Int], int64s values: [Int64]) throws {
        try check(name, shape: shape, count: values.count, dtype: .i64, allowed: [.i64])
        let bytes = values.withUnsafeBytes { [UInt8]($0) }
        entries[name] = Entry(name: name, dtype: .i64, shape: shape,
                              payload: .bytes(Self.littleEndian(bytes, width: 8)))
    }

    /// Adds byte values stored as U8.
    public mutating func add(_ name: String, shape: [Int], uint8s values: [UInt8]) throws {
        try check(name, shape: shape, count: values.count, dtype: .u8, allowed: [.u8])
        entries[name] = Entry(name: name, dtype: .u8, shape: shape, payload: .bytes(values))
    }

    /// Adds a float tensor whose values `generator` produces while the file is written.
    public mutating func add(_ name: String, shape: [Int], as dtype: SafetensorsDType,
                             generator: @escaping Generator) throws {
        let count = shape.reduce(1, *)
        try check(name, shape: shape, count: count, dtype: dtype, allowed: [.f32, .f16, .bf16, .f64])
        entries[name] = Entry(name: name, dtype: dtype, shape: shape, payload: .generated(generator))
    }

    private func check(_ name: String, shape: [Int], count: Int, dtype: SafetensorsDType,
                       allowed: [SafetensorsDType]) throws {
        guard entries[name] == nil, name != "__metadata__" else {
            throw SafetensorsError.duplicateTensor(path: Self.pending, tensor: name)
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw SafetensorsError.invalidShape(path: Self.pending, tensor: name, shape: shape)
        }
        guard shape.reduce(1, *) == count else {
            throw SafetensorsError.valueCountMismatch(path: Self.pending, tensor: name, shape: shape, count: count)
        }
        guard allowed.contains(dtype) else {
            throw SafetensorsError.unsupportedWriteDType(path: Self.pending, tensor: name, dtype: dtype.rawValue)
        }
    }

    // MARK: - Writing

    /// Writes the file to `url` (through a temporary file in the same folder, then a rename).
    /// - Throws: ``SafetensorsError/writeFailed(path:errno:)``.
    public func write(to url: URL) throws {
        let path = url.path
        let temporary = path + ".partial-\(getpid())"
        guard let file = fopen(temporary, "wb") else {
            throw SafetensorsError.writeFailed(path: temporary, errno: errno)
        }
        var closed = false
        defer {
            if !closed { fclose(file); unlink(temporary) }
        }
        func put(_ bytes: UnsafeRawBufferPointer) throws {
            guard bytes.count > 0 else { return }
            guard fwrite(bytes.baseAddress!, 1, bytes.count, file) == bytes.count else {
                throw SafetensorsError.writeFailed(path: temporary, errno: errno)
            }
        }
        // Widest elements first, then by name, as the reference library does: every tensor
        // then starts at a multiple of its element size, so F32 data can be used in place.
        let ordered = entries.values.sorted { ($1.dtype.byteSize, $0.name) < ($0.dtype.byteSize, $1.name) }
        let header = headerBytes(ordered)
        var length = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &length) { try put($0) }
        try header.withUnsafeBytes { try put($0) }
        for entry in ordered {
            switch entry.payload {
            case let .bytes(bytes):
                try bytes.withUnsafeBytes { try put($0) }
            case let .generated(generator):
                let count = entry.shape.reduce(1, *)
                let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
                defer { values.deallocate() }
                values.initialize(repeating: 0)
                generator(values)
                let encoded = UnsafeMutableRawBufferPointer.allocate(byteCount: entry.byteCount, alignment: 8)
                defer { encoded.deallocate() }
                Self.encode(UnsafeBufferPointer(values), as: entry.dtype, into: encoded)
                try put(UnsafeRawBufferPointer(encoded))
            }
        }
        closed = true
        let flushed = fflush(file) == 0
        let flushError = errno
        let fileClosed = fclose(file) == 0
        let closeError = errno
        guard flushed, fileClosed else {
            unlink(temporary)
            throw SafetensorsError.writeFailed(path: temporary, errno: flushed ? closeError : flushError)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw SafetensorsError.writeFailed(path: path, errno: code)
        }
    }

    /// The JSON header, padded with spaces to a multiple of 8 bytes.
    private func headerBytes(_ ordered: [Entry]) -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(Self.jsonString($0)):\(Self.jsonString(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for entry in ordered {
            let shape = entry.shape.map(String.init).joined(separator: ",")
            parts.append("\(Self.jsonString(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],"
                         + "\"data_offsets\":[\(offset),\(offset + entry.byteCount)]}")
            offset += entry.byteCount
        }
        var bytes = Array("{\(parts.joined(separator: ","))}".utf8)
        while bytes.count % 8 != 0 { bytes.append(UInt8(ascii: " ")) }
        return bytes
    }

    // MARK: - Encoding helpers

    /// `string` as a JSON string literal (the JSON writer's escaping).
    static func jsonString(_ string: String) -> String { JSONValue.string(string).serialized(indent: nil) }

    /// Encodes floats as little-endian `dtype` elements into `out` (sized exactly).
    static func encode(_ values: UnsafeBufferPointer<Float>, as dtype: SafetensorsDType,
                       into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count == values.count * dtype.byteSize)
        switch dtype {
        case .f32:
            for i in 0..<values.count {
                out.storeBytes(of: values[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        case .f16:
            for i in 0..<values.count {
                out.storeBytes(of: HalfFloat.halfBits(from: values[i]).littleEndian, toByteOffset: 2 * i,
                               as: UInt16.self)
            }
        case .bf16:
            for i in 0..<values.count {
                out.storeBytes(of: HalfFloat.bfloat16Bits(from: values[i]).littleEndian, toByteOffset: 2 * i,
                               as: UInt16.self)
            }
        case .f64:
            for i in 0..<values.count {
                out.storeBytes(of: Double(values[i]).bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
            }
        default:
            preconditionFailure("float values cannot be encoded as \(dtype.rawValue)")
        }
    }

    /// Host-order bytes of `width`-byte elements, reordered to little-endian if needed.
    private static func littleEndian(_ bytes: [UInt8], width: Int) -> [UInt8] {
        #if _endian(big)
        var swapped = bytes
        for start in stride(from: 0, to: bytes.count, by: width) { swapped[start..<(start + width)].reverse() }
        return swapped
        #else
        return bytes
        #endif
    }
}
