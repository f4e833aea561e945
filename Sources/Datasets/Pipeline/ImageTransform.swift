import Imaging

// MARK: - ImageTransform

/// Dassl's `build_transform(cfg, is_train)` for the transforms this program implements:
/// an RGB image in, a float32 CHW tensor of INPUT.SIZE out, bit-exact with torchvision on
/// PIL images (Pillow 13's resampling pass order, see Imaging's `resizeBicubic`).
///
/// Training (`_build_transform_train`), in Dassl's fixed order whatever the list order:
/// 1. `Resize(SIZE)` to exactly height x width, only when neither random_crop nor
///    random_resized_crop is listed;
/// 2. random_resized_crop: `RandomResizedCrop(SIZE, scale=RRCROP_SCALE, ratio=(3/4, 4/3))`,
///    crop then Pillow bicubic resize, parameters from `AugmentationParams.draw(key:)`;
/// 3. random_flip: `RandomHorizontalFlip()` (p = 0.5, drawn from the same key);
/// 4. `ToTensor()` (uint8 / 255 in float32), then normalize: `Normalize(PIXEL_MEAN, PIXEL_STD)`
///    when listed. center_crop is accepted and, as in Dassl, does nothing at training time.
///
/// Test (`_build_transform_test`): `Resize(max(SIZE))` of the shorter side, `CenterCrop(SIZE)`,
/// `ToTensor()`, normalize when listed; the random transforms are ignored there, as in Dassl.
public struct ImageTransform: Sendable {
    /// Which of Dassl's two builders this follows.
    public enum Mode: String, Sendable {
        /// `_build_transform_train`.
        case train
        /// `_build_transform_test`.
        case test
    }

    /// The geometric step before ToTensor.
    enum Geometry: Sendable, Equatable {
        /// RandomResizedCrop with these settings.
        case randomResizedCrop(RandomResizedCropSpec)
        /// Resize to exactly height x width (training without a crop).
        case resize
        /// Resize the shorter side to max(height, width), then centre crop (test).
        case resizeShorterSideThenCenterCrop
    }

    /// The settings this transform was built from.
    public let settings: TransformSettings
    /// Training or test.
    public let mode: Mode
    let geometry: Geometry
    /// Whether a random horizontal flip follows the geometric step.
    public let randomFlip: Bool
    /// Whether Normalize(mean, std) follows ToTensor.
    public let normalizes: Bool
    /// ToTensor (+ Normalize) as a 3 x 256 lookup table; mean 0 / std 1 when not normalising.
    private let toTensor: CLIPPreprocessor

    /// Validates `settings` and builds the transform of `mode`.
    /// - Throws: `TransformError` naming the transform or INPUT.* key that cannot be used.
    public init(settings: TransformSettings, mode: Mode) throws {
        for name in settings.transforms where !TransformSettings.dasslNames.contains(name) {
            throw TransformError.unknownTransform(name: name, known: TransformSettings.dasslNames)
        }
        let supported = TransformSettings.supportedNames
        let relevant = mode == .train ? settings.transforms : settings.transforms.filter { $0 == "instance_norm" }
        if let name = relevant.first(where: { !supported.contains($0) }) {
            throw TransformError.unsupportedTransform(name: name, supported: Array(supported))
        }
        guard settings.interpolation == "bicubic" else {
            throw TransformError.unsupportedInterpolation(settings.interpolation)
        }
        guard settings.height > 0, settings.width > 0 else {
            throw TransformError.invalidSetting(key: "INPUT.SIZE", value: "(\(settings.height), \(settings.width))",
                                                reason: "both sides must be positive")
        }
        guard settings.pixelMean.count == 3, settings.pixelStd.count == 3 else {
            throw TransformError.invalidSetting(key: "INPUT.PIXEL_MEAN/PIXEL_STD",
                                                value: "\(settings.pixelMean) / \(settings.pixelStd)",
                                                reason: "need three values each (RGB)")
        }
        guard settings.pixelStd.allSatisfy({ $0 != 0 && $0.isFinite }), settings.pixelMean.allSatisfy(\.isFinite) else {
            throw TransformError.invalidSetting(key: "INPUT.PIXEL_STD", value: "\(settings.pixelStd)",
                                                reason: "must be finite and non-zero")
        }
        let (lo, hi) = settings.rrcropScale
        guard lo > 0, lo <= hi, hi.isFinite else {
            throw TransformError.invalidSetting(key: "INPUT.RRCROP_SCALE", value: "(\(lo), \(hi))",
                                                reason: "need 0 < low <= high")
        }
        self.settings = settings
        self.mode = mode
        let names = Set(settings.transforms)
        switch mode {
        case .train:
            geometry = names.contains("random_resized_crop")
                ? .randomResizedCrop(RandomResizedCropSpec(scale: settings.rrcropScale)) : .resize
            randomFlip = names.contains("random_flip")
        case .test:
            geometry = .resizeShorterSideThenCenterCrop
            randomFlip = false
        }
        normalizes = names.contains("normalize")
        toTensor = normalizes
            ? CLIPPreprocessor(resolution: max(settings.height, settings.width), mean: settings.pixelMean,
                               std: settings.pixelStd)
            : CLIPPreprocessor(resolution: max(settings.height, settings.width), mean: [0, 0, 0], std: [1, 1, 1])
    }

    /// Number of floats one output tensor holds (3 x height x width).
    public var outputCount: Int { 3 * settings.height * settings.width }

    /// Whether the output depends on an augmentation key (random crop or flip).
    public var isRandom: Bool {
        if case .randomResizedCrop = geometry { return true }
        return randomFlip
    }

    /// The steps in Dassl's words, one per line ("+ random resized crop (size=..., scale=...)").
    public var steps: [String] {
        let size = "\(settings.height)x\(settings.width)"
        var out: [String] = []
        switch geometry {
        case .resize: out.append("+ resize to \(size)")
        case .randomResizedCrop(let spec): out.append("+ random resized crop (size=\(size), scale=\(spec.scale))")
        case .resizeShorterSideThenCenterCrop:
            out.append("+ resize the smaller edge to \(max(settings.height, settings.width))")
            out.append("+ \(size) center crop")
        }
        if randomFlip { out.append("+ random flip") }
        out.append("+ to torch tensor of range [0, 1]")
        if normalizes { out.append("+ normalization (mean=\(settings.pixelMean), std=\(settings.pixelStd))") }
        return out
    }

    // MARK: - Applying

    /// The crop and flip drawn for `key` on a `imageWidth` x `imageHeight` image (nil for a
    /// transform without random choices).
    /// - Throws: `TransformError.missingAugmentationKey` when the transform is random and `key` is nil.
    public func augmentation(key: AugmentationKey?, imageWidth: Int, imageHeight: Int) throws -> AugmentationParams? {
        guard isRandom else { return nil }
        guard let key else { throw TransformError.missingAugmentationKey }
        var spec = RandomResizedCropSpec(scale: settings.rrcropScale)
        if case .randomResizedCrop(let s) = geometry { spec = s }
        spec.flipProbability = randomFlip ? 0.5 : 0
        return AugmentationParams.draw(key: key, imageWidth: imageWidth, imageHeight: imageHeight, spec: spec)
    }

    /// The uint8 image right before ToTensor: the geometric step, then the flip.
    public func geometric(_ image: RGBImage, key: AugmentationKey?) throws -> RGBImage {
        let params = try augmentation(key: key, imageWidth: image.width, imageHeight: image.height)
        return geometric(image, params: params)
    }

    /// The geometric step with explicit parameters (`params` nil: no random choice; for a
    /// non-random-crop transform only `params.flip` is read).
    public func geometric(_ image: RGBImage, params: AugmentationParams?) -> RGBImage {
        let h = settings.height, w = settings.width
        var out: RGBImage
        switch geometry {
        case .randomResizedCrop:
            let p = params ?? AugmentationParams(top: 0, left: 0, height: image.height, width: image.width, flip: false)
            out = resizeBicubic(image, from: PixelRect(x: p.left, y: p.top, width: p.width, height: p.height),
                                           width: w, height: h)
        case .resize:
            out = resizeBicubic(image, width: w, height: h)
        case .resizeShorterSideThenCenterCrop:
            out = Self.resizeShorterSideThenCenterCrop(image, height: h, width: w)
        }
        if randomFlip, params?.flip == true { flipHorizontally(&out) }
        return out
    }

    /// Writes the tensor of `image` (CHW, `outputCount` floats) to `destination`.
    /// - Throws: `TransformError.missingAugmentationKey` for a random transform without `key`.
    public func apply(_ image: RGBImage, key: AugmentationKey?, into destination: UnsafeMutablePointer<Float>) throws {
        toTensor.normalize(try geometric(image, key: key), into: destination)
    }

    /// The tensor of `image` as a new array (see `apply(_:key:into:)`).
    public func callAsFunction(_ image: RGBImage, key: AugmentationKey?) throws -> [Float] {
        let n = outputCount
        return try [Float](unsafeUninitializedCapacity: n) { buffer, count in
            try apply(image, key: key, into: buffer.baseAddress!)
            count = n
        }
    }

    /// ToTensor (+ Normalize) of an image already of the output size.
    public func toTensor(_ image: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        precondition(image.width == settings.width && image.height == settings.height,
                     "toTensor: \(image.width) x \(image.height) image, "
                     + "expected \(settings.width) x \(settings.height)")
        toTensor.normalize(image, into: destination)
    }

    // MARK: - Test geometry

    /// torchvision `Resize(max(h, w))` then `CenterCrop((h, w))` on a PIL image; only the
    /// kept window is resampled (bit-identical to resizing everything, then cropping).
    static func resizeShorterSideThenCenterCrop(_ image: RGBImage, height: Int, width: Int) -> RGBImage {
        let side = max(height, width)
        let size = resizedSize(width: image.width, height: image.height, shorterSide: side)
        if size.width == image.width && size.height == image.height {
            return centerCrop(image, width: width, height: height)
        }
        guard size.width >= width && size.height >= height else {
            return centerCrop(resizeBicubic(image, width: size.width, height: size.height), width: width,
                              height: height)
        }
        let window = centerCropRect(imageWidth: size.width, imageHeight: size.height, width: width, height: height)
        return resizeBicubic(image, from: PixelRect(x: 0, y: 0, width: image.width, height: image.height),
                                        width: size.width, height: size.height, window: window)
    }
}

// MARK: - Flip

/// Pillow's `transpose(FLIP_LEFT_RIGHT)` in place: every row reversed pixel by pixel.
public func flipHorizontally(_ image: inout RGBImage) {
    let w = image.width
    image.pixels.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        for y in 0..<image.height {
            let row = base + y * w * 3
            var a = 0, b = w - 1
            while a < b {
                let pa = row + 3 * a, pb = row + 3 * b
                let (r, g, bl) = (pa[0], pa[1], pa[2])
                pa[0] = pb[0]; pa[1] = pb[1]; pa[2] = pb[2]
                pb[0] = r; pb[1] = g; pb[2] = bl
                a += 1
                b -= 1
            }
        }
    }
}
