import Foundation

/// What keys one training sample's augmentation: (seed, epoch, sample index). Independent
/// of rank, world size and position in the batch.
public struct AugmentationKey: Hashable, Sendable {
    /// The run's seed.
    public let seed: UInt64
    /// The epoch (0-based).
    public let epoch: Int
    /// Index of the item in the training set.
    public let sampleIndex: Int

    /// A key; see the properties.
    public init(seed: UInt64, epoch: Int, sampleIndex: Int) {
        self.seed = seed
        self.epoch = epoch
        self.sampleIndex = sampleIndex
    }

    /// The counter stream for this key (purpose `.augmentation`), starting at `draw`.
    public func stream(startDraw: UInt32 = 0) -> CounterStream {
        CounterStream(seed: seed, purpose: .augmentation, epoch: epoch, index: sampleIndex, startDraw: startDraw)
    }
}

/// The settings of torchvision's `RandomResizedCrop` (size aside) and `RandomHorizontalFlip`.
public struct RandomResizedCropSpec: Sendable, Equatable {
    /// Area fraction range (INPUT.RRCROP_SCALE; default (0.08, 1.0)).
    public var scale: (Double, Double)
    /// Aspect ratio (w/h) range (default (3/4, 4/3)).
    public var ratio: (Double, Double)
    /// Probability of a horizontal flip (0.5; 0 when "random_flip" is not in INPUT.TRANSFORMS).
    public var flipProbability: Double

    /// The defaults of torchvision and Dassl.
    public init(scale: (Double, Double) = (0.08, 1.0), ratio: (Double, Double) = (3.0 / 4.0, 4.0 / 3.0),
                flipProbability: Double = 0.5) {
        self.scale = scale
        self.ratio = ratio
        self.flipProbability = flipProbability
    }

    /// Compares all settings.
    public static func == (a: Self, b: Self) -> Bool {
        a.scale == b.scale && a.ratio == b.ratio && a.flipProbability == b.flipProbability
    }
}

/// One sample's crop rectangle (in source pixels) and flip, to be applied by Imaging:
/// crop rows top..<top+height, columns left..<left+width, resize to the input size, then
/// mirror horizontally if `flip`.
public struct AugmentationParams: Hashable, Sendable, CustomStringConvertible {
    /// First row of the crop.
    public var top: Int
    /// First column of the crop.
    public var left: Int
    /// Crop height in pixels (> 0).
    public var height: Int
    /// Crop width in pixels (> 0).
    public var width: Int
    /// Mirror left-right after resizing.
    public var flip: Bool
    /// True when all 10 attempts failed and the central fallback crop was taken.
    public var usedFallback: Bool

    /// Creates parameters; see the properties.
    public init(top: Int, left: Int, height: Int, width: Int, flip: Bool, usedFallback: Bool = false) {
        self.top = top
        self.left = left
        self.height = height
        self.width = width
        self.flip = flip
        self.usedFallback = usedFallback
    }

    /// "crop (top, left) h x w [flip]".
    public var description: String {
        "crop (\(top), \(left)) \(height)x\(width)\(flip ? " flip" : "")\(usedFallback ? " (fallback)" : "")"
    }

    // MARK: - Drawing

    /// Where each choice starts in the augmentation stream: attempts at block 0 (two
    /// blocks per attempt, 20 at most), the crop position (top, then left) at 2^16, the
    /// flip at 2^20, so each choice reads the same blocks however many attempts failed
    /// (an unbiased integer draw rejects with probability < 2^-40 and reads one block more).
    private enum Block {
        static let attempts: UInt32 = 0
        static let position: UInt32 = 1 << 16
        static let flip: UInt32 = 1 << 20
    }

    /// torchvision `RandomResizedCrop.get_params` plus `RandomHorizontalFlip`, with every
    /// draw taken from the counter stream of `key`.
    ///
    /// Up to 10 attempts: target_area = H·W·U(scale), aspect = exp(U(log ratio)),
    /// w = round(sqrt(target_area·aspect)), h = round(sqrt(target_area/aspect)) (Python's
    /// round, half to even); the first with 0 < w <= W and 0 < h <= H is taken with
    /// top = randint(0, H - h), left = randint(0, W - w). Otherwise the central crop of
    /// the whole image, its aspect clamped to the ratio range. Flip when U < p.
    /// - Parameters:
    ///   - imageWidth: source width W (> 0).
    ///   - imageHeight: source height H (> 0).
    public static func draw(key: AugmentationKey, imageWidth: Int, imageHeight: Int,
                            spec: RandomResizedCropSpec = RandomResizedCropSpec()) -> AugmentationParams {
        var attempts = key.stream(startDraw: Block.attempts)
        var position = key.stream(startDraw: Block.position)
        var flipStream = key.stream(startDraw: Block.flip)
        var crop = randomResizedCrop(width: imageWidth, height: imageHeight, spec: spec,
                                     uniform: { attempts.nextDouble() },
                                     randint: { position.nextInt(in: $0) })
        crop.flip = flipStream.nextDouble() < spec.flipProbability
        return crop
    }

    /// `get_params` with the random source passed in (`uniform()` in [0, 1),
    /// `randint(lo...hi)`), so tests can force the fallback. `flip` is left false.
    public static func randomResizedCrop(width: Int, height: Int, spec: RandomResizedCropSpec,
                                         uniform: () -> Double,
                                         randint: (ClosedRange<Int>) -> Int) -> AugmentationParams {
        precondition(width > 0 && height > 0, "image size must be positive")
        let area = Double(height) * Double(width)
        let logLo = Foundation.log(spec.ratio.0), logHi = Foundation.log(spec.ratio.1)
        for _ in 0..<10 {
            let targetArea = area * (spec.scale.0 + (spec.scale.1 - spec.scale.0) * uniform())
            let aspect = Foundation.exp(logLo + (logHi - logLo) * uniform())
            let w = pythonRound((targetArea * aspect).squareRoot())
            let h = pythonRound((targetArea / aspect).squareRoot())
            if 0 < w && w <= width && 0 < h && h <= height {
                let top = randint(0...(height - h))
                let left = randint(0...(width - w))
                return AugmentationParams(top: top, left: left, height: h, width: w, flip: false)
            }
        }
        return centralFallback(width: width, height: height, ratio: spec.ratio)
    }

    /// torchvision's fallback: the whole image, narrowed to the ratio range, centred.
    public static func centralFallback(width: Int, height: Int, ratio: (Double, Double)) -> AugmentationParams {
        let inRatio = Double(width) / Double(height)
        let lo = min(ratio.0, ratio.1), hi = max(ratio.0, ratio.1)
        var w = width, h = height
        if inRatio < lo {
            h = pythonRound(Double(w) / lo)
        } else if inRatio > hi {
            w = pythonRound(Double(h) * hi)
        }
        return AugmentationParams(top: (height - h) / 2, left: (width - w) / 2, height: h, width: w,
                                  flip: false, usedFallback: true)
    }

    /// Python's `int(round(x))` for a non-negative finite x: nearest, ties to even.
    static func pythonRound(_ x: Double) -> Int {
        Int(x.rounded(.toNearestOrEven))
    }
}
