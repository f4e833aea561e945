/// A value to pickle: what Dassl's checkpoint dict and few-shot cache hold.
public indirect enum PickleNode {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([PickleNode])
    /// A dict with string keys, in order; `ordered` pickles it as `collections.OrderedDict`.
    case dict([(String, PickleNode)], ordered: Bool)
    /// An instance of `className` (module.Name) with these attributes (`__dict__`).
    case object(className: String, attributes: [(String, PickleNode)])
    /// A contiguous float32 tensor whose elements are storage `storage` of the archive.
    case tensor(storage: Int, shape: [Int])
}

/// Writes pickle protocol 2 (what `torch.save` writes; `pickle.load` reads every protocol):
/// no memo, so every value is written where it occurs.
struct PickleWriter {
    private(set) var bytes: [UInt8] = [0x80, 2]

    /// The whole stream for `root`, STOP included.
    static func stream(_ root: PickleNode) -> [UInt8] {
        var writer = PickleWriter()
        writer.write(root)
        writer.bytes.append(UInt8(ascii: "."))
        return writer.bytes
    }

    private mutating func op(_ c: Character) { bytes.append(c.asciiValue!) }

    private mutating func global(_ dotted: String) {
        let split = dotted.lastIndex(of: ".")!
        op("c")
        bytes += Array(dotted[..<split].utf8) + [0x0a] + Array(dotted[dotted.index(after: split)...].utf8) + [0x0a]
    }

    private mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        op("X")
        withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes += $0 }
        bytes += utf8
    }

    private mutating func int(_ n: Int) {
        if (0..<256).contains(n) {
            op("K")
            bytes.append(UInt8(n))
        } else if let small = Int32(exactly: n) {
            op("J")
            withUnsafeBytes(of: small.littleEndian) { bytes += $0 }
        } else {
            bytes += [0x8a, 8]
            withUnsafeBytes(of: Int64(n).littleEndian) { bytes += $0 }
        }
    }

    private mutating func tuple(_ items: [() -> Void]) {
        op("(")
        items.forEach { $0() }
        op("t")
    }

    private mutating func items(_ entries: [(String, PickleNode)]) {
        guard !entries.isEmpty else { return }
        op("(")
        for (key, value) in entries {
            string(key)
            write(value)
        }
        op("u")
    }

    mutating func write(_ node: PickleNode) {
        switch node {
        case .none: op("N")
        case let .bool(b): bytes.append(b ? 0x88 : 0x89)
        case let .int(n): int(n)
        case let .float(d):
            op("G")
            withUnsafeBytes(of: d.bitPattern.bigEndian) { bytes += $0 }
        case let .string(s): string(s)
        case let .list(items):
            op("]")
            guard !items.isEmpty else { return }
            op("(")
            items.forEach { write($0) }
            op("e")
        case let .dict(entries, ordered):
            if ordered {
                global("collections.OrderedDict")
                op(")")
                op("R")
            } else {
                op("}")
            }
            items(entries)
        case let .object(className, attributes):
            global(className)
            op(")")
            bytes.append(0x81)  // NEWOBJ
            op("}")
            items(attributes)
            op("b")  // BUILD
        case let .tensor(storage, shape):
            let count = shape.reduce(1, *)
            var strides = [Int](repeating: 1, count: shape.count)
            for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
            global("torch._utils._rebuild_tensor_v2")
            op("(")
            // The persistent id: ('storage', torch.FloatStorage, key, location, numel).
            op("(")
            string("storage")
            global("torch.FloatStorage")
            string(String(storage))
            string("cpu")
            int(count)
            op("t")
            op("Q")  // BINPERSID
            int(0)
            op("(")
            shape.forEach { int($0) }
            op("t")
            op("(")
            strides.forEach { int($0) }
            op("t")
            bytes.append(0x89)  // requires_grad False
            global("collections.OrderedDict")  // backward hooks: OrderedDict()
            op(")")
            op("R")
            op("t")
            op("R")
        }
    }
}
