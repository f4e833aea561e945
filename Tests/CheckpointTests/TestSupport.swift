import Foundation

/// Byte offsets at which `needle` occurs in the file at `url`.
func offsets(of needle: [UInt8], in url: URL) throws -> [Int] {
    let bytes = [UInt8](try Data(contentsOf: url))
    guard needle.count <= bytes.count else { return [] }
    return (0...(bytes.count - needle.count)).filter { i in
        bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle
    }
}

/// XORs the byte at `offset` of the file at `url` with `mask`.
func flipByte(in url: URL, at offset: Int, mask: UInt8 = 0x5a) throws {
    var bytes = try Data(contentsOf: url)
    bytes[offset] ^= mask
    try bytes.write(to: url)
}

/// The little-endian bytes of `values`.
func littleEndianBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}
