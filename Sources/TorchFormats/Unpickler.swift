/// A restricted pickle machine (protocols 2 to 5) that builds only what PyTorch checkpoints,
/// TorchScript archives and Dassl's few-shot caches hold.
///
/// Nothing is ever imported or called: a GLOBAL or STACK_GLOBAL resolves to a name, and only
/// the names ``TorchFormatError/allowedSummary`` lists are accepted; every other name (say
/// `posix.system` or `builtins.eval`) is refused by name when it is first mentioned. Class
/// instances become ``PickleObject``s whose attributes BUILD fills in; tensors are rebuilt
/// from the storages a persistent-id loader returns. Reads are bounds-checked, so a truncated
/// or damaged stream is an error naming the file, entry and byte offset.
struct Unpickler {
    let data: UnsafeRawBufferPointer
    let path: String
    let entry: String
    /// Turns a persistent id (`('storage', torch.FloatStorage, key, location, numel)`) into a value.
    var persistentLoad: ((PickleValue) throws -> PickleValue)?

    private var pos = 0
    private var start = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    /// Bytes read so far (after ``load()``: the length of the pickle, STOP included).
    var consumed: Int { pos }

    init(data: UnsafeRawBufferPointer, path: String, entry: String,
         persistentLoad: ((PickleValue) throws -> PickleValue)? = nil) {
        self.data = data
        self.path = path
        self.entry = entry
        self.persistentLoad = persistentLoad
    }

    /// The callables and classes that are built, by dotted name (plus every `__torch__.*` class).
    static let allowedCallables: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state", "torch.jit._pickle.build_intlist",
        "torch.jit._pickle.build_doublelist", "torch.jit._pickle.build_boollist",
        "torch.jit._pickle.build_tensorlist", "torch.jit._pickle.restore_type_tag", datumClass,
    ]
    /// Dassl's `Datum`.
    static let datumClass = "dassl.data.datasets.base_dataset.Datum"

    static func isAllowed(_ name: String) -> Bool {
        allowedCallables.contains(name) || name.hasPrefix("__torch__.")
            || TorchStorage.dtype(ofStorageClass: name) != nil
    }

    static func isClass(_ name: String) -> Bool { name == datumClass || name.hasPrefix("__torch__.") }

    // MARK: - Errors and reads

    private func fail(_ reason: String) -> TorchFormatError {
        .badPickle(path: path, entry: entry, offset: start, reason: reason)
    }

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= data.count - pos else {
            throw fail("truncated: \(count) bytes wanted, \(data.count - pos) left")
        }
        defer { pos += count }
        return UnsafeRawBufferPointer(rebasing: data[pos..<(pos + count)])
    }

    private mutating func byte() throws -> UInt8 { try take(1)[0] }
    private mutating func u16() throws -> Int { Int(UInt16(littleEndian: try take(2).loadUnaligned(as: UInt16.self))) }
    private mutating func u32() throws -> Int { Int(UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self))) }
    private mutating func i32() throws -> Int { Int(Int32(littleEndian: try take(4).loadUnaligned(as: Int32.self))) }
    private mutating func u64() throws -> Int {
        let value = UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self))
        guard value <= UInt64(data.count) else { throw fail("length \(value) exceeds the stream") }
        return Int(value)
    }

    private mutating func line() throws -> String {
        guard let end = data[pos...].firstIndex(of: UInt8(ascii: "\n")) else { throw fail("truncated: no newline") }
        let text = String(decoding: data[pos..<end], as: UTF8.self)
        pos = end + 1
        return text
    }

    private mutating func utf8(_ count: Int) throws -> PickleValue {
        let bytes = try take(count)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return .string(text)
    }

    /// A little-endian two's-complement integer of `count` bytes (LONG1/LONG4).
    private mutating func long(_ count: Int) throws -> PickleValue {
        guard count <= 8 else { throw fail("integer of \(count) bytes does not fit in 64 bits") }
        let bytes = try take(count)
        guard count > 0 else { return .int(0) }
        var value: UInt64 = 0
        for (i, b) in bytes.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        if count < 8, bytes[count - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(count)) }
        return .int(Int(Int64(bitPattern: value)))
    }

    // MARK: - Stack

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw fail("stack underflow") }
        if let mark = marks.last, stack.count < mark { throw fail("stack underflow past a MARK") }
        return value
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func top() throws -> PickleValue {
        guard let value = stack.last else { throw fail("stack underflow") }
        return value
    }

    // MARK: - The machine

    /// Runs the stream to STOP and returns the value it leaves.
    mutating func load() throws -> PickleValue {
        while true {
            start = pos
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME: framing is only a hint
            case UInt8(ascii: "."):  // STOP
                guard stack.count == 1, marks.isEmpty else {
                    throw fail("STOP with \(stack.count) values and \(marks.count) marks on the stack")
                }
                return stack[0]
            case UInt8(ascii: "("): marks.append(stack.count)  // MARK
            case UInt8(ascii: "0"): _ = try pop()  // POP
            case UInt8(ascii: "1"): _ = try popMark()  // POP_MARK
            case UInt8(ascii: "2"): stack.append(try top())  // DUP
            case UInt8(ascii: "N"): stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case UInt8(ascii: "J"): stack.append(.int(try i32()))  // BININT
            case UInt8(ascii: "K"): stack.append(.int(Int(try byte())))  // BININT1
            case UInt8(ascii: "M"): stack.append(.int(try u16()))  // BININT2
            case 0x8a: stack.append(try long(Int(try byte())))  // LONG1
            case 0x8b: stack.append(try long(try u32()))  // LONG4
            case UInt8(ascii: "I"): stack.append(try textInt())  // INT
            case UInt8(ascii: "L"): stack.append(try textInt())  // LONG
            case UInt8(ascii: "G"):  // BINFLOAT (big-endian)
                stack.append(.float(Double(bitPattern: UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self)))))
            case UInt8(ascii: "F"):  // FLOAT
                let text = try line()
                guard let value = Double(text) else { throw fail("bad float '\(text)'") }
                stack.append(.float(value))
            case 0x8c: stack.append(try utf8(Int(try byte())))  // SHORT_BINUNICODE
            case UInt8(ascii: "X"): stack.append(try utf8(try u32()))  // BINUNICODE
            case 0x8d: stack.append(try utf8(try u64()))  // BINUNICODE8
            case UInt8(ascii: "U"): stack.append(try utf8(Int(try byte())))  // SHORT_BINSTRING
            case UInt8(ascii: "T"): stack.append(try utf8(try u32()))  // BINSTRING
            case UInt8(ascii: "C"): stack.append(.bytes([UInt8](try take(Int(try byte())))))  // SHORT_BINBYTES
            case UInt8(ascii: "B"): stack.append(.bytes([UInt8](try take(try u32()))))  // BINBYTES
            case 0x8e, 0x96: stack.append(.bytes([UInt8](try take(try u64()))))  // BINBYTES8, BYTEARRAY8
            case UInt8(ascii: ")"): stack.append(.tuple([]))
            case UInt8(ascii: "t"): stack.append(.tuple(try popMark()))
            case 0x85: stack.append(.tuple([try pop()]))
            case 0x86:
                let b = try pop(), a = try pop()
                stack.append(.tuple([a, b]))
            case 0x87:
                let c = try pop(), b = try pop(), a = try pop()
                stack.append(.tuple([a, b, c]))
            case UInt8(ascii: "]"): stack.append(.list(PickleList()))
            case UInt8(ascii: "l"): stack.append(.list(PickleList(try popMark())))
            case UInt8(ascii: "a"):  // APPEND
                let value = try pop()
                try list(try top()).items.append(value)
            case UInt8(ascii: "e"):  // APPENDS
                let values = try popMark()
                try list(try top()).items.append(contentsOf: values)
            case UInt8(ascii: "}"): stack.append(.dict(PickleDict()))
            case UInt8(ascii: "d"):  // DICT
                let items = try popMark()
                let dict = PickleDict()
                try setItems(dict, items)
                stack.append(.dict(dict))
            case UInt8(ascii: "s"):  // SETITEM
                let value = try pop(), key = try pop()
                try setItems(try dict(try top()), [key, value])
            case UInt8(ascii: "u"):  // SETITEMS
                let items = try popMark()
                try setItems(try dict(try top()), items)
            case UInt8(ascii: "c"):  // GLOBAL
                let module = try line(), name = try line()
                stack.append(try global(module, name))
            case 0x93:  // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard let m = module.string, let n = name.string else { throw fail("STACK_GLOBAL needs two strings") }
                stack.append(try global(m, n))
            case UInt8(ascii: "R"):  // REDUCE
                let args = try pop(), callable = try pop()
                stack.append(try call(callable, args))
            case 0x81:  // NEWOBJ
                let args = try pop(), cls = try pop()
                stack.append(try call(cls, args))
            case 0x92:  // NEWOBJ_EX
                _ = try pop()
                let args = try pop(), cls = try pop()
                stack.append(try call(cls, args))
            case UInt8(ascii: "b"):  // BUILD
                let state = try pop()
                try build(try top(), state)
            case UInt8(ascii: "Q"):  // BINPERSID
                let pid = try pop()
                guard let persistentLoad else { throw fail("persistent id outside a PyTorch archive") }
                stack.append(try persistentLoad(pid))
            case UInt8(ascii: "q"): memo[Int(try byte())] = try top()  // BINPUT
            case UInt8(ascii: "r"): memo[try u32()] = try top()  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()  // MEMOIZE
            case UInt8(ascii: "p"):  // PUT
                guard let index = Int(try line()) else { throw fail("bad PUT index") }
                memo[index] = try top()
            case UInt8(ascii: "h"): stack.append(try recall(Int(try byte())))  // BINGET
            case UInt8(ascii: "j"): stack.append(try recall(try u32()))  // LONG_BINGET
            case UInt8(ascii: "g"):  // GET
                guard let index = Int(try line()) else { throw fail("bad GET index") }
                stack.append(try recall(index))
            default:
                throw fail("unsupported pickle opcode 0x\(String(op, radix: 16)) ('\(Character(Unicode.Scalar(op)))')")
            }
        }
    }

    private mutating func textInt() throws -> PickleValue {
        var text = try line()
        if text.hasSuffix("L") { text.removeLast() }
        if text == "01" { return .bool(true) }
        if text == "00" { return .bool(false) }
        guard let value = Int(text) else { throw fail("bad integer '\(text)'") }
        return .int(value)
    }

    private func recall(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw fail("memo \(index) was never stored") }
        return value
    }

    private func list(_ value: PickleValue) throws -> PickleList {
        guard case let .list(l) = value else { throw fail("APPEND to a \(value.kind), not a list") }
        return l
    }

    private func dict(_ value: PickleValue) throws -> PickleDict {
        guard case let .dict(d) = value else { throw fail("SETITEM on a \(value.kind), not a dict") }
        return d
    }

    private func setItems(_ dict: PickleDict, _ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw fail("odd number of dict items") }
        for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
    }

    private func global(_ module: String, _ name: String) throws -> PickleValue {
        let full = module + "." + name
        guard Self.isAllowed(full) else { throw TorchFormatError.refusedGlobal(path: path, name: full) }
        return .global(full)
    }

    // MARK: - Calls and BUILD

    private func call(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case let .global(name) = callable else { throw fail("call of a \(callable.kind), not a global") }
        guard case let .tuple(a) = args else { throw fail("\(name) called with a \(args.kind), not a tuple") }
        if Self.isClass(name) { return .object(PickleObject(className: name)) }
        switch name {
        case "collections.OrderedDict":
            let dict = PickleDict(ordered: true)
            if let pairs = a.first?.elements {
                for pair in pairs {
                    guard let kv = pair.elements, kv.count == 2 else { throw fail("OrderedDict item is not a pair") }
                    dict.set(kv[0], kv[1])
                }
            }
            return .dict(dict)
        case "torch._utils._rebuild_tensor_v2":
            return try rebuildTensor(a)
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard let first = a.first, case .tensor = first else { throw fail("\(name) of a non-tensor") }
            return first
        case "torch.jit._pickle.restore_type_tag":
            guard let first = a.first else { throw fail("\(name) without arguments") }
            return first
        default:
            if name.hasPrefix("torch.jit._pickle.build_") {
                guard let first = a.first, case .list = first else { throw fail("\(name) of a non-list") }
                return first
            }
            throw fail("'\(name)' is a storage class, not a callable")
        }
    }

    private func rebuildTensor(_ a: [PickleValue]) throws -> PickleValue {
        guard a.count >= 4, case let .storage(storage) = a[0], let offset = a[1].int,
              let sizes = a[2].elements, let strides = a[3].elements else {
            throw fail("_rebuild_tensor_v2 expects (storage, offset, sizes, strides, ...), got "
                       + "(\(a.map(\.kind).joined(separator: ", ")))")
        }
        let shape = try sizes.map { v -> Int in
            guard let n = v.int else { throw fail("tensor size is a \(v.kind)") }
            return n
        }
        let steps = try strides.map { v -> Int in
            guard let n = v.int else { throw fail("tensor stride is a \(v.kind)") }
            return n
        }
        return .tensor(try TorchTensor(storage: storage, offset: offset, shape: shape, strides: steps, path: path))
    }

    private func build(_ target: PickleValue, _ state: PickleValue) throws {
        // A (state, slotstate) pair: the dict part carries the attributes.
        var attributes = state
        if case let .tuple(parts) = state, parts.count == 2 { attributes = parts[0] }
        if case .none = attributes { return }
        guard let dict = attributes.dict else { throw fail("BUILD with a \(state.kind) state") }
        switch target {
        case let .object(object):
            for (key, value) in dict.entries {
                guard let name = key.string else { throw fail("attribute name is a \(key.kind)") }
                object.set(name, value)
            }
        case let .dict(target):
            for (key, value) in dict.entries { if let name = key.string { target.attributes[name] = value } }
        case .tensor:
            return  // a tensor subclass's Python attributes mean nothing here
        default:
            throw fail("BUILD on a \(target.kind)")
        }
    }
}
