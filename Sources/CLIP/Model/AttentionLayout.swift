import Tensor

/// How the token rows of a packed activation matrix form attention sequences.
///
/// A residual block runs every Linear, LayerNorm and activation over all rows at once
/// (one GEMM per Linear); only attention needs to know which rows see which. Two layouts
/// exist: ``UniformSequences`` (B sequences of equal length, the plain encoders) and
/// ``SharedPrefixLayout`` (per image a prompt prefix shared by many class suffixes).
public protocol AttentionLayout {
    /// Number of token rows.
    var tokens: Int { get }
    /// Elements of saved attention probabilities for `heads` heads.
    func probsCount(heads: Int) -> Int
    /// Elements of scratch the backward needs.
    var scratchCount: Int { get }
    /// Multi-head attention over the packed q|k|v rows (tokens, 3D) into out (tokens, D);
    /// its products at `precision` where the layout batches them (else float32). With
    /// `forBackward: false` (an inference pass) `probs` need not end up holding probabilities.
    func forward(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                 qkv: UnsafePointer<Float>, width: Int, heads: Int, precision: MatmulPrecision, forBackward: Bool)
    /// Accumulates the q|k|v gradient (tokens, 3D).
    func backward(dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                  dout: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                  qkv: UnsafePointer<Float>, width: Int, heads: Int)
}

/// `batch` sequences of `length` rows each, causal (text) or not (vision).
public struct UniformSequences: AttentionLayout {
    public let batch: Int, length: Int, causal: Bool
    public init(batch: Int, length: Int, causal: Bool) {
        self.batch = batch; self.length = length; self.causal = causal
    }
    public var tokens: Int { batch * length }
    public func probsCount(heads: Int) -> Int { batch * heads * length * length }
    public var scratchCount: Int { 2 * length * length }

    public func forward(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                        qkv: UnsafePointer<Float>, width: Int, heads: Int, precision: MatmulPrecision = .float32,
                        forBackward: Bool = true) {
        multiHeadAttentionForward(out: out, probs: probs, qkv: qkv, batch: batch, t: length,
                                  width: width, heads: heads, causal: causal, precision: precision,
                                  keepProbabilities: forBackward)
    }

    public func backward(dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                         dout: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                         qkv: UnsafePointer<Float>, width: Int, heads: Int) {
        multiHeadAttentionBackward(dqkv: dqkv, scratch: scratch, dout: dout, probs: probs,
                                   qkv: qkv, batch: batch, t: length, width: width,
                                   heads: heads, causal: causal)
    }
}

/// Per group (an image), `prefixLength` rows shared by every member (a class prompt),
/// followed by each member's own suffix rows. Rows are ordered group by group: the
/// prefix, then the suffixes in member order. Under the causal mask the prefix's hidden
/// states are the same for every member, so they are computed once; each suffix attends
/// to the prefix's keys/values and causally to its own, and in the backward the prefix
/// receives the sum of every suffix's key/value gradient. Groups may have different
/// members (a rank's share of a step holds some classes of one image, all of another).
public struct SharedPrefixLayout: AttentionLayout {
    public let prefixLength: Int
    /// The suffix lengths of each group's members.
    public let members: [[Int]]
    /// First row of each group.
    public let groupStarts: [Int]
    /// Row offset of each member's suffix within its group (after the prefix).
    public let suffixOffsets: [[Int]]
    /// Elements of saved probabilities per head of each group, and where each group's start.
    private let probsPerHead: [Int], probsStarts: [Int]
    private let maxSuffix: Int
    public let tokens: Int

    /// `groups` groups with the same members.
    public init(groups: Int, prefixLength: Int, suffixLengths: [Int]) {
        self.init(prefixLength: prefixLength, members: [[Int]](repeating: suffixLengths, count: groups))
    }

    /// One group per element of `members`, each with those suffix lengths.
    public init(prefixLength: Int, members: [[Int]]) {
        precondition(prefixLength > 0 && members.allSatisfy { $0.allSatisfy { $0 > 0 } })
        self.prefixLength = prefixLength
        self.members = members
        var starts: [Int] = [], offsets: [[Int]] = [], perHead: [Int] = [], probsStarts: [Int] = []
        var row = 0, probs = 0
        for lengths in members {
            starts.append(row)
            var o = prefixLength, group: [Int] = []
            for s in lengths { group.append(o); o += s }
            offsets.append(group)
            row += o
            let p = prefixLength * prefixLength + lengths.reduce(0) { $0 + $1 * (prefixLength + $1) }
            perHead.append(p)
            probsStarts.append(probs)
            probs += p
        }
        groupStarts = starts; suffixOffsets = offsets; probsPerHead = perHead
        self.probsStarts = probsStarts
        tokens = row
        maxSuffix = members.flatMap { $0 }.max() ?? 0
    }

    public var groups: Int { members.count }
    /// Rows of group `g`: its prefix and all its suffixes.
    public func rows(group g: Int) -> Int { (g + 1 < groups ? groupStarts[g + 1] : tokens) - groupStarts[g] }
    public func probsCount(heads: Int) -> Int { heads * probsPerHead.reduce(0, +) }
    public var scratchCount: Int {
        2 * max(prefixLength * prefixLength, maxSuffix * (prefixLength + maxSuffix))
    }

    /// Row index of member `m`'s EOT (its last suffix row) in group `g`.
    public func lastRow(group g: Int, member m: Int) -> Int {
        groupStarts[g] + suffixOffsets[g][m] + members[g][m] - 1
    }

    /// Where group `g`'s probabilities for `head` start.
    private func probsStart(group g: Int, head: Int, heads: Int) -> Int {
        probsStarts[g] * heads + head * probsPerHead[g]
    }

    /// Per group and head: the prefix's and each suffix's products are small and float32.
    public func forward(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                        qkv: UnsafePointer<Float>, width: Int, heads: Int, precision: MatmulPrecision = .float32,
                        forBackward: Bool = true) {
        let ld = 3 * width, hd = width / heads, scale = 1 / Float(hd).squareRoot()
        visit(heads: heads) { group, headRange, _ in
            let base = groupStarts[group]
            var blockAt = 0   // where the block's probabilities start within each head's
            for block in -1 ..< members[group].count {   // -1: the prefix itself
                let rows = block < 0 ? base : base + suffixOffsets[group][block]
                let tq = block < 0 ? prefixLength : members[group][block]
                for head in headRange {
                    let h = head * hd, q = qkv + rows * ld + h
                    let prefix = KeyValueBlock(k: qkv + base * ld + width + h, ldk: ld,
                                               v: qkv + base * ld + 2 * width + h, ldv: ld, rows: prefixLength)
                    attentionHeadForward(out: out + rows * width + h, ldo: width,
                                         probs: probs + probsStart(group: group, head: head, heads: heads) + blockAt,
                                         q: q, ldq: ld, k: q + width, ldk: ld, v: q + 2 * width, ldv: ld,
                                         prefix: block < 0 ? nil : prefix, tq: tq, tk: tq, headDim: hd,
                                         scale: scale, mask: .causal(offset: block < 0 ? 0 : prefixLength))
                }
                blockAt += tq * ((block < 0 ? 0 : prefixLength) + tq)
            }
        }
    }

    public func backward(dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                         dout: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                         qkv: UnsafePointer<Float>, width: Int, heads: Int) {
        let ld = 3 * width, hd = width / heads, scale = 1 / Float(hd).squareRoot()
        visit(heads: heads, scratch: scratch) { group, headRange, scratch in
            let base = groupStarts[group]
            var blockAt = 0
            for block in -1 ..< members[group].count {
                let rows = block < 0 ? base : base + suffixOffsets[group][block]
                let tq = block < 0 ? prefixLength : members[group][block]
                for head in headRange {
                    let h = head * hd, q = qkv + rows * ld + h, dq = dqkv + rows * ld + h
                    // The prefix's key/value gradients collect every suffix's contribution.
                    let prefix = KeyValueBlock(k: qkv + base * ld + width + h, ldk: ld,
                                               v: qkv + base * ld + 2 * width + h, ldv: ld, rows: prefixLength,
                                               dk: dqkv + base * ld + width + h, lddk: ld,
                                               dv: dqkv + base * ld + 2 * width + h, lddv: ld)
                    attentionHeadBackward(dq: dq, lddq: ld, dk: dq + width, lddk: ld,
                                          dv: dq + 2 * width, lddv: ld, scratch: scratch!,
                                          dout: dout + rows * width + h, lddo: width,
                                          probs: probs + probsStart(group: group, head: head, heads: heads) + blockAt,
                                          q: q, ldq: ld, k: q + width, ldk: ld,
                                          v: q + 2 * width, ldv: ld, prefix: block < 0 ? nil : prefix,
                                          tq: tq, tk: tq, headDim: hd, scale: scale,
                                          mask: .causal(offset: block < 0 ? 0 : prefixLength))
                }
                blockAt += tq * ((block < 0 ? 0 : prefixLength) + tq)
            }
        }
    }

    /// Calls `body(group, heads, scratch)` for every (group, head) pair, the pairs split over
    /// ``KernelThreads`` and handed over as runs of heads of one group: a pair owns its rows'
    /// head columns and its probabilities, and accumulates its prefix's gradient itself, so
    /// pairs never write to the same place. A body visits its group's blocks in order with
    /// the heads inside, so that each block's rows are read from memory once, not once per
    /// head. `scratch` (``scratchCount`` elements, backward only) serves the first thread;
    /// the others get their own.
    private func visit(heads: Int, scratch: UnsafeMutablePointer<Float>? = nil,
                       _ body: (Int, Range<Int>, UnsafeMutablePointer<Float>?) -> Void) {
        let perPair = probsPerHead.reduce(0, +) / Swift.max(1, groups)
        let grain = Swift.max(1, (1 << 14) / Swift.max(1, perPair * 64))
        parallelFor(groups * heads, grain: grain, singleThreadedBLAS: true) { pairs in
            let own = scratch.map { rangeScratch(pairs, shared: $0, count: scratchCount) }
            defer { if let own, let scratch { releaseScratch(own, shared: scratch) } }
            var pair = pairs.lowerBound
            while pair < pairs.upperBound {
                let group = pair / heads, end = Swift.min(pairs.upperBound, (group + 1) * heads)
                body(group, (pair - group * heads) ..< (end - group * heads), own)
                pair = end
            }
        }
    }
}
