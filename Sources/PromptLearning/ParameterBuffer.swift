import Tensor

/// Name, shape and place of one trainable tensor inside a flat buffer.
public struct ParameterSlot: Equatable, Sendable {
    /// CoOp's parameter name without the `prompt_learner.` prefix, e.g. `meta_net.linear1.weight`.
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// A size table: the trainable tensors laid out one after another in one flat buffer.
/// Parameters, gradients and momentum share it, so one all-reduce covers every gradient
/// and a checkpoint writes named slices.
public struct ParameterLayout: Equatable, Sendable {
    public let slots: [ParameterSlot]
    /// Total number of floats.
    public let count: Int

    /// Lays out `entries` (name, shape) in order.
    public init(_ entries: [(String, [Int])]) {
        var slots: [ParameterSlot] = [], offset = 0
        for (name, shape) in entries {
            slots.append(ParameterSlot(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        self.slots = slots
        self.count = offset
    }

    /// The slot called `name`, if any.
    public func slot(_ name: String) -> ParameterSlot? { slots.first { $0.name == name } }
}

/// A flat float32 buffer with named views following a ``ParameterLayout``.
public final class ParameterBuffer {
    public let layout: ParameterLayout
    /// The whole buffer, [layout.count].
    public let storage: Tensor

    /// A zero-filled buffer.
    public init(layout: ParameterLayout) {
        self.layout = layout
        self.storage = Tensor(zeros: [layout.count])
    }

    /// A view of the tensor called `name` (shares storage); traps on an unknown name,
    /// which is a programming error (names come from the layout).
    public subscript(_ name: String) -> Tensor {
        guard let s = layout.slot(name) else { preconditionFailure("no parameter named \(name)") }
        return Tensor(borrowing: storage.data + s.offset, shape: s.shape, owner: storage)
    }

    /// A buffer over existing storage of at least `layout.count` floats (no copy), e.g. the
    /// front of a larger all-reduce buffer.
    public init(layout: ParameterLayout, storage: Tensor) {
        precondition(storage.count >= layout.count, "storage too small for the layout")
        self.layout = layout
        self.storage = storage.count == layout.count ? storage
            : Tensor(borrowing: storage.data, shape: [layout.count], owner: storage)
    }

    /// Sets every element to zero.
    public func zero() { storage.zero() }
}
