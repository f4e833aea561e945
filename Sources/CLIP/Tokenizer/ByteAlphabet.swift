// MARK: - Byte-level alphabet

/// The 256-symbol alphabet of CLIP's (and GPT-2's) byte-level BPE: `bytes_to_unicode()`.
///
/// Every byte gets a printable, non-space Unicode scalar so BPE can work on strings: bytes
/// 33...126, 161...172 and 174...255 stand for themselves; the 68 others (controls, space,
/// 127...160, 173) map to U+0100, U+0101, ... in increasing byte order.
///
/// The vocabulary's first 256 ids follow the *table's* order, not byte order: first the
/// self-mapped bytes (33...126, 161...172, 174...255), then the remapped ones (0...32,
/// 127...160, 173). Ids 256...511 are the same symbols with `</w>` appended.
enum ByteAlphabet {
    /// `byteOrder[k]` is the byte whose symbol has vocabulary id `k` (and `k + 256` with `</w>`).
    static let byteOrder: [UInt8] = {
        var order: [UInt8] = []
        order.reserveCapacity(256)
        for b in 0..<256 where isSelfMapped(b) { order.append(UInt8(b)) }
        for b in 0..<256 where !isSelfMapped(b) { order.append(UInt8(b)) }
        return order
    }()

    /// `symbol[b]`: the scalar that stands for byte `b`.
    static let symbol: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if isSelfMapped(b) {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte a symbol stands for, or nil for a scalar outside the alphabet.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if v < 256 { return isSelfMapped(Int(v)) ? UInt8(v) : nil }
        return v < 256 + 68 ? remappedBytes[Int(v - 256)] : nil
    }

    // MARK: - Private

    /// The 68 bytes that are remapped to U+0100..., in increasing order.
    private static let remappedBytes: [UInt8] = (0..<256).filter { !isSelfMapped($0) }.map { UInt8($0) }

    /// Bytes that are printable Latin-1 and not space: `!`...`~`, `¡`...`¬`, `®`...`ÿ`.
    private static func isSelfMapped(_ b: Int) -> Bool {
        (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
    }
}
