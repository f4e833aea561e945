// MARK: - Writing gzip without zlib

/// A gzip file holding `bytes` in one stored (uncompressed) deflate block (< 64 KiB), with
/// the CRC-32 and length trailer: valid input for any gunzip, written without zlib.
public func storedGzip(_ bytes: [UInt8]) -> [UInt8] {
    precondition(bytes.count < 65_536)
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    crc = ~crc
    func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    let length = UInt16(bytes.count)
    return [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF, 0x01,
            UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
        + bytes + le32(crc) + le32(UInt32(bytes.count))
}
