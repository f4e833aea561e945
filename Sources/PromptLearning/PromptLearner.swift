import CLIP
import Tensor

/// What a trainer needs from a prompt learner (CoCoOp, CoOp): its parameter layout, its
/// initial parameters, a training step and evaluation logits.
public protocol PromptLearner: AnyObject {
    /// The frozen CLIP the prompts run through.
    var clip: CLIPModel { get }
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

    // MARK: A step split over ranks (StepShare.swift)

    /// The prompts, for the partition's cost model.
    var template: PromptTemplate { get }
    /// Prompt groups of a step over `images` images (CoCoOp: one per image; CoOp: one).
    func promptGroups(images: Int) -> Int
    /// Logits each (group, class) unit yields (CoCoOp: 1; CoOp: one per image).
    func logitsPerUnit(images: Int) -> Int
    /// The text forward of `share` for image features [B, E] of the whole step.
    func shareForward(imageFeatures: Tensor, share: StepShare, params: ParameterBuffer, training: Bool)
        -> ShareForward
    /// The step's logits [B, C] from every share's logits, concatenated in unit order.
    func stepLogits(_ units: UnsafePointer<Float>, images: Int) -> Tensor
    /// Accumulates the share's parameter gradients given the step's dL/dlogits [B, C].
    func shareBackward(_ fwd: ShareForward, dlogits: Tensor, params: ParameterBuffer, grads: ParameterBuffer)
}

extension PromptLearner {
    /// The balanced split of a step over `images` images into `parts` shares.
    public func partition(images: Int, parts: Int) -> [StepShare] {
        let (classCosts, prefixCost) = StepPartition.costs(template: template, width: clip.text.width)
        return StepPartition.split(groups: promptGroups(images: images), classCosts: classCosts,
                                   prefixCost: prefixCost, parts: parts)
    }
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
