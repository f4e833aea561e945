import Datasets
import Foundation
import Imaging

/// `cocoop bench data`: how many images per second one core decodes and augments, and how
/// the BatchLoader scales with worker threads.
enum DataBench {
    static let usage = """
    data   input pipeline throughput on synthetic photos written to a temporary folder
           (--images N JPEGs and N PNGs of 500 x 375, default 200; --size S, default 224):
           images/s on one core for decode, decode + training transform (random resized
           crop, flip, normalize) and decode + test transform (resize, center crop,
           normalize), then the BatchLoader's images/s with --workers W1,W2,... threads
           (default 1,2 and the CPU count), batch 32.
    """

    /// Runs the benchmark and prints two Markdown tables.
    static func run(images: Int, size: Int, workers: [Int]) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-bench-data-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (width, height) = (500, 375)
        var sets: [(String, [Datum], Int)] = []
        for format in ["JPEG", "PNG"] {
            var items: [Datum] = [], bytes = 0
            for i in 0..<images {
                let pixels = syntheticPhoto(width: width, height: height, seed: i)
                // JPEG: baseline 4:2:0 at quality 90, as most photos are stored.
                let data = format == "JPEG" ? try ImageEncoder.jpeg(pixels, width: width, height: height)
                                            : try ImageEncoder.png(pixels, width: width, height: height, channels: 3)
                let file = dir.appendingPathComponent("\(format.lowercased())_\(i).\(format == "JPEG" ? "jpg" : "png")")
                try Data(data).write(to: file)
                bytes += data.count
                items.append(Datum(imagePath: file.path, label: i % 10, classname: "class_\(i % 10)"))
            }
            sets.append((format, items, bytes / images))
        }
        let settings = TransformSettings(size: size)
        let train = ImageLoader(transform: try ImageTransform(settings: settings, mode: .train))
        let test = ImageLoader(transform: try ImageTransform(settings: settings, mode: .test))
        print("synthetic \(width) x \(height) photos, \(images) per format, output \(size) x \(size); "
              + "files in the page cache")
        print("")
        print("| format | mean file size | stage | images/s per core | ms per image |")
        print("|--------|---------------:|-------|------------------:|-------------:|")
        var buffer = [Float](repeating: 0, count: train.imageCount)
        for (format, items, meanBytes) in sets {
            let stages: [(String, (Int) throws -> Void)] = [
                ("decode", { _ = try train.decode(items[$0]) }),
                ("decode + train transform", { i in
                    try buffer.withUnsafeMutableBufferPointer {
                        try train.load(items[i], key: AugmentationKey(seed: 1, epoch: 0, sampleIndex: i),
                                       into: $0.baseAddress!)
                    }
                }),
                ("decode + test transform", { i in
                    try buffer.withUnsafeMutableBufferPointer {
                        try test.load(items[i], key: nil, into: $0.baseAddress!)
                    }
                }),
            ]
            for (stage, body) in stages {
                let seconds = try bestOf(2) { for i in 0..<items.count { try body(i) } }
                let rate = Double(items.count) / seconds
                print(String(format: "| %@ | %8.1f kB | %@ | %8.1f | %6.2f |", format, Double(meanBytes) / 1000, stage,
                             rate, 1000 / rate))
            }
        }
        print("")
        print("BatchLoader, training transform, batch 32, prefetch 2 (JPEG and PNG items mixed):")
        print("")
        print("| workers | images/s | images/s per worker |")
        print("|--------:|---------:|--------------------:|")
        let mixed = zip(sets[0].1, sets[1].1).flatMap { [$0, $1] }
        let plan = try EpochSampler(count: mixed.count, batchSize: 32, seed: 1).plan(epoch: 0)
        let requests = plan.batchRequests(rank: 0, worldSize: 1)
        let total = requests.reduce(0) { $0 + $1.items.count }
        for w in workers {
            let seconds = try bestOf(2) {
                let loader = try BatchLoader(loader: train, items: mixed, requests: requests,
                                             options: .init(workers: w, prefetch: 2))
                while try loader.next() != nil {}
            }
            let rate = Double(total) / seconds
            print(String(format: "| %7d | %8.1f | %8.1f |", w, rate, rate / Double(max(w, 1))))
        }
    }

    /// The shortest of `n` runs of `body`, in seconds.
    static func bestOf(_ n: Int, _ body: () throws -> Void) throws -> Double {
        var best = Double.infinity
        for _ in 0..<n {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return best
    }

    // MARK: - Synthetic images

    /// Smooth shapes, edges and sensor-like noise, so that the encoders work about as hard
    /// as on a photo (a flat gradient would compress to almost nothing).
    static func syntheticPhoto(width: Int, height: Int, seed: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        var state = UInt64(seed &+ 1) &* 0x9E37_79B9_7F4A_7C15
        let fx = 0.02 + 0.01 * Double(seed % 7), fy = 0.015 + 0.01 * Double(seed % 5)
        for y in 0..<height {
            for x in 0..<width {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let noise = Double(Int(state >> 59)) - 16
                let base = 120 + 60 * sin(Double(x) * fx) * cos(Double(y) * fy)
                let disc = (x - width / 2) * (x - width / 2) + (y - height / 2) * (y - height / 2)
                    < (height / 3) * (height / 3)
                let i = (y * width + x) * 3
                out[i] = UInt8(clamping: Int(base + noise + (disc ? 50 : 0)))
                out[i + 1] = UInt8(clamping: Int(base * 0.8 + noise + Double(y) * 0.1))
                out[i + 2] = UInt8(clamping: Int(200 - base * 0.5 + noise + (disc ? -40 : 0)))
            }
        }
        return out
    }
}
