import CDNNL
import Foundation

// oneDNN's bfloat16 matmul reads its weights in a blocked layout of its own (pairs of K
// rows interleaved for the dot-product instruction, N in blocks of 64); given plain weights
// it copies them into that layout inside every call. For a frozen matrix the copy can be
// made once: measured here at ViT-B/16's shapes with batch 1 (197 x 3072 x 768), 714
// GFLOP/s with plain weights against 886 packed, and 10-17% more at 3,394 text rows.

/// Where packed copies can be kept outside a process: a node-shared folder (the CLIP
/// weights' bfloat16 cache), so that the ranks of a node hold one copy.
public protocol PackedWeightsStore: Sendable {
    /// `count` bytes named `name` (a file of the store), mapped read-only and kept mapped by
    /// the returned owner: the stored ones when a valid copy is there, else new ones that
    /// `fill` writes (returning false when it cannot), stored first. nil when the store
    /// cannot hold them (the caller keeps a private copy).
    func bytes(named name: String, count: Int, fill: (UnsafeMutableRawPointer) -> Bool)
        -> (data: UnsafeRawPointer, owner: AnyObject)?
}

/// The packed copies of one frozen bfloat16 matrix, one per layout its products have asked
/// for (a Linear's forward reads W^T, its input gradient W: two layouts). Made on first use
/// by a oneDNN reorder of the plain matrix (exact: the same values, moved) and kept for the
/// matrix's lifetime: in a ``PackedWeightsStore`` when the matrix has one (named after
/// `name` and the layout), else in private memory. ``GEMMRouting/packsBFloat16Weights``
/// turns packing off.
public final class PackedWeights: @unchecked Sendable {
    private struct Entry {
        var packed: dnnl_memory_desc_t, plain: dnnl_memory_desc_t
        let data: UnsafeRawPointer, bytes: Int
        /// The store's mapping, or nil for private memory (freed with the entry).
        let owner: AnyObject?
    }

    private let lock = NSLock()
    private var entries: [Entry] = []
    private let store: PackedWeightsStore?, name: String

    /// Copies kept in `store` under names starting with `name` (unique to the matrix's
    /// values, e.g. its cache file's and its index), or in private memory without a store.
    public init(store: PackedWeightsStore? = nil, name: String = "") {
        self.store = store
        self.name = name
    }

    deinit {
        for entry in entries where entry.owner == nil { UnsafeMutableRawPointer(mutating: entry.data).deallocate() }
    }

    /// Bytes of the copies made so far, and of those in private memory.
    public var byteCount: (all: Int, privateMemory: Int) {
        lock.lock(); defer { lock.unlock() }
        return (entries.reduce(0) { $0 + $1.bytes }, entries.reduce(0) { $0 + ($1.owner == nil ? $1.bytes : 0) })
    }

    /// The weights at `source` (laid out as `plain`) in the layout `packed`: the copy made
    /// earlier, or a new one. nil when oneDNN cannot reorder them.
    func data(_ packed: dnnl_memory_desc_t, packedFrom plain: dnnl_memory_desc_t, at source: UnsafeRawPointer,
              engine: dnnl_engine_t, stream: dnnl_stream_t) -> UnsafeRawPointer? {
        lock.lock(); defer { lock.unlock() }
        var packed = packed, plain = plain
        for i in entries.indices where dnnl_memory_desc_equal(&entries[i].packed, &packed) != 0
            && dnnl_memory_desc_equal(&entries[i].plain, &plain) != 0 {
            return entries[i].data
        }
        let bytes = dnnl_memory_desc_get_size(&packed)
        let fill = { (destination: UnsafeMutableRawPointer) in
            Self.reorder(from: &plain, source, to: &packed, destination, engine: engine, stream: stream)
        }
        if let store, let kept = store.bytes(named: "\(name).\(Self.layoutName(packed, plain))", count: bytes,
                                             fill: fill) {
            entries.append(Entry(packed: packed, plain: plain, data: kept.data, bytes: bytes, owner: kept.owner))
            return kept.data
        }
        let data = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 64), alignment: 64)
        guard fill(data) else {
            data.deallocate()
            return nil
        }
        entries.append(Entry(packed: packed, plain: plain, data: data, bytes: bytes, owner: nil))
        return UnsafeRawPointer(data)
    }

    /// A name for the pair of layouts: FNV-1a over what defines each descriptor (dimensions,
    /// type, padding, offset, blocking: not the struct's bytes, whose padding is undefined)
    /// and the library's version, in hex. Another layout, or another oneDNN, gets another
    /// name, so a store never hands out bytes packed for a different layout.
    static func layoutName(_ packed: dnnl_memory_desc_t, _ plain: dnnl_memory_desc_t) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ value: Int64) {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash = (hash ^ UInt64(truncatingIfNeeded: value >> Int64(shift)) & 0xff) &* 0x100_0000_01b3
            }
        }
        func mix<Tuple>(_ tuple: Tuple, count: Int, as type: Int64.Type) {
            withUnsafeBytes(of: tuple) { raw in for i in 0..<count { mix(raw.load(fromByteOffset: 8 * i, as: type)) } }
        }
        for md in [packed, plain] {
            let n = Int(md.ndims)
            mix(Int64(n)); mix(md.dims, count: n, as: Int64.self); mix(Int64(md.data_type.rawValue))
            mix(md.padded_dims, count: n, as: Int64.self); mix(md.padded_offsets, count: n, as: Int64.self)
            mix(md.offset0); mix(Int64(md.format_kind.rawValue)); mix(Int64(md.extra.flags))
            if md.format_kind == dnnl_blocked {
                let blocking = md.format_desc.blocking, blocks = Int(blocking.inner_nblks)
                mix(blocking.strides, count: n, as: Int64.self); mix(Int64(blocks))
                mix(blocking.inner_blks, count: blocks, as: Int64.self)
                mix(blocking.inner_idxs, count: blocks, as: Int64.self)
            }
        }
        if let v = dnnl_version()?.pointee { mix(Int64(v.major)); mix(Int64(v.minor)); mix(Int64(v.patch)) }
        return String(hash, radix: 16)
    }

    private static func reorder(from plain: inout dnnl_memory_desc_t, _ source: UnsafeRawPointer,
                                to packed: inout dnnl_memory_desc_t, _ destination: UnsafeMutableRawPointer,
                                engine: dnnl_engine_t, stream: dnnl_stream_t) -> Bool {
        var pd: dnnl_primitive_desc_t?
        guard dnnl_reorder_primitive_desc_create(&pd, &plain, engine, &packed, engine, nil) == dnnl_success else {
            return false
        }
        defer { dnnl_primitive_desc_destroy(pd) }
        var primitive: dnnl_primitive_t?
        guard dnnl_primitive_create(&primitive, pd) == dnnl_success, let primitive else { return false }
        defer { dnnl_primitive_destroy(primitive) }
        return Matmuls.execute(primitive, [(DNNL_ARG_FROM, plain, UnsafeMutableRawPointer(mutating: source)),
                                           (DNNL_ARG_TO, packed, destination)], engine: engine, stream: stream)
    }
}
