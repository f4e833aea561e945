import Support

/// Named tensors from a PyTorch file, as `torch.load(f)` (a state dict, or Dassl's
/// checkpoint dict's `"state_dict"`) or `torch.jit.load(f).state_dict()` give them.
///
/// A TorchScript archive pickles module objects; their attributes are walked in order,
/// submodules giving dotted prefixes (`visual.conv1.weight`,
/// `transformer.resblocks.0.attn.in_proj_weight`) and tensors the entries.
public final class TorchStateDict {
    /// The file the tensors came from.
    public let file: TorchFile
    /// Tensor names in the file's order.
    public let names: [String]
    private let tensors: [String: TorchTensor]

    /// The path of the file.
    public var path: String { file.path }

    /// Reads the state dict of the file at `path`.
    /// - Throws: ``TorchFormatError`` (or ``MappedFileError``) naming the file.
    public convenience init(path: String) throws {
        try self.init(file: TorchFile(path: path))
    }

    /// The state dict of an opened file.
    public init(file: TorchFile) throws {
        self.file = file
        var ordered: [(String, TorchTensor)] = []
        switch file.root {
        case let .object(module):
            Self.walk(module, prefix: "", into: &ordered, depth: 0)
        case let .dict(dict):
            let inner = dict["state_dict"]?.dict ?? dict
            for (key, value) in inner.entries {
                guard let name = key.string else {
                    throw TorchFormatError.unexpectedContent(path: file.path, reason: "state dict key is a \(key.kind)")
                }
                guard let tensor = value.tensor else {
                    throw TorchFormatError.unexpectedContent(path: file.path, reason:
                        "state dict entry '\(name)' is a \(value.kind), not a tensor")
                }
                ordered.append((name, tensor))
            }
        default:
            throw TorchFormatError.unexpectedContent(path: file.path, reason:
                "holds a \(file.root.kind), not a state dict or a TorchScript module")
        }
        var tensors: [String: TorchTensor] = [:]
        for (name, tensor) in ordered {
            guard tensors.updateValue(tensor, forKey: name) == nil else {
                throw TorchFormatError.unexpectedContent(path: file.path, reason: "tensor '\(name)' appears twice")
            }
        }
        self.tensors = tensors
        names = ordered.map(\.0)
    }

    private static func walk(_ module: PickleObject, prefix: String, into out: inout [(String, TorchTensor)],
                             depth: Int) {
        guard depth < 64 else { return }  // a cycle of modules; real models nest a few levels
        for (name, value) in module.attributes {
            switch value {
            case let .tensor(tensor): out.append((prefix + name, tensor))
            case let .object(child) where child.className.hasPrefix("__torch__."):
                walk(child, prefix: prefix + name + ".", into: &out, depth: depth + 1)
            default: continue
            }
        }
    }

    // MARK: - Access by name

    /// Whether a tensor named `name` exists.
    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// The tensor named `name`.
    /// - Throws: ``TorchFormatError/unexpectedContent(path:reason:)`` when there is none.
    public func tensor(_ name: String) throws -> TorchTensor {
        guard let tensor = tensors[name] else {
            throw TorchFormatError.unexpectedContent(path: path, reason: "no tensor named '\(name)'")
        }
        return tensor
    }

    /// The elements of `name` as `Float`, row-major.
    public func floats(_ name: String) throws -> [Float] {
        try tensor(name).floats(path: path, name: name)
    }
}
