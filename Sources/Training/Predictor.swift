import Checkpoint
import CLIP
import Config
import Datasets
import Foundation
import Imaging
import PromptLearning
import RunState
import Tensor

/// Classifies image files with a trained prompt learner: one of our checkpoints supplies the
/// trainer, its settings (TRAINER.*, INPUT.*), the class names and the parameters; the CLIP
/// weights must be the ones it was trained on (checked by SHA-256). Images go through the
/// evaluation transform, so predictions equal what `cocoop train --eval-only` scores.
public final class Predictor {
    public let classnames: [String]
    /// TRAINER.NAME of the checkpoint (CoCoOp or CoOp).
    public let trainer: TrainerKind
    /// The checkpoint's epoch.
    public let epoch: Int
    let clip: CLIPModel
    let learner: PromptLearner
    let params: ParameterBuffer
    let transform: ImageTransform
    let classChunk: Int

    /// Loads `checkpoint` and prepares its learner on the CLIP weights at `weights`.
    public init(weights: URL, checkpoint: URL) throws {
        let file = checkpoint.path
        let c = try Checkpoint.load(from: checkpoint)
        let record = try ResumeRecord(reading: c, file: file)
        let config = record.config
        // The products at the precision the run trained with (its PREC, on this CPU).
        clip = try CLIPModel(contentsOf: weights, precision: ComputePrecision(config: config).matmul)
        let clip = self.clip
        try CheckpointPolicy.check(record, file: file, for: .predict,
                                   run: .init(clipWeightsSHA256: { try clip.weights.contentSHA256() },
                                              weightsPath: weights.path, trainer: nil))
        guard let learner = try RunSetup.makeLearner(config: config, clip: clip, classnames: c.classnames,
                                                     tokenizer: try clip.tokenizer()) else {
            throw TrainingError.invalidSetting(
                key: "TRAINER.NAME",
                problem: "'\(record.trainer.rawValue)' of \(file) has no prompt learner to predict with")
        }
        let size = config.input.size
        guard size.count == 2, size[0] == clip.vision.resolution else {
            throw TrainingError.invalidSetting(key: "INPUT.SIZE", problem: "\(size) of \(file) does not match the CLIP "
                                               + "weights' image resolution \(clip.vision.resolution)")
        }
        self.learner = learner
        params = try TrainingState.parameters(of: c, layout: learner.layout, file: file, use: .predict)
        classnames = c.classnames
        trainer = record.trainer
        epoch = record.epoch
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
