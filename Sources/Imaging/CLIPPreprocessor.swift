// MARK: - CLIPPreprocessor

/// CLIP's test-time preprocessing in Dassl/CoOp order, bit-exact with torchvision on PIL:
/// `Resize(resolution, BICUBIC)` -> `CenterCrop(resolution)` -> `ToTensor()` ->
/// `Normalize(mean, std)`, applied to an image already converted to RGB.
///
/// (OpenAI's `clip._transform` resizes before `convert("RGB")`; for RGB files the result is
/// the same, for RGBA/palette files it is not, and this type follows Dassl.)
public struct CLIPPreprocessor: Sendable {
    /// OpenAI CLIP's per-channel mean (RGB).
    public static let openAIMean: [Double] = [0.48145466, 0.4578275, 0.40821073]
    /// OpenAI CLIP's per-channel standard deviation (RGB).
    public static let openAIStd: [Double] = [0.26862954, 0.26130258, 0.27577711]

    /// Side of the square output.
    public let resolution: Int
    /// Mean per channel, rounded to float32 as `torch.tensor(mean)` does.
    public let mean: [Float]
    /// Standard deviation per channel, rounded to float32.
    public let std: [Float]
    /// `3 * 256` normalised values: `(Float(v) / 255 - mean[c]) / std[c]` in float32.
    private let table: [Float]

    /// A preprocessor producing `3 x resolution x resolution` tensors.
    /// - Parameters:
    ///   - resolution: output side (224 for ViT-B/16); must be positive.
    ///   - mean: three channel means, as written in configs (rounded to float32 here).
    ///   - std: three channel standard deviations, non-zero.
    public init(resolution: Int = 224, mean: [Double] = CLIPPreprocessor.openAIMean,
                std: [Double] = CLIPPreprocessor.openAIStd) {
        precondition(resolution > 0, "CLIPPreprocessor: resolution \(resolution) must be positive")
        precondition(mean.count == 3 && std.count == 3, "CLIPPreprocessor: mean and std need 3 values each")
        precondition(!std.contains(0), "CLIPPreprocessor: std must be non-zero")
        self.resolution = resolution
        self.mean = mean.map { Float($0) }
        self.std = std.map { Float($0) }
        var table = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            for v in 0..<256 {
                // ToTensor: a float32 division by 255; Normalize: sub_ then div_, in float32.
                let x = Float(v) / Float(255)
                table[c * 256 + v] = (x - self.mean[c]) / self.std[c]
            }
        }
        self.table = table
    }

    /// Number of floats one preprocessed image occupies (`3 * resolution^2`).
    public var tensorCount: Int { 3 * resolution * resolution }

    // MARK: - Pipeline

    /// The model input for `image`: CHW float32, `3 x resolution x resolution`.
    public func callAsFunction(_ image: RGBImage) -> [Float] {
        [Float](unsafeUninitializedCapacity: tensorCount) { buffer, count in
            preprocess(image, into: buffer.baseAddress!)
            count = tensorCount
        }
    }

    /// Writes the model input for `image` (CHW, `tensorCount` floats) to `destination`.
    public func preprocess(_ image: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        normalize(resizeAndCrop(image), into: destination)
    }

    /// `Resize(resolution)` then `CenterCrop(resolution)`: the uint8 image the tensor is made
    /// of. Only the kept window is resampled (bit-identical to resizing, then cropping).
    public func resizeAndCrop(_ image: RGBImage) -> RGBImage {
        let n = resolution
        let size = resizedSize(width: image.width, height: image.height, shorterSide: n)
        if size.width == image.width && size.height == image.height {
            return centerCrop(image, size: n)
        }
        guard size.width >= n && size.height >= n else {
            return centerCrop(resizeBicubic(image, width: size.width, height: size.height), size: n)
        }
        let window = centerCropRect(imageWidth: size.width, imageHeight: size.height, width: n, height: n)
        return resizeBicubic(image, from: PixelRect(x: 0, y: 0, width: image.width, height: image.height),
                             width: size.width, height: size.height, window: window)
    }

    // MARK: - ToTensor + Normalize

    /// `ToTensor()` + `Normalize(mean, std)`: writes `3 x height x width` floats (CHW) for
    /// an image of any size to `destination`.
    public func normalize(_ image: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        let plane = image.width * image.height
        table.withUnsafeBufferPointer { lut in
            image.pixels.withUnsafeBufferPointer { px in
                let r = lut.baseAddress!, g = r + 256, b = r + 512
                let p = px.baseAddress!
                let outR = destination, outG = destination + plane, outB = destination + 2 * plane
                for i in 0..<plane {
                    outR[i] = r[Int(p[3 * i])]
                    outG[i] = g[Int(p[3 * i + 1])]
                    outB[i] = b[Int(p[3 * i + 2])]
                }
            }
        }
    }
}
