import Checkpoint
import Foundation
import HDF5
import PromptLearning
import Support

/// `cocoop inspect CKPT`: a summary of a checkpoint.
enum InspectCommand: Command {
    static let name = "inspect"
    static let summary = "summarise a checkpoint (attributes, tensors, classes, integrity)"
    static let usage = """
    usage: cocoop inspect CKPT.h5 [--json]

    Verifies the checkpoint (Fletcher-32 checksums of every dataset, the stored SHA-256 of
    the tensors) and prints its attributes, tensors (shape, min/max/mean) and class names.
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: [], boolean: ["json"])
        guard let path = a.positional.first else { throw UsageError("no checkpoint given") }
        let c = try Checkpoint.load(from: URL(fileURLWithPath: path))
        func stats(_ t: NamedTensor) -> (Float, Float, Double) {
            (t.values.min() ?? 0, t.values.max() ?? 0,
             t.values.reduce(0.0) { $0 + Double($1) } / Double(max(t.values.count, 1)))
        }
        if a.has("json") {
            let tensors: [JSONValue] = (c.params.map { ("params", $0) }
                                        + c.momentum.map { ("optimizer/momentum", $0) }).map { section, t in
                let (lo, hi, mean) = stats(t)
                return .object([("name", .string("/\(section)/\(t.name)")), ("shape", .array(t.shape.map { .int($0) })),
                                 ("min", .double(Double(lo))), ("max", .double(Double(hi))), ("mean", .double(mean))])
            }
            let json: JSONValue = .object([
                ("path", .string(path)), ("epoch", .int(c.epoch)), ("step", .int(c.step)),
                ("world_size", .int(c.worldSize)),
                ("seed", .int(c.seed)), ("software_version", .string(c.softwareVersion)),
                ("clip_weights_sha256", .string(c.clipWeightsSHA256)),
                ("classnames", .array(c.classnames.map { .string($0) })), ("tensors", .array(tensors)),
                ("valid", .bool(true)),
            ])
            print(json.serialized(indent: 2))
            return 0
        }
        print("\(path): valid cocoop checkpoint (format version \(Checkpoint.formatVersion))")
        print("  epoch \(c.epoch), step \(c.step), world size \(c.worldSize), seed \(c.seed), "
              + "software \(c.softwareVersion)")
        if let created = c.created { print("  created \(ISO8601DateFormatter().string(from: created))") }
        print("  CLIP weights sha256 \(c.clipWeightsSHA256)")
        for (k, v) in c.extraAttributes.sorted(by: { $0.key < $1.key }) { print("  \(k) = \(v)") }
        for (section, tensors) in [("params", c.params), ("optimizer/momentum", c.momentum)] {
            for t in tensors {
                let (lo, hi, mean) = stats(t)
                print(String(format: "  /%@/%@ %@ min %.4g max %.4g mean %.4g", section, t.name, "\(t.shape)",
                             lo, hi, mean))
            }
        }
        print("  \(c.classnames.count) classes: \(c.classnames.prefix(10).joined(separator: ", "))"
              + "\(c.classnames.count > 10 ? ", ..." : "")")
        return 0
    }
}

/// `cocoop export CKPT --out FILE [--format safetensors|pth]`: the prompt learner for PyTorch.
enum ExportCommand: Command {
    static let name = "export"
    static let summary = "write a checkpoint's prompt learner for CoOp (Dassl .pth) or as CoOp-named safetensors"
    static let usage = """
    usage: cocoop export CKPT.h5 --out FILE [--format pth|safetensors]

    --format pth (the default for --out *.pth, *.pth.tar, *.pth.tar-N): Dassl's checkpoint
      of the prompt learner, as CoOp's trainers save it: torch.save of {"state_dict": {ctx,
      meta_net.linear1.weight, ...}, "epoch": N, "optimizer": None, "scheduler": None,
      "val_result": None}, keys WITHOUT a prefix (the prompt_learner module's own state dict).
      Save it as OUTPUT/prompt_learner/model.pth.tar-N and CoOp loads it with
      `--model-dir OUTPUT --load-epoch N --eval-only` (load_model); interpret_prompt.py reads
      its ctx directly. cocoop train reads the same folder layout with --model-dir.
    --format safetensors (the default for any other name): prompt_learner.ctx and
      prompt_learner.meta_net.* (float32), named as in the whole CustomCLIP model. In PyTorch:
        sd = safetensors.torch.load_file(FILE)
        missing, unexpected = model.load_state_dict(sd, strict=False)   # model: CustomCLIP
      strict=False is needed because the frozen CLIP and token_prefix/token_suffix are not in
      the file; check that `unexpected` is empty. Do not call model.prompt_learner.
      load_state_dict(sd, strict=False) with these names: every key would be unexpected and
      nothing would load. For the prompt learner alone, strip the prefix first:
        model.prompt_learner.load_state_dict(
            {k.removeprefix("prompt_learner."): v for k, v in sd.items()}, strict=False)
    """

    /// The two files the export writes.
    enum Format: String {
        case pth, safetensors

        /// The format `--format` names, or else the one `out`'s extension implies.
        static func of(_ value: String?, out: String) throws -> Format {
            if let value {
                guard let format = Format(rawValue: value) else {
                    throw UsageError("--format \(value): expected pth or safetensors")
                }
                return format
            }
            let name = URL(fileURLWithPath: out).lastPathComponent
            let pth = name.hasSuffix(".pth") || name.hasSuffix(".pth.tar") || name.range(of: ".pth.tar-") != nil
            return pth ? .pth : .safetensors
        }
    }

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["out", "format"])
        guard let path = a.positional.first else { throw UsageError("no checkpoint given") }
        guard let out = a.value("out") else { throw UsageError("--out FILE is required") }
        try Self.refuseToReplaceCheckpoints(out, source: path)
        let format = try Format.of(a.value("format"), out: out)
        let c = try Checkpoint.load(from: URL(fileURLWithPath: path))
        let layout = ParameterLayout(c.params.map { ($0.name.replacingOccurrences(of: "/", with: "."), $0.shape) })
        let p = ParameterBuffer(layout: layout)
        for t in c.params {
            p[t.name.replacingOccurrences(of: "/", with: ".")].data.update(from: t.values, count: t.values.count)
        }
        let names: [String]
        switch format {
        case .pth:
            try CoOpParameterFile.writeDassl(p, epoch: c.epoch, to: URL(fileURLWithPath: out))
            names = layout.slots.map(\.name)
        case .safetensors:
            try CoOpParameterFile.write(p, to: URL(fileURLWithPath: out),
                                        metadata: ["source": path, "epoch": "\(c.epoch)", "format": "cocoop-export"])
            names = layout.slots.map { CoOpParameterFile.referenceName($0.name) }
        }
        print("wrote \(names.joined(separator: ", ")) to \(out) (\(format.rawValue))")
        return 0
    }

    /// `--out` may not be the checkpoint itself (by any path) nor any other HDF5 file: the
    /// export replaces its target, and a checkpoint is not a file to lose to a typo.
    static func refuseToReplaceCheckpoints(_ out: String, source: String) throws {
        var o = stat(), s = stat()
        guard stat(out, &o) == 0 else { return }  // a new file
        if stat(source, &s) == 0 && o.st_dev == s.st_dev && o.st_ino == s.st_ino {
            throw UsageError("--out \(out) is the checkpoint being exported; name a new file")
        }
        if let h = FileHandle(forReadingAtPath: out) {
            defer { try? h.close() }
            if (try? h.read(upToCount: 8)) == Data([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) {
                throw UsageError("--out \(out) is an HDF5 file (a checkpoint?); the export would replace it")
            }
        }
    }
}
