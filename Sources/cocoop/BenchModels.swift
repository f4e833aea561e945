import CLIP
import Foundation
import PromptLearning
import Tensor

/// `cocoop bench encoders` and `cocoop bench train`: CLIP and CoCoOp throughput with
/// useful GFLOP/s next to the GEMM peak measured in the same run at the model's precision
/// (float32, or bfloat16 products with float32 accumulation).
enum ModelBench {
    /// OxfordPets' first 19 classes in label order (the base classes of base-to-new).
    static let oxfordPetsBase = ["Abyssinian", "american_bulldog", "american_pit_bull_terrier", "basset_hound",
                                 "beagle", "Bengal", "Birman", "Bombay", "boxer", "British_Shorthair", "chihuahua",
                                 "Egyptian_Mau", "english_cocker_spaniel", "english_setter", "german_shorthaired",
                                 "great_pyrenees", "havanese", "japanese_chin", "keeshond"]

    /// Best GFLOP/s of the core GEMM at a large transformer-like shape (the "peak"), with a
    /// frozen B at `precision` as the towers' Linear layers run it.
    static func gemmPeak(_ precision: MatmulPrecision = .float32) -> Double {
        let m = 2048, n = 2304, k = 768
        let a = Tensor(zeros: [m, k]), b = Tensor(zeros: [n, k]), c = Tensor(zeros: [m, n])
        for i in 0..<a.count { a.data[i] = Float(i % 13) * 0.01 }
        for i in 0..<b.count { b.data[i] = Float(i % 7) * 0.01 }
        let frozen = FrozenMatrix(b, precision: precision)
        var best = Double.infinity
        for _ in 0..<5 {
            best = min(best, BenchCommand.seconds {
                gemm(.none, .transpose, m: m, n: n, k: k, a: a.data, lda: k, b: frozen, ldb: k, c: c.data, ldc: n)
            })
        }
        return 2.0 * Double(m * n * k) / best / 1e9
    }

    /// What the peak is, for the tables' headers.
    static func peakLabel(_ precision: MatmulPrecision) -> String {
        precision == .bfloat16 ? "bf16 GEMM peak (oneDNN \(OneDNN.isaName))"
            : "SGEMM peak (\(GEMMRouting.float32.rawValue); OpenBLAS \(BLASInfo.coreName))"
    }

    /// Peak resident set size of this process in MiB.
    static var peakRSSMiB: Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_maxrss) / 1024
    }

    /// User plus system CPU time of this process so far, all threads (spinning BLAS threads included).
    static var cpuSeconds: Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// GEMM FLOPs of one transformer layer's forward over `tokens` rows of width d.
    static func layerFLOPs(tokens: Int, width d: Int) -> Double { 24 * Double(tokens) * Double(d * d) }

    /// Class names for the train benchmark: a file, OxfordPets' base classes, or synthetic.
    static func classnames(count: Int, file: String?) throws -> [String] {
        if let file {
            let names = try ZeroshotCommand.readClassnames(file)
            guard names.count >= count else { throw UsageError("\(file) has \(names.count) names, need \(count)") }
            return Array(names.prefix(count))
        }
        if count <= oxfordPetsBase.count { return Array(oxfordPetsBase.prefix(count)) }
        // Synthetic names of one to three common words (about 2.4 BPE tokens each, like ImageNet's).
        let words = ["red", "fox", "great", "white", "shark", "garden", "spider", "sea", "lion", "bird", "tree",
                     "frog", "snake", "green", "mountain", "dog", "cat", "water", "black", "bear"]
        var rng = UInt64(12345)
        func next() -> Int { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Int(rng >> 33) }
        return (0..<count).map { i in
            (0..<(1 + (i % 3))).map { _ in words[next() % words.count] }.joined(separator: " ") + " \(i)"
        }
    }

    // MARK: - Encoders

    static func encoders(model: CLIPModel, prompts: Int, images: Int, reps: Int) throws {
        let peakBefore = gemmPeak(model.precision)
        let tok = try model.tokenizer()
        let names = try classnames(count: prompts, file: nil)
        let tokens = try names.map { try tok.tokenize("a photo of a \($0.replacingOccurrences(of: "_", with: " ")).") }
        let t = tokens.map(TextEncoder.eotIndex).max()! + 1
        let d = model.text.width, lt = model.text.weights.blocks.count
        _ = model.text.encode(tokens: tokens)
        var tText = Double.infinity
        for _ in 0..<reps { tText = min(tText, BenchCommand.seconds { _ = model.text.encode(tokens: tokens) }) }
        let textFLOPs = Double(lt) * (layerFLOPs(tokens: prompts * t, width: d) + 4 * Double(prompts * t * t * d))
        let r = model.vision.resolution
        let pixels = Tensor(zeros: [images, 3, r, r])
        for i in 0..<pixels.count { pixels.data[i] = Float((i * 7919) % 255) / 255 - 0.5 }
        _ = model.vision.encode(pixels: pixels)
        var tImage = Double.infinity
        for _ in 0..<reps { tImage = min(tImage, BenchCommand.seconds { _ = model.vision.encode(pixels: pixels) }) }
        let image = imageTower(model.vision, includePatchEmbedding: true)
        let imageFLOPs = Double(images) * image.flopsPerImage
        // The machine may be shared: measure the peak again and keep the better (stricter) one.
        let peak = max(peakBefore, gemmPeak(model.precision))
        print(String(format: "%@ at 2048x2304x768: %.1f GFLOP/s, %d thread(s)", peakLabel(model.precision),
                     peak, BLASInfo.threads))
        print("| encoder | batch | tokens/seq | throughput | useful GFLOP/s | % of GEMM peak |")
        print("|---|---:|---:|---:|---:|---:|")
        print(String(format: "| text (%d layers, width %d) | %d prompts | %d | %.1f prompts/s | %.1f | %.0f%% |",
                     lt, d, prompts, t, Double(prompts) / tText, textFLOPs / tText / 1e9,
                     100 * textFLOPs / tText / 1e9 / peak))
        print(String(format: "| image (%@) | %d images | %@ | %.2f images/s | %.1f | %.0f%% |",
                     image.label, images, image.tokens, Double(images) / tImage, imageFLOPs / tImage / 1e9,
                     100 * imageFLOPs / tImage / 1e9 / peak))
        print(String(format: "peak RSS %.0f MiB", peakRSSMiB))
    }

    /// The image tower's useful FLOPs per image (its GEMM work, attention included), a label
    /// and its sequence length (a ViT's tokens; a ResNet's input side).
    static func imageTower(_ tower: ImageTower, includePatchEmbedding: Bool)
        -> (flopsPerImage: Double, label: String, tokens: String) {
        switch tower {
        case let .transformer(v):
            let w = v.width, lv = v.weights.blocks.count, tv = v.grid * v.grid + 1, p = v.patchSize
            let blocks = Double(lv) * (layerFLOPs(tokens: tv, width: w) + 4 * Double(tv * tv * w))
            let patches = includePatchEmbedding ? 2 * Double((tv - 1) * 3 * p * p * w) : 0
            return (blocks + patches, "\(lv) layers, width \(w)", "\(tv)")
        case let .resNet(e):
            let stages = e.weights.stages.map { String($0.count) }.joined(separator: "-")
            return (2 * Double(e.multiplyAddsPerImage), "ResNet \(stages), width \(e.width)", "\(e.resolution) px")
        }
    }

    // MARK: - Train step

    static func train(model: CLIPModel, classes: Int, batch: Int, steps: Int, classnamesFile: String?) throws {
        let peakBefore = gemmPeak(model.precision)
        let tok = try model.tokenizer()
        let names = try classnames(count: classes, file: classnamesFile)
        let prompts = try ClassPrompts(classnames: names, nCtx: 4, ctxInit: "a photo of a", tokenizer: tok)
        let learner = CoCoOp(clip: model, prompts: prompts)
        let params = try learner.initialParameters(seed: 1, tokenizer: tok)
        let momentum = ParameterBuffer(layout: learner.layout)
        let sgd = SGD()
        let r = model.vision.resolution
        let pixels = Tensor(zeros: [batch, 3, r, r])
        for i in 0..<pixels.count { pixels.data[i] = Float((i * 7919) % 255) / 255 - 0.5 }
        let labels = (0..<batch).map { Int32($0 % classes) }
        var imageBest = Double.infinity, learnerBest = Double.infinity
        func step(_ first: Bool) {
            var f = pixels
            imageBest = min(imageBest, BenchCommand.seconds { f = model.vision.encode(pixels: pixels) })
            let g = ParameterBuffer(layout: learner.layout)
            learnerBest = min(learnerBest, BenchCommand.seconds {
                _ = learner.step(imageFeatures: f, labels: labels, params: params, grads: g,
                                 gradScale: 1 / Float(batch))
            })
            sgd.step(params: params.storage.data, grads: g.storage.data, momentumBuffer: momentum.storage.data,
                     count: learner.layout.count, lr: 0.002, firstStep: first)
        }
        step(true)
        var times: [Double] = []
        let cpu0 = cpuSeconds
        for _ in 0..<steps { times.append(BenchCommand.seconds { step(false) }) }
        let cpuPerStep = (cpuSeconds - cpu0) / Double(steps)
        let best = times.min()!, mean = times.reduce(0, +) / Double(times.count)
        // The machine may be shared: measure the peak again and keep the better (stricter) one.
        let peak = max(peakBefore, gemmPeak(model.precision))
        // Useful work: the image tower forward, and the text tower forward + input-gradient
        // backward over the token rows the shared-prefix layout needs (prefix once per image).
        let m = prompts.nCtx, d = model.text.width, lt = model.text.weights.blocks.count
        let suffix = prompts.suffixIDs.map(\.count)
        let rows = batch * (1 + m + suffix.reduce(0, +))
        let suffixAttention = suffix.reduce(0.0) { $0 + Double($1 * (1 + m + $1)) }
        let attn = Double(batch) * (Double((1 + m) * (1 + m)) + suffixAttention) * Double(d)
        let textFLOPs = Double(lt) * (2 * layerFLOPs(tokens: rows, width: d) + 3 * 4 * attn)
        let imageFLOPs = Double(batch) * imageTower(model.vision, includePatchEmbedding: false).flopsPerImage
        let useful = textFLOPs + imageFLOPs
        let truncated = batch * prompts.eotIndices.reduce(0) { $0 + $1 + 1 }
        print(String(format: "%@: %.1f GFLOP/s, %d thread(s); products at %@", peakLabel(model.precision), peak,
                     BLASInfo.threads, model.precision.rawValue))
        print(String(format: "best image tower %.3f s (%.1f GFLOP/s), best prompt learner step %.3f s "
                         + "(%.1f GFLOP/s), CPU %.3f s per step",
                     imageBest, imageFLOPs / imageBest / 1e9, learnerBest, textFLOPs / learnerBest / 1e9, cpuPerStep))
        print("| classes | batch | text rows/step (ours / truncated / reference 77) | step s (best, mean) | images/s "
              + "| useful GFLOP/s | % peak | peak RSS MiB |")
        print("|---:|---:|---|---:|---:|---:|---:|---:|")
        print(String(format: "| %d | %d | %d / %d / %d | %.3f, %.3f | %.2f | %.1f | %.0f%% | %.0f |",
                     classes, batch, rows, truncated, batch * 77 * classes, best, mean, Double(batch) / best,
                     useful / best / 1e9, 100 * useful / best / 1e9 / peak, peakRSSMiB))
        print(String(format: "{\"classes\": %d, \"batch\": %d, \"images_per_s\": %.4f, \"step_s\": %.4f, "
                         + "\"useful_gflops\": %.2f, \"peak_gflops\": %.2f, \"peak_rss_mb\": %.0f, \"rows\": %d, "
                         + "\"precision\": \"%@\", \"image_tower_s\": %.4f, \"learner_s\": %.4f}",
                     classes, batch, Double(batch) / best, best, useful / best / 1e9, peak, peakRSSMiB, rows,
                     model.precision.rawValue, imageBest, learnerBest))
    }
}
