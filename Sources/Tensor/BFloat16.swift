import SIMDLoopsAVX2

// bfloat16: the upper 16 bits of a float32 (8 exponent bits, 7 mantissa bits). The frozen
// towers' products take bfloat16 operands with float32 accumulation when PREC asks for half
// precision; everything else stays float32. Conversions round to nearest, ties to even, as
// PyTorch's `.to(torch.bfloat16)` and the CPU's VCVTNEPS2BF16 do; NaN stays NaN.

// MARK: - Conversion

// ``bfloat16Bits(_:)`` (one value) and the loop over many are SIMDLoops' (re-exported).

/// The float32 value of a bfloat16 bit pattern (exact).
@inlinable @inline(__always)
public func float(fromBFloat16 bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

/// Converts `rows` rows of `columns` floats, `sourceStride` floats apart, into a contiguous
/// bfloat16 block (`rows` x `columns`), each as ``bfloat16Bits(_:)`` (SIMDLoops' loop).
public func convertToBFloat16(_ destination: UnsafeMutablePointer<UInt16>, from source: UnsafePointer<Float>,
                              rows: Int, columns: Int, sourceStride: Int) {
    let avx2 = SIMDLevel.usesAVX2
    for r in 0..<rows {
        if avx2 {
            AVX2Loops.bfloat16Round(destination + r * columns, source + r * sourceStride, count: columns)
        } else {
            bfloat16RoundLoop(destination + r * columns, source + r * sourceStride, count: columns)
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
