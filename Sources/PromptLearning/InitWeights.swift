import Foundation
import Support

/// Prompt-learner parameters in CoOp's naming (`prompt_learner.ctx`,
/// `prompt_learner.meta_net.linear1.weight`, ...), as the PyTorch reference saves them.
public enum CoOpParameterFile {
    /// The reference's name of a slot.
    public static func referenceName(_ slot: String) -> String { "prompt_learner." + slot }

    /// Loads parameters from a safetensors file with CoOp's names (the `prompt_learner.`
    /// prefix optional). Every slot of `layout` must be present with its exact shape.
    public static func load(_ url: URL, layout: ParameterLayout) throws -> ParameterBuffer {
        let file = try SafetensorsFile(url: url)
        let p = ParameterBuffer(layout: layout)
        for slot in layout.slots {
            let name = [referenceName(slot.name), slot.name].first(where: file.contains)
            guard let name else {
                throw PromptError.badInitWeights(path: url.path, reason: "no tensor named \(referenceName(slot.name))")
            }
            let shape = try file.shape(name)
            guard shape == slot.shape else {
                throw PromptError.badInitWeights(path: url.path,
                                                 reason: "\(name) has shape \(shape), expected \(slot.shape)")
            }
            let values = try file.floats(name)
            if let i = values.firstIndex(where: { !$0.isFinite }) {
                throw PromptError.badInitWeights(path: url.path, reason: "\(name) holds \(values[i]) at element \(i); "
                                                 + "initial parameters must be finite")
            }
            p[slot.name].data.update(from: values, count: values.count)
        }
        return p
    }

    /// Writes `params` with CoOp's names (float32) so the PyTorch reference can load them.
    public static func write(_ params: ParameterBuffer, to url: URL, metadata: [String: String] = [:]) throws {
        var w = SafetensorsWriter(metadata: metadata)
        for slot in params.layout.slots {
            try w.add(referenceName(slot.name), shape: slot.shape, floats: params[slot.name].array, as: .f32)
        }
        try w.write(to: url)
    }
}
