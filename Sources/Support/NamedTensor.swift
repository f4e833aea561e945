/// A named float32 tensor with row-major `values`, as checkpoints and PyTorch files hold them.
public struct NamedTensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    /// A tensor; `values.count` must equal the product of `shape` (writers check it).
    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}
