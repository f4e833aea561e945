import CLIP
import Tensor

/// One position of a prompt: a fixed token (its frozen embedding) or a row of a
/// learnable context table.
public enum PromptToken: Equatable, Sendable {
    case fixed(Int32)
    case context(Int)
}

/// Every class's prompt as a prefix shared by all classes plus the class's own suffix
/// (which ends with the EOT, where the feature is read).
public struct PromptTemplate: Equatable, Sendable {
    public var prefix: [PromptToken]
    public var suffixes: [[PromptToken]]
}

/// How prompts are laid out for the text encoder.
public enum PromptExecution: Equatable, Sendable {
    /// The fast exact path: each group's prefix once, suffixes cut at their EOT
    /// attending to it (``SharedPrefixLayout``).
    case sharedPrefix
    /// The plain oracle: one full sequence per (group, class), padded with token 0 to
    /// `length` (77 reproduces the reference exactly; any length > every EOT gives the
    /// same features).
    case padded(length: Int)
}

/// A packed batch of prompts plus where its context rows are, to route gradients back.
struct PackedPrompts {
    let text: PackedText
    /// (row, group, context index) for every context row.
    let contextRows: [(row: Int, group: Int, index: Int)]
}

extension PromptTemplate {
    /// Packs `groups` copies of the prompts of `classes`, group g reading its context rows
    /// from `tables[g]` ([K, D], row k = context(k)).
    func pack(classes: [Int], tables: [UnsafePointer<Float>], encoder: TextEncoder,
              execution: PromptExecution) -> PackedPrompts {
        pack(groups: tables.map { (classes, $0) }, encoder: encoder, execution: execution)
    }

    /// Packs, for each group, the prompts of its classes reading context rows from its
    /// table ([K, D], row k = context(k)); features come out group by group, in class order.
    func pack(groups: [(classes: [Int], table: UnsafePointer<Float>)], encoder: TextEncoder,
              execution: PromptExecution) -> PackedPrompts {
        let d = encoder.width
        var tokens: [PromptToken] = [], groupOf: [Int] = [], positions: [Int] = []
        var featureRows: [Int] = []
        let layout: AttentionLayout
        switch execution {
        case .sharedPrefix:
            let l = SharedPrefixLayout(prefixLength: prefix.count,
                                       members: groups.map { $0.classes.map { suffixes[$0].count } })
            for (grp, group) in groups.enumerated() {
                tokens += prefix
                positions += Array(0..<prefix.count)
                for c in group.classes {
                    tokens += suffixes[c]
                    positions += Array(prefix.count..<(prefix.count + suffixes[c].count))
                }
                groupOf += [Int](repeating: grp, count: l.rows(group: grp))
                for m in group.classes.indices { featureRows.append(l.lastRow(group: grp, member: m)) }
            }
            layout = l
        case .padded(let length):
            for (grp, group) in groups.enumerated() {
                for c in group.classes {
                    let seq = prefix + suffixes[c]
                    precondition(seq.count <= length, "prompt longer than the padded length")
                    featureRows.append(tokens.count + seq.count - 1)
                    tokens += seq + [PromptToken](repeating: .fixed(0), count: length - seq.count)
                    positions += Array(0..<length)
                    groupOf += [Int](repeating: grp, count: length)
                }
            }
            layout = UniformSequences(batch: featureRows.count, length: length, causal: true)
        }
        let emb = Tensor(zeros: [tokens.count, d])
        var contextRows: [(Int, Int, Int)] = []
        let table = encoder.weights.tokenEmbedding.data
        for (r, t) in tokens.enumerated() {
            switch t {
            case .fixed(let id):
                (emb.data + r * d).update(from: table + Int(id) * d, count: d)
            case .context(let k):
                (emb.data + r * d).update(from: groups[groupOf[r]].table + k * d, count: d)
                contextRows.append((r, groupOf[r], k))
            }
        }
        return PackedPrompts(text: PackedText(embeddings: emb, positions: positions,
                                              featureRows: featureRows, layout: layout),
                             contextRows: contextRows)
    }
}

// MARK: - Shared numerics

/// Normalised rows and their norms (for the L2 backward).
func normalizeRows(_ x: Tensor) -> (Tensor, Tensor) {
    let n = x.shape[0], c = x.shape[1]
    let y = Tensor(zeros: [n, c]), norm = Tensor(zeros: [n])
    l2NormalizeForward(out: y.data, norm: norm.data, inp: x.data, n: n, c: c)
    return (y, norm)
}

/// Mean-free cross-entropy bookkeeping over logits [B, C]: per-row losses, probabilities,
/// number of correct argmax predictions.
func crossEntropy(_ logits: Tensor, labels: [Int32]) -> (losses: Tensor, probs: Tensor, correct: Int) {
    let b = logits.shape[0], c = logits.shape[1]
    let losses = Tensor(zeros: [b]), probs = Tensor(zeros: [b, c])
    crossEntropyForward(losses: losses.data, probs: probs.data, logits: logits.data,
                        labels: labels, n: b, c: c)
    return (losses, probs, correctCount(logits, labels: labels))
}

/// How many rows of `logits` have their (first) maximum at the label.
func correctCount(_ logits: Tensor, labels: [Int32]) -> Int {
    let c = logits.shape[1]
    var correct = 0
    for (r, label) in labels.enumerated() {
        if argmax(logits.data + r * c, c) == Int(label) { correct += 1 }
    }
    return correct
}

/// What one forward (and backward) over a local batch reports.
public struct BatchStats {
    /// Sum of the per-sample losses of this batch.
    public var lossSum: Double
    /// Number of samples whose top-1 prediction is the label.
    public var correct: Int
    /// Number of samples.
    public var count: Int
    /// The logits [B, C].
    public var logits: Tensor
}
