// One attention head over a short block of queries, computed row by row in one pass:
// scores, softmax and the weighted sum of values for each query (forward), and the whole
// gradient for each query (backward). For the few-token blocks of a shared prompt prefix
// (a class name's suffix attending to the prefix and to itself: 7 x 12 x 64) the four or
// eight small products of the GEMM formulation cost more in calls and masked columns than
// in arithmetic; here only the visible columns are touched.
//
// Every sum runs in the same order as the GEMM formulation's small-product loops
// (``smallGemmLoop(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``, ``softmaxRowLoop``):
// each score is one ``dotProducts(_:_:_:_:_:count:)`` result, each output element adds its
// terms in column order, each key/value gradient row adds its terms in query order. So the
// results are those of the products, masked columns aside (they only ever added zeros).

/// Where one head's block of `tq` queries finds its keys and values: column `j < tp` is row
/// `j` of a prefix block (`kp`, `vp`), column `tp + j` is row `j` of the block's own `tk` rows
/// (`k`, `v`). Query `i` sees the first `visible(i)` columns: all of them, or with a causal
/// offset `o`, `min(tp + tk, o + i + 1)`. Every pointer is row-major with its row stride.
public struct AttentionRows<T: LoopFloat> {
    public var q: UnsafePointer<T>, ldq: Int
    public var k: UnsafePointer<T>, ldk: Int
    public var v: UnsafePointer<T>, ldv: Int
    public var kp: UnsafePointer<T>?, ldkp: Int
    public var vp: UnsafePointer<T>?, ldvp: Int
    public var tq: Int, tk: Int, tp: Int, headDim: Int
    public var scale: T
    /// nil: every column visible.
    public var causalOffset: Int?

    @inlinable
    public init(q: UnsafePointer<T>, ldq: Int, k: UnsafePointer<T>, ldk: Int, v: UnsafePointer<T>, ldv: Int,
                kp: UnsafePointer<T>?, ldkp: Int, vp: UnsafePointer<T>?, ldvp: Int,
                tq: Int, tk: Int, tp: Int, headDim: Int, scale: T, causalOffset: Int?) {
        precondition(tp == 0 || (kp != nil && vp != nil), "a prefix of \(tp) rows needs its keys and values")
        self.q = q; self.ldq = ldq; self.k = k; self.ldk = ldk; self.v = v; self.ldv = ldv
        self.kp = kp; self.ldkp = ldkp; self.vp = vp; self.ldvp = ldvp
        self.tq = tq; self.tk = tk; self.tp = tp; self.headDim = headDim
        self.scale = scale; self.causalOffset = causalOffset
    }

    /// Columns of a probability row (prefix and own keys).
    @inlinable public var cols: Int { tp + tk }

    @inlinable @inline(__always)
    public func visible(_ i: Int) -> Int {
        guard let o = causalOffset else { return cols }
        return Swift.min(cols, Swift.max(0, o + i + 1))
    }

    @inlinable @inline(__always)
    func key(_ j: Int) -> UnsafePointer<T> { j < tp ? kp! + j * ldkp : k + (j - tp) * ldk }

    @inlinable @inline(__always)
    func value(_ j: Int) -> UnsafePointer<T> { j < tp ? vp! + j * ldvp : v + (j - tp) * ldv }
}

// MARK: - Forward

/// `probs[i] = softmax(scale q_i [kp; k]^T)` over the visible columns (0 elsewhere) and
/// `out[i] = probs[i] [vp; v]`, for each query row i. `probs` is tq x cols, packed.
@inlinable @inline(__always)
public func attentionRowsForwardLoop<T: LoopFloat>(_ a: AttentionRows<T>, out: UnsafeMutablePointer<T>, ldo: Int,
                                                   probs: UnsafeMutablePointer<T>) {
    let cols = a.cols
    for i in 0..<a.tq {
        let p = probs + i * cols, visible = a.visible(i)
        rowDots(a.q + i * a.ldq, count: a.headDim, columns: visible, into: p) { a.key($0) }
        softmaxRowLoop(out: p, inp: p, visible: visible, cols: cols, scale: a.scale)
        weightedRows(out + i * ldo, count: a.headDim, terms: visible, overwrite: true) { (p[$0], a.value($0)) }
    }
}

// MARK: - Backward

/// Where the gradients of one block go: accumulated into dq, dk, dv (the block's rows) and,
/// where given, into the prefix's dkp, dvp.
public struct AttentionRowGradients<T: LoopFloat> {
    public var dq: UnsafeMutablePointer<T>, lddq: Int
    public var dk: UnsafeMutablePointer<T>, lddk: Int
    public var dv: UnsafeMutablePointer<T>, lddv: Int
    public var dkp: UnsafeMutablePointer<T>?, lddkp: Int
    public var dvp: UnsafeMutablePointer<T>?, lddvp: Int

    @inlinable
    public init(dq: UnsafeMutablePointer<T>, lddq: Int, dk: UnsafeMutablePointer<T>, lddk: Int,
                dv: UnsafeMutablePointer<T>, lddv: Int, dkp: UnsafeMutablePointer<T>?, lddkp: Int,
                dvp: UnsafeMutablePointer<T>?, lddvp: Int) {
        self.dq = dq; self.lddq = lddq; self.dk = dk; self.lddk = lddk; self.dv = dv; self.lddv = lddv
        self.dkp = dkp; self.lddkp = lddkp; self.dvp = dvp; self.lddvp = lddvp
    }

    @inlinable @inline(__always)
    func key(_ j: Int, prefix tp: Int) -> UnsafeMutablePointer<T>? {
        j < tp ? dkp.map { $0 + j * lddkp } : dk + (j - tp) * lddk
    }

    @inlinable @inline(__always)
    func value(_ j: Int, prefix tp: Int) -> UnsafeMutablePointer<T>? {
        j < tp ? dvp.map { $0 + j * lddvp } : dv + (j - tp) * lddv
    }
}

/// Accumulates the gradients of ``attentionRowsForwardLoop(_:out:ldo:probs:)`` given `dout`
/// (tq x headDim) and its saved `probs`: query by query dP = dO_i [vp; v]^T,
/// dS = scale P (dP - sum P dP) and dq_i += dS [kp; k]; then key by key, in registers,
/// dv_j += sum_i P_ij dO_i and dk_j += sum_i dS_ij q_i. `scratch` holds `tq * cols` (dS).
@inlinable @inline(__always)
public func attentionRowsBackwardLoop<T: LoopFloat>(_ a: AttentionRows<T>, _ g: AttentionRowGradients<T>,
                                                    dout: UnsafePointer<T>, lddo: Int, probs: UnsafePointer<T>,
                                                    scratch: UnsafeMutablePointer<T>) {
    let cols = a.cols, hd = a.headDim, tp = a.tp
    for i in 0..<a.tq {
        let p = probs + i * cols, ds = scratch + i * cols, visible = a.visible(i)
        rowDots(dout + i * lddo, count: hd, columns: visible, into: ds) { a.value($0) }
        let dot = rowSum(visible) { ds[$0] * p[$0] }
        for j in 0..<visible { ds[j] = a.scale * p[j] * (ds[j] - dot) }
        weightedRows(g.dq + i * g.lddq, count: hd, terms: visible, overwrite: false) { (ds[$0], a.key($0)) }
    }
    for j in 0..<cols {
        // The queries that see column j: from the first whose visible columns pass j.
        let first = a.causalOffset.map { Swift.max(0, j - $0) } ?? 0
        guard first < a.tq else { continue }
        if let dvj = g.value(j, prefix: tp) {
            weightedRows(dvj, count: hd, terms: a.tq - first, overwrite: false) {
                (probs[(first &+ $0) &* cols &+ j], dout + (first &+ $0) &* lddo)
            }
        }
        if let dkj = g.key(j, prefix: tp) {
            weightedRows(dkj, count: hd, terms: a.tq - first, overwrite: false) {
                (scratch[(first &+ $0) &* cols &+ j], a.q + (first &+ $0) &* a.ldq)
            }
        }
    }
}

// MARK: - Row helpers

/// `out[j] = x . row(j)` for `j < columns`, four rows at a time as the small products do.
@inlinable @inline(__always)
func rowDots<T: LoopFloat>(_ x: UnsafePointer<T>, count: Int, columns: Int, into out: UnsafeMutablePointer<T>,
                           _ row: (Int) -> UnsafePointer<T>) {
    var j = 0
    while j + 4 <= columns {
        let s = dotProducts(x, row(j), row(j + 1), row(j + 2), row(j + 3), count: count)
        out[j] = s.0; out[j + 1] = s.1; out[j + 2] = s.2; out[j + 3] = s.3
        j += 4
    }
    while j < columns {
        let r = row(j)
        out[j] = dotProducts(x, r, r, r, r, count: count).0
        j += 1
    }
}

/// `y = (overwrite ? 0 : y) + sum_{t < terms} w_t row_t`, each element adding its terms in
/// order t, eight elements at a time held in registers.
@inlinable @inline(__always)
func weightedRows<T: LoopFloat>(_ y: UnsafeMutablePointer<T>, count: Int, terms: Int, overwrite: Bool,
                                _ term: (Int) -> (T, UnsafePointer<T>)) {
    typealias V = SIMD8<T>
    @inline(__always) func load(_ p: UnsafePointer<T>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }
    if count == 64 {   // CLIP's head width: all 64 sums in registers, each term's row read once
        var s0 = overwrite ? V() : load(y), s1 = overwrite ? V() : load(y + 8)
        var s2 = overwrite ? V() : load(y + 16), s3 = overwrite ? V() : load(y + 24)
        var s4 = overwrite ? V() : load(y + 32), s5 = overwrite ? V() : load(y + 40)
        var s6 = overwrite ? V() : load(y + 48), s7 = overwrite ? V() : load(y + 56)
        for t in 0..<terms {
            let (w, row) = term(t)
            s0 += w * load(row); s1 += w * load(row + 8); s2 += w * load(row + 16); s3 += w * load(row + 24)
            s4 += w * load(row + 32); s5 += w * load(row + 40); s6 += w * load(row + 48); s7 += w * load(row + 56)
        }
        store(s0, y); store(s1, y + 8); store(s2, y + 16); store(s3, y + 24)
        store(s4, y + 32); store(s5, y + 40); store(s6, y + 48); store(s7, y + 56)
        return
    }
    var c = 0
    while c + 8 <= count {
        var acc = overwrite ? V() : load(y + c)
        for t in 0..<terms {
            let (w, row) = term(t)
            acc += w * load(row + c)
        }
        store(acc, y + c)
        c += 8
    }
    while c < count {
        var acc = overwrite ? 0 : y[c]
        for t in 0..<terms {
            let (w, row) = term(t)
            acc += w * row[c]
        }
        y[c] = acc
        c += 1
    }
}
