import CLIP
import Tensor

/// What a trainer needs from a prompt learner (CoCoOp, CoOp): its parameter layout, its
/// initial parameters, a training step and evaluation logits.
public protocol PromptLearner: AnyObject {
    /// Names and shapes of the trainable tensors, in the flat buffer's order.
    var layout: ParameterLayout { get }
    /// The class prompts (class names in label order).
    var prompts: ClassPrompts { get }
    /// Fresh parameters as the reference initialises them, drawn from `seed`.
    func initialParameters(seed: UInt64, tokenizer: CLIPTokenizer) throws -> ParameterBuffer
    /// Forward and (with `grads`) backward over a local batch of image features.
    func step(imageFeatures: Tensor, labels: [Int32], params: ParameterBuffer,
              grads: ParameterBuffer?, gradScale: Float) -> BatchStats
    /// Logits [B, C] for evaluation, classes processed `classChunk` at a time where it matters.
    func evaluationLogits(imageFeatures: Tensor, params: ParameterBuffer, classChunk: Int) -> Tensor
}

extension CoCoOp: PromptLearner {
    public func evaluationLogits(imageFeatures: Tensor, params: ParameterBuffer, classChunk: Int) -> Tensor {
        logits(imageFeatures: imageFeatures, params: params, classChunk: classChunk)
    }
}

extension CoOp: PromptLearner {
    public func evaluationLogits(imageFeatures: Tensor, params: ParameterBuffer, classChunk: Int) -> Tensor {
        logits(imageFeatures: imageFeatures, params: params)
    }
}
