import HDF5
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

/// The digest over a whole checkpoint (format_version 2), stored as the root attribute
/// `content_digest` (SHA-256, lower-case hex), so a flipped bit anywhere (a class name, the
/// config, an epoch number) is detected like one in a tensor. Fed in order:
/// - every other root attribute, by name: the UTF-8 name, a 0 byte, a kind byte (`s`, `i`,
///   `d`) and the value (a string's UTF-8 bytes and a 0 byte; an int64 or the float64's bits
///   as little-endian 8 bytes); the attributes include `tensors_digest`, which covers the
///   tensors (see `TensorDigest`);
/// - "classnames", a 0 byte, the count (int64), each name's UTF-8 bytes and a 0 byte;
/// - each metric by name: "metrics/<name>", a 0 byte, its rank (0 or 1) and length
///   (int64), its float64 values' bits.
struct ContentDigest {
    /// The attribute holding it.
    static let attribute = "content_digest"

    static func of(attributes: [String: HDF5AttributeValue], classnames: [String],
                   metrics: [String: MetricValue]) -> String {
        var d = TensorDigest()
        func put(_ text: String) {
            var bytes = Array(text.utf8)
            bytes.append(0)
            bytes.withUnsafeBytes { d.update($0) }
        }
        func put(kind: Character) { withUnsafeBytes(of: kind.asciiValue!) { d.update($0) } }
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) where name != attribute {
            put(name)
            switch value {
            case let .string(s): put(kind: "s"); put(s)
            case let .int64(v): put(kind: "i"); d.update(v)
            case let .double(v): put(kind: "d"); d.update(Int64(bitPattern: v.bitPattern))
            }
        }
        put("classnames")
        d.update(Int64(classnames.count))
        for name in classnames { put(name) }
        for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
            put("metrics/" + name)
            let (rank, values): (Int64, [Double]) = switch value {
            case let .scalar(v): (0, [v])
            case let .series(v): (1, v)
            }
            d.update(rank)
            d.update(Int64(values.count))
            for v in values { d.update(Int64(bitPattern: v.bitPattern)) }
        }
        return d.hexDigest()
    }
}
