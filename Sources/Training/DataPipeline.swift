import Config
import Datasets
import Foundation
import Tensor

/// The input pipeline of a run, from the config: the reference's train and test transforms
/// (INPUT.*), background loading with read-ahead (DATALOADER.NUM_WORKERS), and the
/// bad-image policy (DATASET.ON_BAD_IMAGE, one registry for the whole run).
public struct DataPipeline {
    public let trainLoader: ImageLoader
    public let testLoader: ImageLoader
    public let options: BatchLoader.Options

    /// Checks the transforms of the config; `warn` receives each bad image skipped.
    public init(config: RunConfig, data: DatasetSplits, warn: @escaping @Sendable (String) -> Void) throws {
        let settings = Self.transformSettings(config)
        trainLoader = ImageLoader(source: data.imageSource,
                                  transform: try ImageTransform(settings: settings.train, mode: .train))
        testLoader = ImageLoader(source: data.imageSource,
                                 transform: try ImageTransform(settings: settings.test, mode: .test))
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let policy: Datasets.BadImagePolicy = config.dataset.onBadImage == .skip ? .skip : .stop
        options = BatchLoader.Options(workers: max(1, min(config.dataloader.numWorkers, cores)), prefetch: 2,
                                      policy: policy,
                                      onBadImage: { event in warn("\(event)") })
    }

    /// The transform settings of INPUT.* for training and for evaluation (Dassl's test
    /// transform: resize and center crop, then the listed tensor transforms).
    public static func transformSettings(_ config: RunConfig) -> (train: TransformSettings, test: TransformSettings) {
        let i = config.input
        let train = TransformSettings(size: i.size[0], interpolation: i.interpolation.rawValue,
                                      transforms: i.transforms, pixelMean: i.pixelMean, pixelStd: i.pixelStd,
                                      rrcropScale: (i.rrcropScale[0], i.rrcropScale[1]))
        var test = train
        test.transforms = i.transforms.isEmpty ? ["normalize"] : i.transforms
        return (train, test)
    }

    /// The pixels of a loaded batch as a tensor [n, 3, H, W] (no copy; keeps the batch alive).
    static func pixels(_ batch: LoadedBatch, resolution: Int) -> Tensor {
        Tensor(borrowing: UnsafeMutablePointer(mutating: batch.pixels.baseAddress ?? UnsafePointer(bitPattern: 64)!),
               shape: [batch.count, 3, resolution, resolution], owner: batch)
    }
}

/// Forwards warnings to the run's log once it exists (the pipeline is checked before the
/// output folder is touched).
final class WarningSink: @unchecked Sendable {
    var log: RunLog?
    let rank: Int
    init(rank: Int) { self.rank = rank }
    func warn(_ message: String) {
        if let log {
            log.warn(message, rank: rank)
        } else {
            fputs("warning (rank \(rank)): \(message)\n", stderr)
        }
    }
}
