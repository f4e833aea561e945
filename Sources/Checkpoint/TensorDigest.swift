/// The digest stored with a checkpoint over its parameter and momentum bytes.
///
/// Fed, for each section in order ("params", then "optimizer/momentum") and each tensor in
/// name order: the UTF-8 bytes of "<section>/<name>", a 0 byte, the rank and each dimension
/// as little-endian Int64, then the float32 values as little-endian bytes.
// TODO: switch to Support.SHA256 (set `algorithm` to "sha256" and replace the state below).
struct TensorDigest {
    /// The algorithm's name as stored in `tensors_digest_algorithm`.
    static let algorithm = "fnv1a-64"

    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Feeds raw bytes.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var h = state
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        state = h
    }

    /// Feeds a little-endian Int64.
    mutating func update(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { update($0) }
    }

    /// The digest as lower-case hex.
    func hexDigest() -> String {
        let s = String(state, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// The digest of the parameter and momentum tensors of `contents` (see the type's doc).
    static func of(params: [NamedTensor], momentum: [NamedTensor]) -> String {
        var d = TensorDigest()
        for (section, tensors) in [("params", params), ("optimizer/momentum", momentum)] {
            for t in tensors.sorted(by: { $0.name < $1.name }) {
                var header = Array("\(section)/\(t.name)".utf8)
                header.append(0)
                header.withUnsafeBytes { d.update($0) }
                d.update(Int64(t.shape.count))
                for dim in t.shape { d.update(Int64(dim)) }
                t.values.withUnsafeBufferPointer { values in
                    #if _endian(big)
                    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.update($0) } }
                    #else
                    d.update(UnsafeRawBufferPointer(values))
                    #endif
                }
            }
        }
        return d.hexDigest()
    }
}
