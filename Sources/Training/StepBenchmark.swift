import CLIP
import Config
import Datasets
import Dispatch
import Distributed
import PromptLearning
import Tensor

/// `cocoop bench train --split ...` (alone or under mpirun): training steps of `learner`
/// on synthetic images, run as training runs them on this communicator (whole images per
/// rank, or the prompts split with the image tower shared), timed per step.
public enum StepBenchmark {
    /// Where one step's time went (seconds, this rank).
    public struct Timing: Sendable {
        public var step = 0.0
        /// Loading (here: synthesising) and encoding this rank's images.
        public var imageTower = 0.0
        /// The image features' all-gather (prompts split).
        public var featureExchange = 0.0
        /// The logits' all-gather (prompts split).
        public var logitsGather = 0.0
        /// The step's all-reduce of gradient and counters.
        public var allReduce = 0.0
        /// Time in collectives.
        public var communication: Double { featureExchange + logitsGather + allReduce }
    }

    /// The resolved split and the timings of `steps` steps after one warm-up step.
    public static func run(clip: CLIPModel, learner: PromptLearner, comm: Communicator, batch: Int, steps: Int,
                           split: StepSplit) throws -> (mode: String, timings: [Timing]) {
        let mode = StepMode.resolve(split, learner: learner, batch: batch, ranks: comm.size)
        let params = try learner.initialParameters(seed: 1, tokenizer: try clip.tokenizer())
        let momentum = ParameterBuffer(layout: learner.layout), buffers = StepBuffers(layout: learner.layout)
        let sgd = SGD(), classes = learner.prompts.classnames.count, r = clip.vision.resolution
        func pixels(_ n: Int, seed: Int) -> Tensor {
            let t = Tensor(zeros: [n, 3, r, r])
            for i in 0..<t.count { t.data[i] = Float((i * 7919 + seed) % 255) / 255 - 0.5 }
            return t
        }
        let sampler = try EpochSampler(count: (steps + 1) * batch, batchSize: batch, seed: 0)
        let plan = sampler.plan(epoch: 0)
        let feed = FeatureFeed(comm: comm, plan: plan, window: FeatureFeed.window(batch: batch, ranks: comm.size),
                               embedDim: clip.text.embedDim) { k, count in
            (clip.vision.encode(pixels: pixels(count, seed: k)), (0..<count).map { Int32($0 % classes) })
        }
        let splitStep = SplitStep(comm: comm, learner: learner)
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        var timings: [Timing] = []
        for s in 0...steps {
            var t = Timing()
            let t0 = now()
            buffers.reduce.zero()
            let (encode0, exchange0) = (feed.encodeSeconds, feed.exchangeSeconds)
            switch mode {
            case .images:
                let mine = EpochSampler.shareRange(batch, rank: comm.rank, worldSize: comm.size).count
                if mine > 0 {
                    let ti = now()
                    let f = clip.vision.encode(pixels: pixels(mine, seed: s))
                    t.imageTower = now() - ti
                    _ = learner.step(imageFeatures: f, labels: (0..<mine).map { Int32($0 % classes) }, params: params,
                                     grads: buffers.grads, gradScale: 1 / Float(batch))
                }
            case .prompts:
                let (f, labels) = try feed.features(step: s)
                t.imageTower = feed.encodeSeconds - encode0
                t.featureExchange = feed.exchangeSeconds - exchange0
                _ = try splitStep.run(features: f, labels: labels, params: params, grads: buffers.grads,
                                      gradScale: 1 / Float(batch))
                t.logitsGather = splitStep.gatherSeconds
            }
            let ta = now()
            try comm.allReduceSum(buffers.reduce.data, count: buffers.reduce.count)
            t.allReduce = now() - ta
            sgd.step(params: params.storage.data, grads: buffers.grads.storage.data,
                     momentumBuffer: momentum.storage.data, count: learner.layout.count, lr: 0.002, firstStep: s == 0)
            t.step = now() - t0
            if s > 0 { timings.append(t) }
        }
        return (mode == .images ? "images" : "prompts", timings)
    }
}
