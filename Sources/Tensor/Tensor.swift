/// A dense, row-major, contiguous float32 tensor.
///
/// `Tensor` has reference semantics on purpose: kernels write into preallocated
/// buffers (as in llm.c), so there is no copy-on-write to trip over in hot loops.
/// `Tensor(shape: t.shape, values: t.array)` is an independent copy. Storage is either
/// owned (allocated and freed here, 64-byte aligned) or borrowed from an owner object that
/// keeps it alive, e.g. a memory-mapped weights file shared by all ranks on a node.
public final class Tensor {
    /// Extent of each dimension, outermost first.
    public let shape: [Int]
    /// Number of elements (product of `shape`; 1 for a 0-dim scalar).
    public let count: Int
    /// The first element. Valid for `count` elements while the tensor lives.
    public let data: UnsafeMutablePointer<Float>
    private let owner: AnyObject?

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        self.data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.data.initialize(repeating: 0, count: max(count, 1))
        self.owner = nil
    }

    /// A tensor holding `values` (row-major); `values.count` must equal the shape's product.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(zeros: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A tensor over memory owned by `owner` (no copy). `owner` is retained.
    public init(borrowing pointer: UnsafeMutablePointer<Float>, shape: [Int], owner: AnyObject) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.data = pointer
        self.owner = owner
    }

    deinit {
        if owner == nil { UnsafeMutableRawPointer(data).deallocate() }
    }

    /// Bytes of storage (`count` floats).
    public var byteCount: Int { count * MemoryLayout<Float>.stride }

    /// The storage as a buffer.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: data, count: count)
    }

    /// Element `i` of the flat storage.
    public subscript(i: Int) -> Float {
        get { precondition(i >= 0 && i < count); return data[i] }
        set { precondition(i >= 0 && i < count); data[i] = newValue }
    }

    /// The elements as an array (a copy).
    public var array: [Float] { Array(buffer) }

    /// A view with another shape over the same storage (the element count must match).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot view \(shape) as \(newShape)")
        return Tensor(borrowing: data, shape: newShape, owner: self)
    }

    /// A view of rows `range` of the outermost dimension (shares storage).
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(!shape.isEmpty && range.lowerBound >= 0 && range.upperBound <= shape[0])
        let inner = shape.dropFirst().reduce(1, *)
        return Tensor(borrowing: data + range.lowerBound * inner,
                      shape: [range.count] + shape.dropFirst(), owner: self)
    }

    /// Sets every element to zero.
    public func zero() { data.update(repeating: 0, count: count) }

    /// The index of the first NaN or infinite element, nil when all are finite.
    public var firstNonFinite: Int? {
        // x - x is 0 for finite x and NaN otherwise: one pass without branches per element
        // (the load path scans every weight), then a search only when something is off.
        var acc: Float = 0
        for i in 0..<count { acc += data[i] - data[i] }
        guard acc.isNaN else { return nil }
        return (0..<count).first { !data[$0].isFinite }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = buffer.prefix(6).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(\(shape), [\(head)\(count > 6 ? ", ..." : "")])"
    }
}
