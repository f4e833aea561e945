import Checkpoint
import Foundation
import Support
import Training

/// `cocoop predict`: classifies images with a trained prompt learner.
enum PredictCommand: Command {
    static let name = "predict"
    static let summary = "classify images with a trained CoCoOp/CoOp checkpoint (top-K per image)"
    static let usage = """
    usage: cocoop predict --weights PATH (--checkpoint FILE.h5 | --model-dir DIR [--load-epoch N])
                          [--top K] [--batch B] [--json] IMAGE|FOLDER...

    Classifies each image with the prompt learner of a checkpoint written by `cocoop train`:
    the trainer, its settings, the class names and the learned parameters come from the
    checkpoint; --weights must be the CLIP weights it was trained on (checked by SHA-256).
    Images go through the evaluation transform (INPUT.* of the checkpoint's config), so the
    top-1 class is what `cocoop train --eval-only` counts. Prints, per image, the top K
    (default 5) classes with softmax probabilities over the logits; --json prints one JSON
    array instead. A FOLDER stands for its .jpg/.jpeg/.png files, recursively, sorted.
      --model-dir DIR   the run's output folder (or its checkpoints/): the newest valid
                        checkpoint, of epoch N with --load-epoch
      --batch B         images per forward pass (default 32)
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["weights", "checkpoint", "model-dir", "load-epoch", "top", "batch"],
                              boolean: ["json"])
        guard let weights = a.value("weights") else { throw UsageError("--weights PATH is required") }
        guard !a.positional.isEmpty else { throw UsageError("no IMAGE given") }
        let checkpoint = try checkpointFile(a)
        let files = try imageFiles(a.positional)
        guard !files.isEmpty else {
            throw UsageError("no .jpg/.jpeg/.png files in \(a.positional.joined(separator: ", "))")
        }
        let predictor = try Predictor(weights: URL(fileURLWithPath: weights), checkpoint: checkpoint)
        let logits = try predictor.logits(files: files, batchSize: try a.int("batch", default: 32))
        let top = min(try a.int("top", default: 5), predictor.classnames.count)
        guard top >= 1 else { throw UsageError("--top must be at least 1") }
        var records: [JSONValue] = []
        if !a.has("json") {
            print("\(predictor.trainer.rawValue), epoch \(predictor.epoch), \(predictor.classnames.count) classes: "
                  + "\(checkpoint.path)")
        }
        for (file, row) in zip(files, logits) {
            let mx = row.max()!, z = row.reduce(0.0) { $0 + exp(Double($1 - mx)) }
            let ranked = row.indices.sorted { row[$0] > row[$1] }.prefix(top)
            let probability = { (j: Int) in exp(Double(row[j] - mx)) / z }
            if a.has("json") {
                records.append(.object([
                    ("file", .string(file.path)),
                    ("predictions", .array(ranked.map { j in
                        .object([("label", .int(j)), ("class", .string(predictor.classnames[j])),
                                 ("probability", .double(probability(j)))])
                    })),
                ]))
            } else {
                print(file.path)
                for j in ranked {
                    print(String(format: "  %6.2f%%  %@", 100 * probability(j), predictor.classnames[j]))
                }
            }
        }
        if a.has("json") { print(JSONValue.array(records).serialized(indent: 2)) }
        return 0
    }

    /// --checkpoint, or the newest valid checkpoint (of --load-epoch) in --model-dir.
    static func checkpointFile(_ a: Arguments) throws -> URL {
        if let file = a.value("checkpoint") { return URL(fileURLWithPath: file) }
        guard let dir = a.value("model-dir") else {
            throw UsageError("--checkpoint FILE or --model-dir DIR is required")
        }
        let folder = CheckpointDirectory.model(URL(fileURLWithPath: dir))
        let epoch = a.value("load-epoch") == nil ? nil : try a.int("load-epoch", default: 0)
        let result = try folder.loadNewestValid(epoch: epoch)
        if let loaded = result.loaded { return loaded.entry.url }
        let problems = result.skipped.map { "\($0.entry.name): \($0.reason)" }
        throw UsageError("no valid checkpoint\(epoch.map { " of epoch \($0)" } ?? "") in \(folder.url.path)"
                         + (problems.isEmpty ? "" : " (" + problems.joined(separator: "; ") + ")"))
    }

    /// The files named, folders expanded to their images (recursively, sorted).
    static func imageFiles(_ paths: [String]) throws -> [URL] {
        var files: [URL] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw UsageError("no such file or folder: \(path)")
            }
            guard isDirectory.boolValue else { files.append(URL(fileURLWithPath: path)); continue }
            let base = URL(fileURLWithPath: path)
            let found = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                .filter { ["jpg", "jpeg", "png"].contains(($0 as NSString).pathExtension.lowercased()) }
                .sorted()
            files += found.map { base.appendingPathComponent($0) }
        }
        return files
    }
}
