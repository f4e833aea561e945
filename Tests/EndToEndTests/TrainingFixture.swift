import Checkpoint
import Foundation

/// A tiny dataset in CoOp's split-file layout built from the fixture images (12 training
/// and 6 test images over 4 classes), the tiny CLIP of the fixtures, and helpers to run
/// `cocoop train` alone or under mpirun and read its final parameters.
struct TrainingFixture {
    let root: URL
    let weights = Cocoop.sharedFixtures.appendingPathComponent("clip_openai.safetensors").path
    static let trainerConfig = Cocoop.packageRoot.appendingPathComponent("Configs/trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml").path

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-e2e-\(UUID().uuidString)")
        let images = root.appendingPathComponent("tiny/images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let sources = ["chelsea.png", "chelsea_q90.jpg", "astronaut.png", "coffee.png",
                       "dog_04_drawn_with_strai_01.png", "bunny_01.png"]
        let classes = ["cat", "cat", "astronaut", "coffee", "dog", "dog"]
        let label = ["cat": 0, "astronaut": 1, "coffee": 2, "dog": 3]
        var train: [[Any]] = [], test: [[Any]] = []
        for copy in 0..<2 {
            for (i, s) in sources.enumerated() {
                let name = "\(copy)_\(s)"
                try FileManager.default.copyItem(at: Cocoop.fixtures.appendingPathComponent("preprocess/\(s)"),
                                                 to: images.appendingPathComponent(name))
                train.append(["images/\(name)", label[classes[i]]!, classes[i]])
                if copy == 0 { test.append(["images/\(name)", label[classes[i]]!, classes[i]]) }
            }
        }
        let split = try JSONSerialization.data(withJSONObject: ["train": train, "val": [], "test": test])
        try split.write(to: root.appendingPathComponent("tiny/split.json"))
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// `cocoop train` arguments for a CoCoOp run into `output` (32x32 input, tiny data); or a
    /// run of `trainer` with `config` (a path under Configs/) on other `weights` of `size` pixels.
    /// `precision` is both trainers' PREC: fp32 by
    /// default, the precision the tests' expectations are written for (the configs say fp16,
    /// bfloat16 products on CPUs that have it; PrecisionCommandTests covers those).
    func arguments(output: URL, epochs: Int = 2, batch: Int = 4, extra: [String] = [],
                   trainer: String = "CoCoOp", config: String? = nil, weights: String? = nil,
                   size: Int = 32, precision: String = "fp32") -> [String] {
        let configFile = config.map { Cocoop.packageRoot.appendingPathComponent("Configs/" + $0).path }
        return ["train", "--weights", weights ?? self.weights, "--root", root.path, "--config-file",
                configFile ?? Self.trainerConfig, "--output-dir", output.path, "--trainer", trainer, "--seed", "1",
                "DATASET.NAME", "SplitFile", "DATASET.SPLIT_FILE", "tiny/split.json",
                "INPUT.SIZE", "[\(size), \(size)]",
                "OPTIM.MAX_EPOCH", "\(epochs)", "OPTIM.LR", "0.5", "DATALOADER.TRAIN_X.BATCH_SIZE", "\(batch)",
                "DATALOADER.TEST.BATCH_SIZE", "4", "TRAIN.PRINT_FREQ", "1",
                "TRAINER.COCOOP.PREC", precision, "TRAINER.COOP.PREC", precision] + extra
    }

    /// Runs with `ranks` MPI ranks (plain process when 0).
    static func train(_ args: [String], ranks: Int, environment: [String: String] = [:],
                      timeout: TimeInterval = 180) throws -> ProcessResult {
        if ranks == 0 { return try Cocoop.run(args, environment: environment, timeout: timeout) }
        return try Cocoop.run(MPIRun.arguments(np: ranks, args), executable: MPIRun.executable,
                              environment: MPIRun.environment.merging(environment) { $1 }, timeout: timeout)
    }

    /// The newest checkpoint's contents in `output`.
    static func finalCheckpoint(_ output: URL) throws -> CheckpointContents {
        let dir = CheckpointDirectory(output.appendingPathComponent("checkpoints"))
        guard let entry = try dir.entries().first else { throw CocoaError(.fileNoSuchFile) }
        return try Checkpoint.load(from: entry.url)
    }

    /// All parameter values in name order.
    static func parameters(_ c: CheckpointContents) -> [Float] {
        c.params.sorted { $0.name < $1.name }.flatMap(\.values)
    }

    /// Files and modification dates under `url` (to check that nothing was clobbered).
    static func snapshot(_ url: URL) -> [String: Date] {
        var out: [String: Date] = [:]
        let e = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.contentModificationDateKey])
        while let f = e?.nextObject() as? URL {
            out[f.path] = (try? f.resourceValues(forKeys: [.contentModificationDateKey]))?.contentModificationDate
        }
        return out
    }
}

import Support
import TestSupport

/// Copies a safetensors file, giving one tensor another shape.
enum SafetensorsFileRewriter {
    /// Same element count, another shape.
    static func rewrite(_ source: String, to destination: URL, reshaping name: String, to shape: [Int]) throws -> URL {
        try rewrite(source, to: destination, name: name) { _, floats in (shape, floats) }
    }

    /// The tensor `name` cut to its first `rows` rows.
    static func rewrite(_ source: String, to destination: URL, truncating name: String, rows: Int) throws -> URL {
        try rewrite(source, to: destination, name: name) { shape, floats in
            ([rows] + shape.dropFirst(), Array(floats.prefix(rows * shape.dropFirst().reduce(1, *))))
        }
    }

    /// The tensor `name` with `value` at flat index `index`.
    static func rewrite(_ source: String, to destination: URL, setting name: String, at index: Int,
                        to value: Float) throws -> URL {
        try rewrite(source, to: destination, name: name) { shape, floats in
            var f = floats
            f[index] = value
            return (shape, f)
        }
    }

    private static func rewrite(_ source: String, to destination: URL, name: String,
                                _ change: ([Int], [Float]) -> ([Int], [Float])) throws -> URL {
        let file = try SafetensorsFile(path: source)
        var w = SafetensorsWriter()
        for info in file.tensors {
            var (shape, floats) = (info.shape, try file.floats(info.name))
            if info.name == name { (shape, floats) = change(shape, floats) }
            try w.add(info.name, shape: shape, floats: floats, as: .f32)
        }
        try w.write(to: destination)
        return destination
    }
}
