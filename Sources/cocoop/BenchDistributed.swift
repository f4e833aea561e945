import CLIP
import Config
import Distributed
import Foundation
import PromptLearning
import Tensor
import Training

/// `[mpirun -np N] cocoop bench train --split auto|images|prompts`: the distributed step.
enum DistributedBench {
    static func run(model: CLIPModel, trainer: String, classes: Int, batch: Int, steps: Int, split: String,
                    classnamesFile: String?) throws {
        guard let split = StepSplit(rawValue: split) else {
            throw UsageError("--split expects auto, images or prompts, got '\(split)'")
        }
        let comm: Communicator = MPIRuntime.isUnderMPIRun ? try MPICommunicator.world() : SingleProcessCommunicator()
        defer { if MPIRuntime.isActive { try? MPIRuntime.finalize() } }
        if comm.size > 1 && ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil {
            BLASInfo.setThreads(1)
        }
        let tok = try model.tokenizer()
        let names = try ModelBench.classnames(count: classes, file: classnamesFile)
        let prompts = try ClassPrompts(classnames: names, nCtx: 4, ctxInit: "a photo of a", tokenizer: tok)
        let learner: PromptLearner
        switch trainer {
        case "CoCoOp": learner = CoCoOp(clip: model, prompts: prompts)
        case "CoOp": learner = CoOp(clip: model, prompts: prompts, classSpecific: false, position: .end, tokenizer: tok)
        default: throw UsageError("--trainer expects CoCoOp or CoOp, got '\(trainer)'")
        }
        let (mode, timings) = try StepBenchmark.run(clip: model, learner: learner, comm: comm, batch: batch,
                                                    steps: steps, split: split)
        func mean(_ f: (StepBenchmark.Timing) -> Double) -> Double {
            timings.map(f).reduce(0, +) / Double(timings.count)
        }
        // The slowest rank sets the pace: the maximum over ranks of each mean.
        var values = [mean(\.step), timings.map(\.step).min() ?? 0, mean(\.imageTower), mean(\.featureExchange),
                      mean(\.logitsGather), mean(\.allReduce), mean(\.communication), ModelBench.peakRSSMiB]
        try comm.allReduce(&values, op: .max)
        guard comm.isRoot else { return }
        // Text-tower token rows of the whole step (prefix once per prompt group).
        let t = learner.template
        let rows = learner.promptGroups(images: batch) * (t.prefix.count + t.suffixes.reduce(0) { $0 + $1.count })
        print(String(format: "%@, %d classes, batch %d, %d rank(s) x %d OpenBLAS thread(s) (%@), split %@, %d steps",
                     trainer, classes, batch, comm.size, BLASInfo.threads, BLASInfo.coreName, mode, steps))
        print("| ranks | classes | batch | split | step s (mean, best) | image tower s | features s | logits s "
              + "| all-reduce s | comm % | peak RSS MiB/rank |")
        print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        print(String(format: "| %d | %d | %d | %@ | %.4f, %.4f | %.4f | %.5f | %.5f | %.5f | %.2f%% | %.0f |",
                     comm.size, classes, batch, mode, values[0], values[1], values[2], values[3], values[4],
                     values[5], 100 * values[6] / values[0], values[7]))
        print(String(format: "{\"trainer\": \"%@\", \"ranks\": %d, \"classes\": %d, \"batch\": %d, \"rows\": %d, "
                     + "\"split\": \"%@\", \"step_s\": %.5f, \"best_step_s\": %.5f, \"image_tower_s\": %.5f, "
                     + "\"comm_s\": %.6f, \"peak_rss_mb\": %.0f}",
                     trainer, comm.size, classes, batch, rows, mode, values[0], values[1], values[2], values[6],
                     values[7]))
    }
}
