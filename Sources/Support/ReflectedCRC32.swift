// MARK: - Reflected CRC-32

/// A table-driven reflected CRC-32 for one polynomial, one byte at a time: zip's and
/// gzip's (``zip``, 0xEDB88320) and TFRecord's Castagnoli (``castagnoli``, 0x82F63B78).
public struct ReflectedCRC32: Sendable {
    /// The zip and gzip CRC-32 ("123456789" gives 0xCBF43926).
    public static let zip = ReflectedCRC32(polynomial: 0xEDB8_8320)
    /// CRC-32C, as TFRecord files use it ("123456789" gives 0xE3069283).
    public static let castagnoli = ReflectedCRC32(polynomial: 0x82F6_3B78)

    /// The 256-entry table for the reflected polynomial.
    private let table: [UInt32]

    /// The CRC for `polynomial`, bit-reflected (the form zip and TFRecord name).
    public init(polynomial: UInt32) {
        table = (0..<256).map { index -> UInt32 in
            var crc = UInt32(index)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
            return crc
        }
    }

    /// Continues a CRC over more bytes (`update(checksum(a), b) == checksum(a + b)`).
    public func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        table.withUnsafeBufferPointer { t in
            for byte in bytes { c = t[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        }
        return ~c
    }

    /// The CRC of a byte buffer.
    public func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 { update(0, bytes) }

    /// The CRC of a byte array.
    public func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { checksum($0) } }
}
