/// A value built by the restricted unpickler.
///
/// Lists, dicts and objects are reference types, as in Python: the pickle stream mutates
/// them after they are memoised (APPENDS, SETITEMS, BUILD), and every reference sees it.
public indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// An instance of an allowed class (a TorchScript module, Dassl's `Datum`).
    case object(PickleObject)
    /// A tensor rebuilt from a storage.
    case tensor(TorchTensor)
    /// An allowed callable or class, by its dotted name (before REDUCE/NEWOBJ uses it).
    case global(String)
    /// A storage reference from a persistent id (before `_rebuild_tensor_v2` uses it).
    case storage(TorchStorage)

    /// The string, if this is one.
    public var string: String? { if case let .string(s) = self { return s } else { return nil } }
    /// The integer (a bool counts as 0/1, as in Python), if this is one.
    public var int: Int? {
        switch self {
        case let .int(i): return i
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }
    /// The float (an int widened), if this is a number.
    public var double: Double? {
        switch self {
        case let .float(d): return d
        case let .int(i): return Double(i)
        default: return nil
        }
    }
    /// The tensor, if this is one.
    public var tensor: TorchTensor? { if case let .tensor(t) = self { return t } else { return nil } }
    /// The dict, if this is one.
    public var dict: PickleDict? { if case let .dict(d) = self { return d } else { return nil } }
    /// The object, if this is one.
    public var object: PickleObject? { if case let .object(o) = self { return o } else { return nil } }
    /// The elements of a list or tuple.
    public var elements: [PickleValue]? {
        switch self {
        case let .list(l): return l.items
        case let .tuple(t): return t
        default: return nil
        }
    }

    /// A short name of the value's kind, for error messages.
    public var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case let .object(o): return o.className
        case .tensor: return "tensor"
        case let .global(name): return name
        case .storage: return "storage"
        }
    }
}

/// A Python list.
public final class PickleList {
    public var items: [PickleValue]
    public init(_ items: [PickleValue] = []) { self.items = items }
}

/// A Python dict or `collections.OrderedDict`, keys in insertion order.
public final class PickleDict {
    /// Keys and values in insertion order (a repeated key replaces the value in place).
    public private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    /// Whether it was built as `collections.OrderedDict`.
    public let ordered: Bool
    /// Attributes set by BUILD (an OrderedDict state dict's `_metadata`), kept apart from the items.
    public var attributes: [String: PickleValue] = [:]
    private var stringIndex: [String: Int] = [:]
    private var intIndex: [Int: Int] = [:]

    public init(ordered: Bool = false) { self.ordered = ordered }

    /// Sets `key` to `value` (string and int keys replace earlier ones, as in Python).
    public func set(_ key: PickleValue, _ value: PickleValue) {
        switch key {
        case let .string(s):
            if let i = stringIndex[s] { entries[i].value = value; return }
            stringIndex[s] = entries.count
        case let .int(n):
            if let i = intIndex[n] { entries[i].value = value; return }
            intIndex[n] = entries.count
        default: break
        }
        entries.append((key, value))
    }

    /// The value of a string key.
    public subscript(key: String) -> PickleValue? { stringIndex[key].map { entries[$0].value } }

    /// The string keys, in order.
    public var stringKeys: [String] { entries.compactMap { $0.key.string } }
}

/// An instance of an allowed class: its dotted class name and the attributes BUILD gave it.
public final class PickleObject {
    /// `__torch__.torch.nn.modules.conv.Conv2d`, `dassl.data.datasets.base_dataset.Datum`, ...
    public let className: String
    /// Attribute names and values in the order the stream set them.
    public private(set) var attributes: [(name: String, value: PickleValue)] = []

    public init(className: String) { self.className = className }

    /// Sets (or replaces) an attribute.
    public func set(_ name: String, _ value: PickleValue) {
        if let i = attributes.firstIndex(where: { $0.name == name }) {
            attributes[i].value = value
        } else {
            attributes.append((name, value))
        }
    }

    /// The value of an attribute.
    public subscript(name: String) -> PickleValue? { attributes.first { $0.name == name }?.value }
}
