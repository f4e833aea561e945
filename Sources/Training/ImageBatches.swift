import Datasets
import Foundation
import Imaging
import Tensor

/// Loads the pixels [n, 3, S, S] of a batch; training items carry an augmentation key.
public protocol ImageBatchLoading {
    func load(_ items: [Datum], augmentation: [AugmentationKey]?) throws -> Tensor
}

/// The reference's transforms on decoded images: training = random resized crop (Pillow
/// bicubic) + horizontal flip + normalise, drawn from each sample's augmentation key;
/// test = resize the shorter side + center crop + normalise.
public struct PixelLoader: ImageBatchLoading {
    public let preprocessor: CLIPPreprocessor
    public let cropSpec: RandomResizedCropSpec

    public init(resolution: Int, mean: [Double], std: [Double], scale: (Double, Double)) {
        preprocessor = CLIPPreprocessor(resolution: resolution, mean: mean, std: std)
        cropSpec = RandomResizedCropSpec(scale: scale)
    }

    public func load(_ items: [Datum], augmentation: [AugmentationKey]?) throws -> Tensor {
        let s = preprocessor.resolution
        let out = Tensor(zeros: [items.count, 3, s, s])
        for (i, item) in items.enumerated() {
            let image = try ImageDecoder.decode(fileAt: URL(fileURLWithPath: item.imagePath))
            let dst = out.data + i * preprocessor.tensorCount
            if let key = augmentation?[i] {
                let p = AugmentationParams.draw(key: key, imageWidth: image.width, imageHeight: image.height, spec: cropSpec)
                var crop = resizeBicubic(image, from: PixelRect(x: p.left, y: p.top, width: p.width, height: p.height),
                                         width: s, height: s)
                if p.flip { crop = Self.flipped(crop) }
                preprocessor.normalize(crop, into: dst)
            } else {
                preprocessor.preprocess(image, into: dst)
            }
        }
        return out
    }

    static func flipped(_ image: RGBImage) -> RGBImage {
        var out = image
        let w = image.width
        for y in 0..<image.height {
            for x in 0..<w {
                for c in 0..<3 { out.pixels[(y * w + x) * 3 + c] = image.pixels[(y * w + (w - 1 - x)) * 3 + c] }
            }
        }
        return out
    }
}
