/// An element type of a safetensors file, spelled as in the file's JSON header.
public enum SafetensorsDType: String, CaseIterable, Sendable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case f8e4m3 = "F8_E4M3"
    case f8e5m2 = "F8_E5M2"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u64 = "U64"
    case u32 = "U32"
    case u16 = "U16"
    case u8 = "U8"
    case bool = "BOOL"

    /// Size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .f8e4m3, .f8e5m2, .i8, .u8, .bool: return 1
        }
    }

    /// Whether the type is one of the IEEE-like floating-point formats this module converts
    /// to `Float` (F64, F32, F16, BF16; the 8-bit float formats are not converted).
    public var isConvertibleFloat: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: return true
        default: return false
        }
    }
}

// MARK: - Half-precision conversions

/// Bit-exact conversions between `Float` and the two 16-bit float formats (IEEE binary16
/// and bfloat16). Widening is exact; narrowing rounds to nearest, ties to even.
public enum HalfFloat {
    /// The `Float` equal to the IEEE binary16 value with bit pattern `bits` (exact).
    @inline(__always)
    public static func float(fromHalfBits bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1f
        let mantissa = UInt32(bits & 0x3ff)
        if exponent == 0x1f {  // infinity or NaN (payload kept)
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        if exponent == 0 {  // zero or subnormal: mantissa * 2^-24, exact in Float
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: sign | magnitude.bitPattern)
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// The IEEE binary16 bit pattern nearest to `value` (ties to even; overflow to infinity).
    @inline(__always)
    public static func halfBits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let magnitude = bits & 0x7fff_ffff
        if magnitude >= 0x7f80_0000 {  // infinity or NaN (NaN stays a quiet NaN)
            let payload: UInt16 = magnitude > 0x7f80_0000
                ? 0x200 | UInt16(truncatingIfNeeded: (magnitude >> 13) & 0x3ff) : 0
            return sign | 0x7c00 | payload
        }
        if magnitude >= 0x477f_f000 { return sign | 0x7c00 }  // >= 65520 rounds to infinity
        let exponent = magnitude >> 23
        if exponent >= 113 {  // normal binary16
            let mantissa = magnitude & 0x7f_ffff
            var half = ((exponent - 112) << 10) | (mantissa >> 13)
            let rest = mantissa & 0x1fff
            if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }
            return sign | UInt16(truncatingIfNeeded: half)
        }
        // Subnormal binary16 (or zero): count units of 2^-24; the scaling is exact.
        let units = (Float(bitPattern: magnitude) * 0x1p24).rounded(.toNearestOrEven)
        return sign | UInt16(units)
    }

    /// The `Float` equal to the bfloat16 value with bit pattern `bits` (exact).
    @inline(__always)
    public static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bfloat16 bit pattern nearest to `value` (ties to even; NaN stays a quiet NaN).
    @inline(__always)
    public static func bfloat16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }
        let rounded = bits &+ 0x7fff &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
