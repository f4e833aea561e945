
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
    let loops = SIMDLevel.roundingLoops
    for r in 0..<rows {
        if let loops {
            loops.bfloat16Round(destination + r * columns, source + r * sourceStride, count: columns)
        } else {
            bfloat16RoundLoop(destination + r * columns, source + r * sourceStride, count: columns)
        }
    }
}

/// Writes `count` bfloat16 bit patterns widened to float32 (exact) to `destination`.
public func widenBFloat16(_ source: UnsafePointer<UInt16>, into destination: UnsafeMutablePointer<Float>,
                          count: Int) {
    UnsafeMutableRawPointer(destination).withMemoryRebound(to: UInt32.self, capacity: count) { out in
        for i in 0..<count { out[i] = UInt32(source[i]) << 16 }
    }
}

// MARK: - Frozen matrices

/// A frozen weight matrix in bfloat16: half the memory of its float32 source, and the
/// operand of the bfloat16 products. Row-major, 64-byte aligned; owned, or borrowed from an
/// owner (a shared read-only mapping of a node's weight cache: never write into it then).
public final class BFloat16Matrix: @unchecked Sendable {
    /// Rows and columns, as the float32 source's shape `[rows, columns]`.
    public let rows: Int, columns: Int
    /// The first element; `rows * columns` bit patterns.
    public let data: UnsafeMutablePointer<UInt16>
    /// The copies in the layouts oneDNN's products read (made on first use).
    public let packed: PackedWeights
    private let owner: AnyObject?

    /// Converts `source`, seen as a `[shape[0], product of the rest]` matrix.
    public convenience init(converting source: Tensor) {
        let rows = source.shape.first ?? 1
        self.init(rows: rows, columns: rows == 0 ? 0 : source.count / rows)
        convertToBFloat16(data, from: source.data, rows: rows, columns: columns, sourceStride: columns)
    }

    /// Owned storage for `rows` x `columns` elements, contents undefined.
    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        let count = max(rows * columns, 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 2, alignment: 64)
        data = raw.bindMemory(to: UInt16.self, capacity: count)
        owner = nil
        packed = PackedWeights()
    }

    /// `rows` x `columns` elements at `pointer`, in memory that `owner` keeps (retained; no copy),
    /// with its packed copies kept by `packed`.
    public init(borrowing pointer: UnsafePointer<UInt16>, rows: Int, columns: Int, owner: AnyObject,
                packed: PackedWeights = PackedWeights()) {
        self.rows = rows
        self.columns = columns
        data = UnsafeMutablePointer(mutating: pointer)
        self.owner = owner
        self.packed = packed
    }

    deinit { if owner == nil { UnsafeMutableRawPointer(data).deallocate() } }

    /// Bytes of storage.
    public var byteCount: Int { rows * columns * 2 }

    /// Element `i` of the flat storage, as a float.
    public subscript(i: Int) -> Float {
        precondition(i >= 0 && i < rows * columns)
        return float(fromBFloat16: data[i])
    }

    /// Writes the elements, widened to float32 (exact), to `destination` (`rows * columns` floats).
    public func widen(into destination: UnsafeMutablePointer<Float>) {
        widenBFloat16(data, into: destination, count: rows * columns)
    }
}

/// A frozen layer's weight matrix as its products read it: the float32 tensor, a bfloat16
/// matrix (``MatmulPrecision/bfloat16`` products), or both. Weights loaded at bfloat16 keep
/// no float32 copy: ``float32`` is nil then.
public struct FrozenMatrix {
    /// The float32 weights (used for every product when `bfloat16` is nil), or nil when only
    /// the bfloat16 matrix is kept.
    public let float32: Tensor?
    /// The bfloat16 matrix, or nil for float32 products.
    public let bfloat16: BFloat16Matrix?
    /// The shape of the weights (`[rows, columns]`, or the float32 tensor's shape).
    public let shape: [Int]

    /// `tensor` for products at `precision` (converting it once for bfloat16; the tensor is kept).
    public init(_ tensor: Tensor, precision: MatmulPrecision = .float32) {
        float32 = tensor
        bfloat16 = precision == .bfloat16 ? BFloat16Matrix(converting: tensor) : nil
        shape = tensor.shape
    }

    /// `matrix` alone (no float32 copy), seen with `shape` (its element count must match).
    public init(bfloat16 matrix: BFloat16Matrix, shape: [Int]) {
        precondition(shape.reduce(1, *) == matrix.rows * matrix.columns, "shape \(shape) for a bfloat16 matrix "
                     + "of \(matrix.rows) x \(matrix.columns)")
        float32 = nil
        bfloat16 = matrix
        self.shape = shape
    }

    /// The float32 tensor, else a new float32 tensor of the bfloat16 values widened (a copy
    /// made on each call: for inspection, not for products).
    public var float32OrWidened: Tensor {
        if let float32 { return float32 }
        let widened = Tensor(zeros: shape)
        bfloat16!.widen(into: widened.data)
        return widened
    }
}

/// The arithmetic of the frozen towers' matrix products.
public enum MatmulPrecision: String, Sendable, CaseIterable {
    /// float32 operands and accumulation (the reference's fp32).
    case float32
    /// bfloat16 operands, float32 accumulation (what PREC fp16/amp means on a CPU).
    case bfloat16
}
