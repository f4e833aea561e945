// Element conversions of SafetensorsFile: copy a tensor out of the mapping as Float, Double,
// Int64 or UInt8. Widening (F16/BF16 -> Float, F32 -> Double) is exact; F64 -> Float rounds
// to nearest. Data in the file may be unaligned, so every load is an unaligned load.

extension SafetensorsFile {
    // MARK: - Float

    /// The elements of `name` as `Float` (F32 as is; F16 and BF16 widened exactly; F64
    /// rounded to nearest).
    /// - Throws: ``SafetensorsError/missingTensor(path:tensor:)`` or
    ///   ``SafetensorsError/unsupportedConversion(path:tensor:dtype:to:)``.
    public func floats(_ name: String) throws -> [Float] {
        let entry = try info(name)
        return try [Float](unsafeUninitializedCapacity: entry.elementCount) { buffer, initialized in
            try copyFloats(entry, into: buffer)
            initialized = entry.elementCount
        }
    }

    /// Converts the elements of `name` to `Float` into `destination`, which must hold
    /// exactly the tensor's element count (no intermediate allocation).
    public func copyFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        try copyFloats(info(name), into: destination)
    }

    /// Converts the elements of an entry of this file to `Float` into `destination`.
    public func copyFloats(_ entry: SafetensorsTensorInfo, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let count = entry.elementCount
        precondition(destination.count == count,
                     "destination holds \(destination.count) floats, tensor '\(entry.name)' has \(count)")
        guard count > 0, let out = destination.baseAddress else { return }
        let raw = rawBytes(entry)
        switch entry.dtype {
        case .f32:
            UnsafeMutableRawPointer(out).copyMemory(from: raw.baseAddress!, byteCount: count * 4)
            #if _endian(big)
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
            #endif
        case .f16:
            for i in 0..<count {
                out[i] = HalfFloat.float(
                    fromHalfBits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                out[i] = HalfFloat.float(
                    fromBFloat16Bits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .f64:
            for i in 0..<count {
                out[i] = Float(Double(
                    bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        default:
            throw SafetensorsError.unsupportedConversion(path: path, tensor: entry.name, dtype: entry.dtype.rawValue,
                                                         to: "Float")
        }
    }

    /// A pointer to the elements of `name` inside the mapping when they can be used as
    /// `Float` without conversion (dtype F32, 4-byte aligned, little-endian host); `nil`
    /// otherwise. The memory is read-only and valid while ``mapping`` lives.
    public func float32Pointer(_ name: String) throws -> UnsafePointer<Float>? {
        float32Pointer(try info(name))
    }

    /// The zero-copy `Float` pointer of an entry of this file, or `nil` (see ``float32Pointer(_:)``).
    public func float32Pointer(_ entry: SafetensorsTensorInfo) -> UnsafePointer<Float>? {
        #if _endian(big)
        return nil
        #else
        guard entry.dtype == .f32, let base = mapping.bytes.baseAddress else { return nil }
        let address = base + dataStart + entry.dataOffsets.lowerBound
        guard Int(bitPattern: address) % MemoryLayout<Float>.alignment == 0 else { return nil }
        return address.assumingMemoryBound(to: Float.self)
        #endif
    }

    // MARK: - Double

    /// The elements of `name` as `Double` (F64 as is; F32, F16 and BF16 widened exactly).
    public func doubles(_ name: String) throws -> [Double] {
        let entry = try info(name)
        let raw = rawBytes(entry)
        let count = entry.elementCount
        switch entry.dtype {
        case .f64:
            return (0..<count).map {
                Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))
            }
        case .f32, .f16, .bf16:
            return try floats(name).map(Double.init)
        default:
            throw SafetensorsError.unsupportedConversion(path: path, tensor: name, dtype: entry.dtype.rawValue,
                                                         to: "Double")
        }
    }

    // MARK: - Integers

    /// The elements of `name` as `Int64` (any integer dtype or BOOL; U64 values above
    /// `Int64.max` are refused).
    public func int64s(_ name: String) throws -> [Int64] {
        let entry = try info(name)
        let raw = rawBytes(entry)
        let count = entry.elementCount
        func load<T: FixedWidthInteger>(_: T.Type) -> [Int64] {
            (0..<count).map {
                Int64(T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)))
            }
        }
        switch entry.dtype {
        case .i64: return load(Int64.self)
        case .i32: return load(Int32.self)
        case .i16: return load(Int16.self)
        case .i8: return load(Int8.self)
        case .u32: return load(UInt32.self)
        case .u16: return load(UInt16.self)
        case .u8, .bool: return load(UInt8.self)
        case .u64:
            var result: [Int64] = []
            result.reserveCapacity(count)
            for i in 0..<count {
                let value = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                guard let exact = Int64(exactly: value) else {
                    throw SafetensorsError.unsupportedConversion(path: path, tensor: name,
                                                                 dtype: "U64 (value \(value))", to: "Int64")
                }
                result.append(exact)
            }
            return result
        default:
            throw SafetensorsError.unsupportedConversion(path: path, tensor: name, dtype: entry.dtype.rawValue,
                                                         to: "Int64")
        }
    }

    /// The elements of `name` as `UInt8` (dtype U8 or BOOL).
    public func uint8s(_ name: String) throws -> [UInt8] {
        let entry = try info(name)
        guard entry.dtype == .u8 || entry.dtype == .bool else {
            throw SafetensorsError.unsupportedConversion(path: path, tensor: name, dtype: entry.dtype.rawValue,
                                                         to: "UInt8")
        }
        return [UInt8](rawBytes(entry))
    }
}
