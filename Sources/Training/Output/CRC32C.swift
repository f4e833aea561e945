import Support

// MARK: - CRC-32C (Castagnoli)

/// CRC-32C (the Castagnoli polynomial, reflected 0x82F63B78), as TFRecord files use it,
/// through Support's ``ReflectedCRC32``, plus TFRecord's masking.
public enum CRC32C {
    /// The CRC-32C of a byte buffer ("123456789" gives 0xE3069283).
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        ReflectedCRC32.castagnoli.checksum(bytes)
    }

    /// The CRC-32C of a byte array.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        ReflectedCRC32.castagnoli.checksum(bytes)
    }

    /// Continues a CRC-32C over more bytes (`update(checksum(a), b) == checksum(a + b)`).
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        ReflectedCRC32.castagnoli.update(crc, bytes)
    }

    /// TFRecord's masked CRC: rotate right by 15 bits and add 0xa282ead8 (mod 2^32).
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
