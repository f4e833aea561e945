import Datasets
import Distributed
import Foundation
import PromptLearning
import Support
import Tensor

/// Dassl's classification result: accuracy, error and macro F1 over the classes present
/// in the ground truth (sklearn's f1_score(average="macro", labels=unique(y_true))).
public struct EvaluationResult: Equatable {
    public var split: String
    public var total: Int
    public var correct: Int
    public var accuracy: Double
    public var error: Double
    public var macroF1: Double
    /// Per class (label order): images, and images classified correctly.
    public var perClassTotal: [Int]
    public var perClassCorrect: [Int]

    /// Per class: accuracy in %, nil for a class with no images.
    public var perClassAccuracy: [Double?] {
        zip(perClassTotal, perClassCorrect).map { $0 > 0 ? 100 * Double($1) / Double($0) : nil }
    }

    /// Dassl's result block, which CoOp's parse_test_res.py reads from log.txt.
    public var resultBlock: String {
        """
        => result
        * total: \(Self.thousands(total))
        * correct: \(Self.thousands(correct))
        * accuracy: \(String(format: "%.1f", accuracy))%
        * error: \(String(format: "%.1f", error))%
        * macro_f1: \(String(format: "%.1f", macroF1))%
        """
    }

    /// Dassl's per-class block (TEST.PER_CLASS_RESULT): one line per class that has images,
    /// then their mean accuracy.
    public func perClassBlock(classnames: [String]) -> String {
        var lines = ["=> per-class result"], accs: [Double] = []
        for (label, (total, acc)) in zip(perClassTotal, perClassAccuracy).enumerated() {
            guard let acc else { continue }
            accs.append(acc)
            let name = label < classnames.count ? classnames[label] : "\(label)"
            let correct = Self.thousands(perClassCorrect[label])
            lines.append("* class: \(label) (\(name))\ttotal: \(Self.thousands(total))\tcorrect: \(correct)"
                         + "\tacc: \(String(format: "%.1f", acc))%")
        }
        let mean = accs.isEmpty ? 0 : accs.reduce(0, +) / Double(accs.count)
        lines.append("* average: \(String(format: "%.1f", mean))%")
        return lines.joined(separator: "\n")
    }

    static func thousands(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    public var json: JSONValue {
        .object([("split", .string(split)), ("total", .int(total)), ("correct", .int(correct)),
                 ("accuracy", .double(accuracy)), ("error", .double(error)), ("macro_f1", .double(macroF1))])
    }
}

/// Scores a split with every rank taking its contiguous share of the items; per-class
/// counts are all-reduced so every rank ends with the same result.
public struct Evaluator {
    public let comm: Communicator
    public let pipeline: DataPipeline
    public let batchSize: Int
    public let resolution: Int

    public init(comm: Communicator, pipeline: DataPipeline, batchSize: Int, resolution: Int) {
        self.comm = comm; self.pipeline = pipeline
        self.batchSize = max(1, batchSize); self.resolution = resolution
    }

    /// Evaluates `items` (labels in 0..<classes) with `logits(features)`; `encode` turns
    /// pixels into image features; `progress` is called after each batch. With `cache`,
    /// batches whose images are all cached (by `key`) skip loading and encoding, and fresh
    /// ones are stored.
    public func evaluate(split: String, items: [Datum], classes: Int,
                         encode: (Tensor) -> Tensor, logits: (Tensor) -> Tensor,
                         cache: (features: ImageFeatureCache, key: (Datum) -> String)? = nil,
                         progress: () -> Void = {}) throws -> EvaluationResult {
        let share = EpochSampler.shareRange(items.count, rank: comm.rank, worldSize: comm.size)
        // Per class: [true count, predicted count, correct count], then the number of
        // ranks that failed (an image of their share did not load), reduced together.
        var counts = [Double](repeating: 0, count: 3 * classes + 1)
        let requests = stride(from: share.lowerBound, to: share.upperBound, by: batchSize).enumerated().map {
            BatchRequest(tag: $0.offset, evaluating: $0.element..<min(share.upperBound, $0.element + batchSize))
        }
        var failure: Error?
        do {
            let keys = { (indices: [Int]) in cache.map { c in indices.map { c.key(items[$0]) } } ?? [] }
            // Batches served whole from the cache; only the others are loaded.
            let cachedTags = Set(requests.filter { r in
                cache?.features.contains(keys(r.items.map(\.sampleIndex))) ?? false
            }.map(\.tag))
            let batches = try BatchLoader(loader: pipeline.testLoader, items: items,
                                          requests: requests.filter { !cachedTags.contains($0.tag) },
                                          options: pipeline.options)
            defer { batches.shutdown() }
            for r in requests {
                let features: Tensor, labels: [Int]
                if cachedTags.contains(r.tag) {
                    guard let f = cache?.features.features(keys(r.items.map(\.sampleIndex))) else {
                        throw InternalError("evaluation batch \(r.tag + 1) left the feature cache")
                    }
                    features = f
                    labels = r.items.map { items[$0.sampleIndex].label }
                } else {
                    guard let batch = try batches.next(), batch.tag == r.tag else {
                        throw InternalError("the evaluation loader lost batch \(r.tag + 1)")
                    }
                    guard batch.count > 0 else { continue }   // every image of the batch was skipped
                    features = encode(DataPipeline.pixels(batch, resolution: resolution))
                    if let c = cache?.features {
                        if batch.skipped.isEmpty { c.store(keys(batch.sampleIndices), features: features) }
                    }
                    labels = batch.labels.map(Int.init)
                }
                let out = logits(features)
                for (i, label) in labels.enumerated() {
                    let row = out.data + i * classes
                    let best = argmax(row, classes)
                    counts[label] += 1
                    counts[classes + best] += 1
                    if best == label { counts[2 * classes + best] += 1 }
                }
                progress()
            }
        } catch {
            failure = error
            counts[3 * classes] = 1
        }
        try comm.allReduce(&counts, op: .sum)
        if counts[3 * classes] > 0 { try comm.failTogether(failure) }
        counts.removeLast()
        let total = Int(counts[0..<classes].reduce(0, +))
        let correct = Int(counts[(2 * classes)...].reduce(0, +))
        var f1s: [Double] = []
        for c in 0..<classes {
            let t = counts[c], p = counts[classes + c], tp = counts[2 * classes + c]
            if t > 0 { f1s.append(t + p > 0 ? 2 * tp / (t + p) : 0) }
        }
        let acc = total > 0 ? 100 * Double(correct) / Double(total) : 0
        return EvaluationResult(split: split, total: total, correct: correct, accuracy: acc, error: 100 - acc,
                                macroF1: f1s.isEmpty ? 0 : 100 * f1s.reduce(0, +) / Double(f1s.count),
                                perClassTotal: (0..<classes).map { Int(counts[$0]) },
                                perClassCorrect: (0..<classes).map { Int(counts[2 * classes + $0]) })
    }
}
