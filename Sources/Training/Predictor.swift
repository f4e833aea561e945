import Checkpoint
import CLIP
import Config
import Datasets
import Foundation
import Imaging
import PromptLearning
import Tensor

/// Classifies image files with a trained prompt learner: one of our checkpoints supplies the
/// trainer, its settings (TRAINER.*, INPUT.*), the class names and the parameters; the CLIP
/// weights must be the ones it was trained on (checked by SHA-256). Images go through the
/// evaluation transform, so predictions equal what `cocoop train --eval-only` scores.
public final class Predictor {
    public let classnames: [String]
    /// TRAINER.NAME of the checkpoint (CoCoOp or CoOp).
    public let trainer: String
    /// The checkpoint's epoch.
    public let epoch: Int
    let clip: CLIPModel
    let learner: PromptLearner
    let params: ParameterBuffer
    let transform: ImageTransform
    let classChunk: Int

    /// Loads `checkpoint` and prepares its learner on the CLIP weights at `weights`.
    public init(weights: URL, checkpoint: URL) throws {
        let c = try Checkpoint.load(from: checkpoint)
        var config = RunConfig.defaults
        try config.merge(yaml: c.configYAML, file: checkpoint.path + ":config_yaml")
        clip = try CLIPModel(contentsOf: weights)
        let sha = try clip.weights.contentSHA256()
        guard sha == c.clipWeightsSHA256 else {
            throw TrainingError.incompatibleCheckpoint(
                path: checkpoint.path,
                reason: "it was trained on other CLIP weights (sha256 \(c.clipWeightsSHA256.prefix(12))…, \(weights.path) has \(sha.prefix(12))…)")
        }
        guard let learner = try RunSetup.makeLearner(config: config, clip: clip, classnames: c.classnames,
                                                     tokenizer: try CLIPTokenizer.bundled()) else {
            throw TrainingError.badOption("\(checkpoint.path): TRAINER.NAME '\(config.trainer.name)' has no prompt learner to predict with")
        }
        let state = TrainingState(params: ParameterBuffer(layout: learner.layout))
        try state.restore(from: c, path: checkpoint.path)
        let size = config.input.size
        guard size.count == 2, size[0] == clip.vision.resolution else {
            throw TrainingError.badOption("\(checkpoint.path): INPUT.SIZE \(size) does not match the CLIP weights' image resolution \(clip.vision.resolution)")
        }
        self.learner = learner
        params = state.params
        classnames = c.classnames
        trainer = config.trainer.name
        epoch = c.epoch
        transform = try ImageTransform(settings: DataPipeline.transformSettings(config).test, mode: .test)
        classChunk = config.runtime.evalClassChunk > 0 ? config.runtime.evalClassChunk : c.classnames.count
    }

    /// The logits of each image file ([classes] per file, in order), `batchSize` images per pass.
    public func logits(files: [URL], batchSize: Int = 32) throws -> [[Float]] {
        let r = clip.vision.resolution, plane = 3 * r * r
        var out: [[Float]] = []
        for start in stride(from: 0, to: files.count, by: max(batchSize, 1)) {
            let chunk = files[start..<min(files.count, start + max(batchSize, 1))]
            let pixels = Tensor(zeros: [chunk.count, 3, r, r])
            for (i, file) in chunk.enumerated() {
                try transform.apply(try ImageDecoder.decode(fileAt: file), key: nil, into: pixels.data + i * plane)
            }
            let logits = learner.evaluationLogits(imageFeatures: clip.vision.encode(pixels: pixels), params: params,
                                                  classChunk: classChunk)
            let c = classnames.count
            for i in 0..<chunk.count { out.append(Array(UnsafeBufferPointer(start: logits.data + i * c, count: c))) }
        }
        return out
    }
}
