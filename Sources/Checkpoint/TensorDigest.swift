import Support

/// The digest stored with a checkpoint over its parameter and momentum bytes.
///
/// Fed, for each section in order ("params", then "optimizer/momentum") and each tensor in
/// name order: the UTF-8 bytes of "<section>/<name>", a 0 byte, the rank and each dimension
/// as little-endian Int64, then the float32 values as little-endian bytes.
/// The hash is SHA-256, so anyone can recompute it with hashlib from the datasets.
struct TensorDigest {
    /// The algorithm's name as stored in `tensors_digest_algorithm`.
    static let algorithm = "sha256"

    private var state = SHA256()

    /// Feeds raw bytes.
    mutating func update(_ bytes: UnsafeRawBufferPointer) { state.update(bytes) }

    /// Feeds a little-endian Int64.
    mutating func update(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { update($0) }
    }

    /// The digest as lower-case hex.
    func hexDigest() -> String { state.hexDigest() }

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
