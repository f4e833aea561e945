import CLIP
import Tensor

// A training step's text work is a grid of units: one per (prompt group, class), a group
// being one image's shifted context (CoCoOp) or the one shared context (CoOp). Split over
// ranks, each rank runs its units' prompts through the text tower, the units' logits are
// gathered, the loss and its logit gradients are computed alike everywhere, and each rank
// back-propagates its own units; the parameter gradients are then summed.

// MARK: - Shares

/// A rank's part of one step's text work: for each prompt group it touches, a contiguous
/// range of classes. Shares of a partition are contiguous in group-major unit order.
public struct StepShare: Equatable, Sendable {
    /// Some classes of one group.
    public struct Part: Equatable, Sendable {
        public var group: Int
        public var classes: Range<Int>
        public init(group: Int, classes: Range<Int>) { self.group = group; self.classes = classes }
    }

    public var parts: [Part]

    public init(parts: [Part]) { self.parts = parts }

    /// Number of (group, class) units.
    public var units: Int { parts.reduce(0) { $0 + $1.classes.count } }
    /// The first unit's index in group-major order over `classes` classes.
    public func firstUnit(classes: Int) -> Int { parts.first.map { $0.group * classes + $0.classes.lowerBound } ?? 0 }
}

/// Balanced, contiguous splits of a step's units over ranks.
public enum StepPartition {
    /// Splits `groups` x `classCosts.count` units, in group-major order, into `parts`
    /// contiguous shares of about equal cost: unit (g, c) costs `classCosts[c]`, plus
    /// `prefixCost` for the first unit of each group (its shared prefix). A unit goes to the
    /// share its cost's midpoint falls in, so shares differ by at most about one unit's cost;
    /// with fewer units than parts some shares are empty.
    public static func split(groups: Int, classCosts: [Double], prefixCost: Double, parts: Int) -> [StepShare] {
        precondition(parts >= 1 && groups >= 0)
        let classes = classCosts.count
        let total = Double(groups) * (classCosts.reduce(0, +) + prefixCost)
        var shares = [[StepShare.Part]](repeating: [], count: parts)
        var before = 0.0
        for g in 0..<groups {
            for c in 0..<classes {
                let cost = classCosts[c] + (c == 0 ? prefixCost : 0)
                let mid = before + cost / 2
                let k = total > 0 ? min(parts - 1, Int(mid / total * Double(parts))) : 0
                before += cost
                if let last = shares[k].last, last.group == g, last.classes.upperBound == c {
                    shares[k][shares[k].count - 1].classes = last.classes.lowerBound..<(c + 1)
                } else {
                    shares[k].append(.init(group: g, classes: c..<(c + 1)))
                }
            }
        }
        return shares.map(StepShare.init(parts:))
    }

    /// The cost model of `split` for a learner's prompts: per suffix row, one row of every
    /// Linear (about 24 D^2 flops per layer) plus its attention over the prefix and itself
    /// (about 4 D (P + s) flops), in units of rows.
    public static func costs(template: PromptTemplate, width: Int) -> (classCosts: [Double], prefixCost: Double) {
        let p = Double(template.prefix.count), d = Double(width)
        let row = { (s: Double, context: Double) in s * (1 + context / (6 * d)) }
        return (template.suffixes.map { row(Double($0.count), p + Double($0.count)) }, row(p, p))
    }
}

// MARK: - A share's forward and backward

/// What a share's forward keeps for its backward, and the logits it produced.
public final class ShareForward {
    public let share: StepShare
    /// The share's logits in unit order, `logitsPerUnit` per unit.
    public let logits: [Float]
    let z: Tensor
    let packed: PackedPrompts?
    let tape: TextTape?
    let w: Tensor, norms: Tensor
    /// CoCoOp: the Meta-Net's activations over every image of the step.
    let metaAct: MetaNet.Activations?

    init(share: StepShare, logits: [Float], z: Tensor, packed: PackedPrompts?, tape: TextTape?, w: Tensor,
         norms: Tensor, metaAct: MetaNet.Activations?) {
        self.share = share; self.logits = logits; self.z = z; self.packed = packed; self.tape = tape
        self.w = w; self.norms = norms; self.metaAct = metaAct
    }
}

/// The work both learners share: pack a share's prompts, run the text tower, normalise;
/// and back: the features' gradient through the tower into the context rows.
struct ShareKernel {
    let clip: CLIPModel
    let template: PromptTemplate
    let execution: PromptExecution

    /// Normalised text features [U, E] of the share's units (U = 0: empty), with the packing
    /// and a tape when `training`. `table(g)` is group g's context table [K, D].
    func forward(_ share: StepShare, table: (Int) -> UnsafePointer<Float>, training: Bool)
        -> (packed: PackedPrompts?, tape: TextTape?, w: Tensor, norms: Tensor) {
        let e = clip.text.embedDim
        guard share.units > 0 else { return (nil, nil, Tensor(zeros: [0, e]), Tensor(zeros: [0])) }
        let packed = template.pack(groups: share.parts.map { (Array($0.classes), table($0.group)) },
                                   encoder: clip.text, execution: execution)
        let tape = training ? clip.text.makeTape(for: packed.text) : nil
        let (w, norms) = normalizeRows(clip.text.forward(packed.text, tape: tape))
        return (packed, tape, w, norms)
    }

    /// Back-propagates dL/dw [U, E] of the normalised features through the tower;
    /// `context(part, k, row gradient)` receives every context row's gradient.
    func backward(_ fwd: ShareForward, dw: Tensor, context: (Int, Int, UnsafePointer<Float>) -> Void) {
        guard let packed = fwd.packed, let tape = fwd.tape else { return }
        let e = clip.text.embedDim, d = clip.text.width, u = fwd.share.units
        let dt = Tensor(zeros: [u, e])
        l2NormalizeBackward(dinp: dt.data, dout: dw.data, out: fwd.w.data, norm: fwd.norms.data, n: u, c: e)
        let dx = clip.text.backward(dt, tape: tape)
        clip.text.recycle(tape)   // its buffers serve the next step
        for (row, part, k) in packed.contextRows { context(part, k, dx.data + row * d) }
    }
}

/// Cross-entropy over a whole step's logits [B, C], the same on every rank: per-sample
/// losses summed, top-1 hits, and dL/dlogits with each sample weighted by `gradScale`.
public func stepLoss(logits: Tensor, labels: [Int32], gradScale: Float) -> (stats: BatchStats, dlogits: Tensor) {
    let b = logits.shape[0], c = logits.shape[1]
    let (losses, probs, correct) = crossEntropy(logits, labels: labels)
    let dlogits = Tensor(zeros: [b, c])
    crossEntropyBackward(dlogits: dlogits.data, dloss: [Float](repeating: gradScale, count: b), probs: probs.data,
                         labels: labels, n: b, c: c)
    let stats = BatchStats(lossSum: losses.array.reduce(0) { $0 + Double($1) }, correct: correct, count: b,
                           logits: logits)
    return (stats, dlogits)
}
