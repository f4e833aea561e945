// bfloat16: the upper 16 bits of a float32 (8 exponent bits, 7 mantissa bits). The frozen
// towers' products take bfloat16 operands with float32 accumulation when PREC asks for half
// precision; everything else stays float32. Conversions round to nearest, ties to even, as
// PyTorch's `.to(torch.bfloat16)` and the CPU's VCVTNEPS2BF16 do; NaN stays NaN.

// MARK: - Conversion

/// `x` rounded to the nearest bfloat16 (ties to even), as its bit pattern.
@inlinable @inline(__always)
public func bfloat16Bits(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }  // quiet NaN
    return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
}

/// The float32 value of a bfloat16 bit pattern (exact).
@inlinable @inline(__always)
public func float(fromBFloat16 bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

/// Converts `rows` rows of `columns` floats, `sourceStride` floats apart, into a contiguous
/// bfloat16 block (`rows` x `columns`): sixteen lanes at a time.
public func convertToBFloat16(_ destination: UnsafeMutablePointer<UInt16>, from source: UnsafePointer<Float>,
                              rows: Int, columns: Int, sourceStride: Int) {
    typealias Lanes = SIMD16<UInt32>
    let half = Lanes(repeating: 0x7FFF), one = Lanes(repeating: 1), magnitude = Lanes(repeating: 0x7FFF_FFFF)
    let infinity = Lanes(repeating: 0x7F80_0000), quiet = Lanes(repeating: 0x40)
    let raw = UnsafeRawPointer(source)
    for r in 0..<rows {
        let row = raw + r * sourceStride * 4, out = destination + r * columns
        var c = 0
        while c + 16 <= columns {
            let bits = (row + c * 4).loadUnaligned(as: Lanes.self)
            var rounded = (bits &+ half &+ ((bits &>> 16) & one)) &>> 16
            rounded.replace(with: (bits &>> 16) | quiet, where: (bits & magnitude) .> infinity)
            UnsafeMutableRawPointer(out + c).storeBytes(of: SIMD16<UInt16>(truncatingIfNeeded: rounded),
                                                        toByteOffset: 0, as: SIMD16<UInt16>.self)
            c += 16
        }
        while c < columns {
            out[c] = bfloat16Bits(row.load(fromByteOffset: c * 4, as: Float.self))
            c += 1
        }
    }
}

// MARK: - Frozen matrices

/// A bfloat16 copy of a frozen weight matrix, made once at load: half the memory of its
/// float32 source, and the operand of the bfloat16 products. Row-major, 64-byte aligned.
public final class BFloat16Matrix: @unchecked Sendable {
    /// Rows and columns, as the float32 source's shape `[rows, columns]`.
    public let rows: Int, columns: Int
    /// The first element; `rows * columns` bit patterns.
    public let data: UnsafeMutablePointer<UInt16>

    /// Converts `source`, seen as a `[shape[0], product of the rest]` matrix.
    public init(converting source: Tensor) {
        rows = source.shape.first ?? 1
        columns = rows == 0 ? 0 : source.count / rows
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(source.count, 1) * 2, alignment: 64)
        data = raw.bindMemory(to: UInt16.self, capacity: max(source.count, 1))
        convertToBFloat16(data, from: source.data, rows: rows, columns: columns, sourceStride: columns)
    }

    deinit { UnsafeMutableRawPointer(data).deallocate() }

    /// Bytes of storage.
    public var byteCount: Int { rows * columns * 2 }

    /// Element `i` of the flat storage, as a float.
    public subscript(i: Int) -> Float {
        precondition(i >= 0 && i < rows * columns)
        return float(fromBFloat16: data[i])
    }
}

/// A frozen layer's weight matrix as its products read it: the float32 tensor, and a
/// bfloat16 copy when the model's products run in bfloat16 (``MatmulPrecision/bfloat16``).
public struct FrozenMatrix {
    /// The float32 weights (used for every product when `bfloat16` is nil).
    public let float32: Tensor
    /// The bfloat16 copy, or nil for float32 products.
    public let bfloat16: BFloat16Matrix?

    /// `tensor` for products at `precision` (converting it once for bfloat16).
    public init(_ tensor: Tensor, precision: MatmulPrecision = .float32) {
        float32 = tensor
        bfloat16 = precision == .bfloat16 ? BFloat16Matrix(converting: tensor) : nil
    }
}

/// The arithmetic of the frozen towers' matrix products.
public enum MatmulPrecision: String, Sendable, CaseIterable {
    /// float32 operands and accumulation (the reference's fp32).
    case float32
    /// bfloat16 operands, float32 accumulation (what PREC fp16/amp means on a CPU).
    case bfloat16
}
