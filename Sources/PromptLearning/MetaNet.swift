import Tensor

/// CoCoOp's Meta-Net, `pi = linear2(relu(linear1(z)))` with z the normalised image feature:
/// Linear(E, E/16) -> ReLU -> Linear(E/16, D). Its parameters live in a ``ParameterBuffer``
/// under `meta_net.linear1.weight` etc.
struct MetaNet {
    let inFeatures: Int, hidden: Int, outFeatures: Int

    /// Saved values of one forward over B rows.
    final class Activations {
        let z: Tensor, h: Tensor, r: Tensor
        init(z: Tensor, hidden: Int) {
            self.z = z
            h = Tensor(zeros: [z.shape[0], hidden]); r = Tensor(zeros: [z.shape[0], hidden])
        }
    }

    static let names = ["meta_net.linear1.weight", "meta_net.linear1.bias",
                        "meta_net.linear2.weight", "meta_net.linear2.bias"]

    /// Layout entries for the four tensors.
    var entries: [(String, [Int])] {
        [(Self.names[0], [hidden, inFeatures]), (Self.names[1], [hidden]),
         (Self.names[2], [outFeatures, hidden]), (Self.names[3], [outFeatures])]
    }

    // MARK: - Forward / backward

    /// pi [B, D] for normalised features z [B, E]; fills `act` for the backward.
    func forward(_ z: Tensor, params p: ParameterBuffer) -> (Tensor, Activations) {
        let b = z.shape[0], act = Activations(z: z, hidden: hidden)
        let pi = Tensor(zeros: [b, outFeatures])
        linearForward(out: act.h.data, inp: z.data, weight: p[Self.names[0]].data,
                      bias: p[Self.names[1]].data, n: b, inFeatures: inFeatures, outFeatures: hidden)
        reluForward(out: act.r.data, inp: act.h.data, n: b * hidden)
        linearForward(out: pi.data, inp: act.r.data, weight: p[Self.names[2]].data,
                      bias: p[Self.names[3]].data, n: b, inFeatures: hidden, outFeatures: outFeatures)
        return (pi, act)
    }

    /// Accumulates the parameter gradients into `grads` given dL/dpi [B, D].
    func backward(_ dpi: Tensor, act: Activations, params p: ParameterBuffer, grads g: ParameterBuffer) {
        let b = dpi.shape[0]
        let dr = Tensor(zeros: [b, hidden]), dh = Tensor(zeros: [b, hidden])
        linearBackward(dinp: dr.data, dweight: g[Self.names[2]].data, dbias: g[Self.names[3]].data,
                       dout: dpi.data, inp: act.r.data, weight: p[Self.names[2]].data,
                       n: b, inFeatures: hidden, outFeatures: outFeatures)
        reluBackward(dinp: dh.data, dout: dr.data, inp: act.h.data, n: b * hidden)
        linearBackward(dinp: nil, dweight: g[Self.names[0]].data, dbias: g[Self.names[1]].data,
                       dout: dh.data, inp: act.z.data, weight: nil,
                       n: b, inFeatures: inFeatures, outFeatures: hidden)
    }
}
