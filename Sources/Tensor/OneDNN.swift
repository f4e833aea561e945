import CDNNL
import Foundation

// oneDNN's matmul primitive behind the tensor core's GEMM: bfloat16 operands with float32
// accumulation (the frozen towers at PREC fp16/amp), and float32 where it beats OpenBLAS.
// A primitive is created once per shape (with strides, alpha, beta and thread count) and
// kept; memory objects wrap the caller's pointers at each call. Calls are serialised: each
// already uses every thread, and the primitives share one scratchpad buffer.

/// What oneDNN offers on this CPU, and its primitive cache.
public enum OneDNN {
    /// Whether oneDNN runs bfloat16 products natively here (AVX512_BF16 or AMX): false means
    /// it would emulate them, slower than float32, so PREC fp16 falls back to float32.
    /// `DNNL_MAX_CPU_ISA=AVX512_CORE` in the environment makes it false (the fallback test).
    public static var hasNativeBFloat16: Bool {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        // The ISA values are bit masks in which every richer ISA includes the poorer ones.
        let bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue, amx = dnnl_cpu_isa_avx512_core_amx.rawValue
        return isa & bf16 == bf16 || isa & amx == amx
    }

    /// Whether oneDNN dispatches to AVX-512 (float32 products go to it then: ``GEMMRouting``).
    public static var hasAVX512: Bool {
        let isa = dnnl_get_effective_cpu_isa().rawValue, avx512 = dnnl_cpu_isa_avx512_core.rawValue
        return isa & avx512 == avx512
    }

    /// The instruction set oneDNN dispatches to, e.g. "avx512_core_bf16" (for `cocoop env`).
    public static var isaName: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        case dnnl_cpu_isa_avx2: return "avx2"
        case let other: return "isa 0x\(String(other.rawValue, radix: 16))"
        }
    }

    /// oneDNN's version, e.g. "2.6.3".
    public static var version: String {
        guard let v = dnnl_version()?.pointee else { return "unknown" }
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// Primitives created so far (one per distinct product shape).
    public static var cachedPrimitives: Int { Matmuls.shared.count }
}

/// The element type of a oneDNN operand.
enum DNNLType {
    case float32, bfloat16
    var dnnl: dnnl_data_type_t { self == .float32 ? dnnl_f32 : dnnl_bf16 }
}

/// What identifies a matmul primitive: `C[m, n] = alpha op(A) op(B) + beta C`, row strides
/// as stored, operand types, and the threads it was created for; with `batch`, as many such
/// products over two batch dimensions (sequences, heads), at fixed element strides.
struct MatmulKey: Hashable {
    var transA: Bool, transB: Bool
    var m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int
    var alpha: Float, beta: Float
    var bfloat16: Bool
    var threads: Int
    var batch: MatmulBatch? = nil
    /// Applied to every element of C after the product (and the beta C sum).
    var activation: FusedActivation? = nil
    /// Whether a float32 bias `[n]` is added to every row of the product (before the activation).
    var bias = false
    /// Whether B (frozen weights) may be read in the layout the primitive prefers, packed once
    /// (``PackedWeights``), instead of the plain layout its kernels copy from at every call.
    var packedWeights = false
    /// Whether C is multiplied element-wise by a float32 matrix shaped like it (dense rows),
    /// after everything above.
    var factor = false
    /// Whether C is written in bfloat16 (rounded to nearest even; oneDNN writes a subnormal
    /// result as zero) instead of float32.
    var bfloat16Output = false
}

/// `outer` x `inner` products, the (i, j)-th with operands at `i * strides.0 + j * strides.1`
/// elements from the first one's.
struct MatmulBatch: Hashable {
    var outer: Int, inner: Int
    var a: Strides, b: Strides, c: Strides

    struct Strides: Hashable {
        var outer: Int, inner: Int
    }
}

/// A created primitive and the descriptors of its operands.
final class Matmul {
    let primitive: dnnl_primitive_t
    var a = dnnl_memory_desc_t(), b = dnnl_memory_desc_t(), c = dnnl_memory_desc_t()
    var bias = dnnl_memory_desc_t(), scratch = dnnl_memory_desc_t(), factor = dnnl_memory_desc_t()
    /// With ``MatmulKey/factor``: the execution argument of the factor matrix.
    private(set) var factorArgument: Int32 = 0
    let scratchBytes: Int
    /// With ``MatmulKey/packedWeights``: B as stored (`b` is then the layout the primitive
    /// reads), and whether the two differ (the weights must be packed into `b`'s layout).
    var plainB = dnnl_memory_desc_t()
    private(set) var packsB = false

    init(_ key: MatmulKey, engine: dnnl_engine_t) throws {
        let type = key.bfloat16 ? DNNLType.bfloat16.dnnl : DNNLType.float32.dnnl
        // op(A) is [m, k]: stored [m, k] with row stride lda, or [k, m] (transposed).
        try check(Self.describe(&a, rows: key.m, cols: key.k, ld: key.lda, transposed: key.transA, type: type,
                                batch: key.batch, strides: key.batch?.a), "A")
        try check(Self.describe(&b, rows: key.k, cols: key.n, ld: key.ldb, transposed: key.transB, type: type,
                                batch: key.batch, strides: key.batch?.b), "B")
        let packs = key.packedWeights && key.batch == nil
        if packs {
            plainB = b
            try check(cocoop_dnnl_md_2d_any(&b, Int64(key.k), Int64(key.n), type), "B (any layout)")
        }
        try check(Self.describe(&c, rows: key.m, cols: key.n, ld: key.ldc, transposed: false,
                                type: key.bfloat16Output ? dnnl_bf16 : dnnl_f32, batch: key.batch,
                                strides: key.batch?.c), "C")
        var attr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attr), "attributes")
        defer { dnnl_primitive_attr_destroy(attr) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode")
        if key.alpha != 1 {
            var alpha = key.alpha
            try check(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha), "alpha")
        }
        if key.beta != 0 || key.activation != nil || key.factor {
            var ops: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&ops), "post-ops")
            defer { dnnl_post_ops_destroy(ops) }
            if key.beta != 0 { try check(dnnl_post_ops_append_sum(ops, key.beta), "beta") }
            if key.activation == .quickGelu {  // x sigmoid(1.702 x) is oneDNN's swish with alpha 1.702
                try check(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_swish, 1.702, 0), "QuickGELU")
            }
            if key.factor {
                precondition(key.batch == nil, "an element-wise factor on a batched product")
                try check(cocoop_dnnl_md_2d(&factor, Int64(key.m), Int64(key.n), Int64(key.n), 1, dnnl_f32), "factor")
                factorArgument = cocoop_dnnl_arg_post_op_src1(dnnl_post_ops_len(ops))
                try check(dnnl_post_ops_append_binary(ops, dnnl_binary_mul, &factor), "factor")
            }
            try check(dnnl_primitive_attr_set_post_ops(attr, ops), "post-ops")
        }
        var desc = dnnl_matmul_desc_t()
        if key.bias {
            try check(cocoop_dnnl_md_2d(&bias, 1, Int64(key.n), Int64(key.n), 1, dnnl_f32), "bias")
            try check(dnnl_matmul_desc_init(&desc, &a, &b, &bias, &c), "matmul descriptor")
        } else {
            try check(dnnl_matmul_desc_init(&desc, &a, &b, nil, &c), "matmul descriptor")
        }
        var pd: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&pd, &desc, attr, engine, nil), "primitive descriptor")
        defer { dnnl_primitive_desc_destroy(pd) }
        if let md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0) { scratch = md.pointee }
        if packs {
            guard let md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0) else {
                throw DNNLError(step: "weights layout", status: dnnl_runtime_error)
            }
            b = md.pointee
            packsB = dnnl_memory_desc_equal(&b, &plainB) == 0
        }
        scratchBytes = dnnl_memory_desc_get_size(&scratch)
        var p: dnnl_primitive_t?
        try check(dnnl_primitive_create(&p, pd), "primitive")
        primitive = p!
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// The descriptor of a `rows` x `cols` operand (stored transposed: `cols` x `rows`), with
    /// the key's batch dimensions in front when it has them.
    private static func describe(_ md: inout dnnl_memory_desc_t, rows: Int, cols: Int, ld: Int, transposed: Bool,
                                 type: dnnl_data_type_t, batch: MatmulBatch?,
                                 strides: MatmulBatch.Strides?) -> dnnl_status_t {
        let rowStride = Int64(transposed ? 1 : ld), colStride = Int64(transposed ? ld : 1)
        guard let batch, let strides else {
            return cocoop_dnnl_md_2d(&md, Int64(rows), Int64(cols), rowStride, colStride, type)
        }
        return cocoop_dnnl_md_4d(&md, Int64(batch.outer), Int64(batch.inner), Int64(rows), Int64(cols),
                                 Int64(strides.outer), Int64(strides.inner), rowStride, colStride, type)
    }
}

/// A row softmax primitive over a dense `rows` x `cols` float32 matrix (attention's scores,
/// already scaled), into float32 or bfloat16.
struct SoftmaxKey: Hashable {
    var rows: Int, cols: Int
    var bfloat16Output: Bool
    var threads: Int
}

/// A created softmax primitive and its operands' descriptors.
final class RowSoftmax {
    let primitive: dnnl_primitive_t
    var src = dnnl_memory_desc_t(), dst = dnnl_memory_desc_t()

    init(_ key: SoftmaxKey, engine: dnnl_engine_t) throws {
        try check(cocoop_dnnl_md_2d(&src, Int64(key.rows), Int64(key.cols), Int64(key.cols), 1, dnnl_f32), "source")
        try check(cocoop_dnnl_md_2d(&dst, Int64(key.rows), Int64(key.cols), Int64(key.cols), 1,
                                    key.bfloat16Output ? dnnl_bf16 : dnnl_f32), "destination")
        var desc = dnnl_softmax_v2_desc_t()
        try check(dnnl_softmax_v2_forward_desc_init(&desc, dnnl_forward_inference, dnnl_softmax_accurate,
                                                    &src, &dst, 1), "softmax descriptor")
        var pd: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&pd, &desc, nil, engine, nil), "softmax primitive descriptor")
        defer { dnnl_primitive_desc_destroy(pd) }
        var p: dnnl_primitive_t?
        try check(dnnl_primitive_create(&p, pd), "softmax primitive")
        primitive = p!
    }

    deinit { dnnl_primitive_destroy(primitive) }
}

/// A oneDNN call that failed: which step, and oneDNN's status code.
struct DNNLError: Error, CustomStringConvertible {
    let step: String, status: dnnl_status_t
    var description: String { "oneDNN: \(step) failed (status \(status.rawValue))" }
}

@inline(__always)
func check(_ status: dnnl_status_t, _ step: String) throws {
    guard status == dnnl_success else { throw DNNLError(step: step, status: status) }
}

/// The process's engine, stream, primitives and scratchpad; calls run one at a time.
final class Matmuls: @unchecked Sendable {
    static let shared = Matmuls()

    private let lock = NSLock()
    private var engine: dnnl_engine_t?
    private var stream: dnnl_stream_t?
    private var primitives: [MatmulKey: Matmul] = [:]
    private var softmaxes: [SoftmaxKey: RowSoftmax] = [:]
    private var scratch = GrowingBuffer(), converted = GrowingBuffer()

    private init() {
        guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success,
              dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success else {
            engine = nil; stream = nil
            return
        }
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return primitives.count }

    /// The primitive made for `key`, if any.
    func primitive(for key: MatmulKey) -> Matmul? { lock.lock(); defer { lock.unlock() }; return primitives[key] }

    /// Runs the product `key` on `a`, `b` (elements of the key's type) into `c` (float32, or
    /// bfloat16 with `key.bfloat16Output`); with `convertingRowsOf`, `a` holds float32 rows
    /// first converted into a contiguous buffer (`key.lda` must then be the converted row
    /// length: k, or m for a transposed A). `bias` (`key.n` floats) is required when
    /// `key.bias` is set, `factor` (m x n floats) when `key.factor` is.
    /// - Returns: false when oneDNN could not run it (the caller computes it another way).
    /// With `key.packedWeights`, `packing` keeps B's packed copies (made here on first use).
    func run(_ key: MatmulKey, a: UnsafeRawPointer, convertingRowsOf sourceStride: Int? = nil,
             b: UnsafeRawPointer, packing: PackedWeights? = nil, c: UnsafeMutableRawPointer,
             bias: UnsafePointer<Float>? = nil, factor: UnsafePointer<Float>? = nil) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard let engine, let stream else { return false }
        var a = a
        if let sourceStride {
            let rows = key.transA ? key.k : key.m, columns = key.transA ? key.m : key.k
            let buffer = converted.reserve(rows * columns * 2).bindMemory(to: UInt16.self, capacity: rows * columns)
            convertToBFloat16InParallel(buffer, from: a.assumingMemoryBound(to: Float.self), rows: rows,
                                        columns: columns, sourceStride: sourceStride)
            a = UnsafeRawPointer(buffer)
        }
        cocoop_omp_set_num_threads(Int32(key.threads))
        guard let matmul = cached(&primitives, key, make: { try Matmul(key, engine: engine) }) else { return false }
        var weights = UnsafeMutableRawPointer(mutating: b)
        if matmul.packsB {
            guard let packed = packing?.data(matmul.b, packedFrom: matmul.plainB, at: b, engine: engine,
                                             stream: stream) else { return false }
            weights = UnsafeMutableRawPointer(mutating: packed)
        }
        var operands = [(DNNL_ARG_SRC, matmul.a, UnsafeMutableRawPointer(mutating: a)),
                        (DNNL_ARG_WEIGHTS, matmul.b, weights),
                        (DNNL_ARG_DST, matmul.c, c),
                        (DNNL_ARG_SCRATCHPAD, matmul.scratch, scratch.reserve(matmul.scratchBytes))]
        if key.bias {
            guard let bias else { return false }
            operands.append((DNNL_ARG_BIAS, matmul.bias, UnsafeMutableRawPointer(mutating: bias)))
        }
        if key.factor {
            guard let factor else { return false }
            operands.append((matmul.factorArgument, matmul.factor, UnsafeMutableRawPointer(mutating: factor)))
        }
        return Self.execute(matmul.primitive, operands, engine: engine, stream: stream)
    }

    /// The softmax of every row of `src` (float32, `key.rows` x `key.cols`, dense) into `dst`
    /// (float32, which may be `src`, or bfloat16). - Returns: false when oneDNN could not run it.
    func softmax(_ key: SoftmaxKey, src: UnsafePointer<Float>, dst: UnsafeMutableRawPointer) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard let engine, let stream else { return false }
        cocoop_omp_set_num_threads(Int32(key.threads))
        guard let softmax = cached(&softmaxes, key, make: { try RowSoftmax(key, engine: engine) }) else {
            return false
        }
        return Self.execute(softmax.primitive, [(DNNL_ARG_SRC, softmax.src, UnsafeMutableRawPointer(mutating: src)),
                                           (DNNL_ARG_DST, softmax.dst, dst)], engine: engine, stream: stream)
    }

    /// The primitive kept for `key` in `table`, made (and kept) on first use; nil when it
    /// cannot be made.
    private func cached<Key: Hashable, Primitive>(_ table: inout [Key: Primitive], _ key: Key,
                                                   make: () throws -> Primitive) -> Primitive? {
        if let kept = table[key] { return kept }
        guard let made = try? make() else { return nil }
        table[key] = made
        return made
    }

    /// Runs `primitive` on `operands` (argument kind, descriptor, data: each wrapped in a
    /// memory object for this call) and waits for it. - Returns: false on any failure.
    static func execute(_ primitive: dnnl_primitive_t,
                         _ operands: [(arg: Int32, desc: dnnl_memory_desc_t, data: UnsafeMutableRawPointer)],
                         engine: dnnl_engine_t, stream: dnnl_stream_t) -> Bool {
        var args: [dnnl_exec_arg_t] = []
        defer { args.forEach { dnnl_memory_destroy($0.memory) } }
        for operand in operands {
            var desc = operand.desc, memory: dnnl_memory_t?
            guard dnnl_memory_create(&memory, &desc, engine, operand.data) == dnnl_success else { return false }
            args.append(dnnl_exec_arg_t(arg: operand.arg, memory: memory))
        }
        guard dnnl_primitive_execute(primitive, stream, Int32(args.count), &args) == dnnl_success else {
            return false
        }
        return dnnl_stream_wait(stream) == dnnl_success
    }
}

/// ``convertToBFloat16(_:from:rows:columns:sourceStride:)`` with the rows split over
/// ``KernelThreads`` (each row converts on its own: the result does not depend on the split).
func convertToBFloat16InParallel(_ destination: UnsafeMutablePointer<UInt16>, from source: UnsafePointer<Float>,
                                 rows: Int, columns: Int, sourceStride: Int) {
    parallelFor(rows, grain: Swift.max(1, 4 * elementwiseGrain / Swift.max(1, columns))) { range in
        convertToBFloat16(destination + range.lowerBound * columns, from: source + range.lowerBound * sourceStride,
                          rows: range.count, columns: columns, sourceStride: sourceStride)
    }
}

/// A 64-byte aligned buffer that grows to the largest size asked for and is kept.
struct GrowingBuffer {
    private var pointer: UnsafeMutableRawPointer?
    private var capacity = 0

    /// At least `bytes` bytes (contents undefined).
    mutating func reserve(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > capacity || pointer == nil {
            pointer?.deallocate()
            capacity = max(bytes, 64)
            pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        }
        return pointer!
    }
}
