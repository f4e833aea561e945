import Foundation
import Support

// MARK: - Checkpoint

/// Dassl's checkpoint (`save_checkpoint`): `{"state_dict": OrderedDict(name -> tensor),
/// "epoch": int, "optimizer": dict or None, "scheduler": dict or None, "val_result": float or None}`,
/// saved with `torch.save`; CoOp keeps it as `<model-dir>/prompt_learner/model.pth.tar-<epoch>`.
public struct DasslCheckpoint {
    /// The tensors (the prompt learner's state dict).
    public let stateDict: TorchStateDict
    /// The `epoch` entry (Dassl saves the number of epochs done).
    public let epoch: Int?
    /// The `val_result` entry.
    public let valResult: Double?

    /// Reads a Dassl checkpoint (or any `torch.save`d dict with a `state_dict` entry).
    /// - Throws: ``TorchFormatError`` naming the file.
    public init(path: String) throws {
        let file = try TorchFile(path: path)
        guard let dict = file.root.dict, dict["state_dict"] != nil else {
            let keys = file.root.dict.map { " with keys \($0.stringKeys)" } ?? ""
            throw TorchFormatError.unexpectedContent(path: path, reason: "not a Dassl checkpoint (a dict with "
                + "'state_dict'); found a \(file.root.kind)\(keys)")
        }
        stateDict = try TorchStateDict(file: file)
        epoch = dict["epoch"]?.int
        valResult = dict["val_result"]?.double
    }

    /// Writes `tensors` as Dassl's `save_checkpoint` would (no optimizer or scheduler state).
    public static func write(_ tensors: [NamedTensor], epoch: Int, valResult: Double?,
                             to url: URL) throws {
        let (stateDict, storages) = try TorchSave.stateDict(tensors)
        let root = PickleNode.dict([("state_dict", stateDict), ("epoch", .int(epoch)), ("optimizer", .none),
                                    ("scheduler", .none), ("val_result", valResult.map { .float($0) } ?? .none)],
                                   ordered: false)
        try TorchSave.write(root, storages: storages, to: url)
    }
}

// MARK: - Few-shot cache

/// One item of CoOp's few-shot cache: the attributes of Dassl's `Datum`.
public struct DasslDatum: Equatable, Sendable {
    /// `_impath`: the image's absolute path on the machine that drew the subset.
    public var impath: String
    /// `_label`.
    public var label: Int
    /// `_domain`.
    public var domain: Int
    /// `_classname`.
    public var classname: String

    public init(impath: String, label: Int, domain: Int = 0, classname: String) {
        self.impath = impath
        self.label = label
        self.domain = domain
        self.classname = classname
    }
}

/// CoOp's few-shot cache `split_fewshot/shot_K-seed_S.pkl`: `pickle.dump({"train": [Datum],
/// "val": [Datum]})`, read by `pickle.load` in every CoOp dataset class.
public enum DasslFewShotCache {
    /// The train and val lists of the cache at `path` (val empty when absent).
    /// - Throws: ``TorchFormatError`` naming the file and the item at fault.
    public static func read(path: String) throws -> (train: [DasslDatum], val: [DasslDatum]) {
        let file = try TorchFile(path: path)
        guard let dict = file.root.dict, let train = dict["train"] else {
            throw TorchFormatError.unexpectedContent(path: path, reason: "not a few-shot cache (a dict with 'train' "
                                                     + "and 'val' lists of Datum); found a \(file.root.kind)")
        }
        return (try items(train, "train", path), try dict["val"].map { try items($0, "val", path) } ?? [])
    }

    private static func items(_ value: PickleValue, _ split: String, _ path: String) throws -> [DasslDatum] {
        guard let list = value.elements else {
            throw TorchFormatError.unexpectedContent(path: path, reason: "'\(split)' is a \(value.kind), not a list")
        }
        return try list.enumerated().map { i, item in
            guard let datum = item.object, datum.className == Unpickler.datumClass,
                  let impath = datum["_impath"]?.string, let label = datum["_label"]?.int,
                  let classname = datum["_classname"]?.string else {
                throw TorchFormatError.unexpectedContent(path: path, reason: "\(split)[\(i)] is a \(item.kind), not "
                    + "a Datum with _impath, _label and _classname")
            }
            return DasslDatum(impath: impath, label: label, domain: datum["_domain"]?.int ?? 0, classname: classname)
        }
    }

    /// Writes a cache `pickle.load` reads (with Dassl importable) as CoOp's datasets do;
    /// without `val` only `"train"` is written, as CoOp's ImageNet does.
    public static func write(train: [DasslDatum], val: [DasslDatum]?, to url: URL) throws {
        func node(_ d: DasslDatum) -> PickleNode {
            .object(className: Unpickler.datumClass, attributes: [
                ("_impath", .string(d.impath)), ("_label", .int(d.label)), ("_domain", .int(d.domain)),
                ("_classname", .string(d.classname)),
            ])
        }
        var entries: [(String, PickleNode)] = [("train", .list(train.map(node)))]
        if let val { entries.append(("val", .list(val.map(node)))) }
        let root = PickleNode.dict(entries, ordered: false)
        try writeAtomically(PickleWriter.stream(root), to: url)
    }
}
