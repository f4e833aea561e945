import Foundation
import Support
import TorchFormats

/// Prompt-learner parameters in CoOp's naming (`prompt_learner.ctx`,
/// `prompt_learner.meta_net.linear1.weight`, ...), as the PyTorch reference saves them.
public enum CoOpParameterFile {
    /// The reference's name of a slot.
    public static func referenceName(_ slot: String) -> String { "prompt_learner." + slot }

    /// Loads parameters from a file with CoOp's names (the `prompt_learner.` prefix
    /// optional): safetensors, or a PyTorch file such as Dassl's checkpoint
    /// (`prompt_learner/model.pth.tar-N`, whose state dict has `ctx`, `meta_net.linear1.weight`,
    /// ...). Every slot of `layout` must be present with its exact shape; other tensors
    /// (`token_prefix`/`token_suffix`, which CoOp's load_model drops too) are ignored.
    public static func load(_ url: URL, layout: ParameterLayout) throws -> ParameterBuffer {
        try load(NamedTensors.open(url), layout: layout)
    }

    /// CoOp's checkpoint of the prompt learner in a model folder, where Dassl's load_model
    /// looks: `prompt_learner/model.pth.tar-<epoch>`, or `prompt_learner/model-best.pth.tar`
    /// when no epoch is given.
    public static func dasslCheckpointPath(modelDir: URL, epoch: Int?) -> URL {
        modelDir.appendingPathComponent("prompt_learner")
            .appendingPathComponent(epoch.map { "model.pth.tar-\($0)" } ?? "model-best.pth.tar")
    }

    /// The parameters and the `epoch` entry of a Dassl checkpoint (checked as ``load(_:layout:)``).
    public static func loadDassl(_ url: URL, layout: ParameterLayout) throws -> (ParameterBuffer, epoch: Int?) {
        let checkpoint = try DasslCheckpoint(path: url.path)
        return (try load(checkpoint.stateDict, layout: layout), checkpoint.epoch)
    }

    private static func load(_ file: any NamedTensorSource, layout: ParameterLayout) throws -> ParameterBuffer {
        let url = URL(fileURLWithPath: file.path)
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

    /// Writes `params` as Dassl's checkpoint of the prompt learner (`save_checkpoint`'s dict,
    /// torch.save format): the module's own state dict, so keys have no `prompt_learner.`
    /// prefix (`ctx`, `meta_net.linear1.weight`, ...), as CoOp's load_model and
    /// interpret_prompt.py read them.
    public static func writeDassl(_ params: ParameterBuffer, epoch: Int, to url: URL) throws {
        let tensors = params.layout.slots.map {
            NamedTensor(name: $0.name, shape: $0.shape, values: params[$0.name].array)
        }
        try DasslCheckpoint.write(tensors, epoch: epoch, valResult: nil, to: url)
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
