import Imaging

// MARK: - TransformSettings

/// The INPUT.* keys of a Dassl/CoOp config that decide how an image becomes a tensor.
///
/// Defaults are those of CoOp's and CoCoOp's trainer configs (`configs/trainers/*/*.yaml`):
/// SIZE (224, 224), INTERPOLATION "bicubic", TRANSFORMS
/// ["random_resized_crop", "random_flip", "normalize"], CLIP's PIXEL_MEAN / PIXEL_STD,
/// RRCROP_SCALE (0.08, 1.0).
public struct TransformSettings: Sendable, Equatable {
    /// INPUT.SIZE as (height, width).
    public var height: Int
    /// INPUT.SIZE width.
    public var width: Int
    /// INPUT.INTERPOLATION ("bicubic"; "bilinear" and "nearest" are Dassl names this
    /// program does not implement).
    public var interpolation: String
    /// INPUT.TRANSFORMS, Dassl names, in any order (Dassl applies them in a fixed order).
    public var transforms: [String]
    /// INPUT.PIXEL_MEAN (RGB).
    public var pixelMean: [Double]
    /// INPUT.PIXEL_STD (RGB).
    public var pixelStd: [Double]
    /// INPUT.RRCROP_SCALE: area fraction range of random_resized_crop.
    public var rrcropScale: (Double, Double)

    /// Settings; see the properties. `size` sets both height and width.
    public init(size: Int = 224, interpolation: String = "bicubic",
                transforms: [String] = ["random_resized_crop", "random_flip", "normalize"],
                pixelMean: [Double] = CLIPPreprocessor.openAIMean, pixelStd: [Double] = CLIPPreprocessor.openAIStd,
                rrcropScale: (Double, Double) = (0.08, 1.0)) {
        self.height = size
        self.width = size
        self.interpolation = interpolation
        self.transforms = transforms
        self.pixelMean = pixelMean
        self.pixelStd = pixelStd
        self.rrcropScale = rrcropScale
    }

    /// Compares every key.
    public static func == (a: Self, b: Self) -> Bool {
        a.height == b.height && a.width == b.width && a.interpolation == b.interpolation
            && a.transforms == b.transforms && a.pixelMean == b.pixelMean && a.pixelStd == b.pixelStd
            && a.rrcropScale == b.rrcropScale
    }

    // MARK: - Dassl's names

    /// Every name Dassl's `build_transform` accepts (`AVAI_CHOICES`), in its order.
    public static let dasslNames: [String] = [
        "random_flip", "random_resized_crop", "normalize", "instance_norm", "random_crop",
        "random_translation", "center_crop", "cutout", "imagenet_policy", "cifar10_policy",
        "svhn_policy", "randaugment", "randaugment_fixmatch", "randaugment2", "gaussian_noise",
        "colorjitter", "randomgrayscale", "gaussian_blur",
    ]

    /// The names this program implements (for training; a test transform only reads
    /// "normalize" and rejects "instance_norm", as Dassl's `_build_transform_test` uses
    /// nothing else).
    public static let supportedNames: Set<String> = ["random_resized_crop", "random_flip", "center_crop", "normalize"]
}

// MARK: - TransformError

/// A transform setting this program cannot honour; names the key and the value.
public enum TransformError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A name that is not one of Dassl's INPUT.TRANSFORMS choices.
    case unknownTransform(name: String, known: [String])
    /// A Dassl transform this program does not implement.
    case unsupportedTransform(name: String, supported: [String])
    /// INPUT.INTERPOLATION other than "bicubic".
    case unsupportedInterpolation(String)
    /// Another INPUT.* key with an unusable value.
    case invalidSetting(key: String, value: String, reason: String)
    /// A training transform with random choices was asked to run without an augmentation key.
    case missingAugmentationKey

    /// A one-line message naming the key or transform.
    public var description: String {
        switch self {
        case let .unknownTransform(name, known):
            return "INPUT.TRANSFORMS: unknown transform '\(name)' (Dassl's names: \(known.joined(separator: ", ")))"
        case let .unsupportedTransform(name, supported):
            return "INPUT.TRANSFORMS: transform '\(name)' is not implemented by cocoop-swift "
                + "(supported: \(supported.sorted().joined(separator: ", ")))"
        case let .unsupportedInterpolation(name):
            return "INPUT.INTERPOLATION '\(name)' is not implemented (only 'bicubic', the CLIP setting)"
        case let .invalidSetting(key, value, reason):
            return "\(key) '\(value)': \(reason)"
        case .missingAugmentationKey:
            return "a training transform with random choices needs an augmentation key (seed, epoch, sample index)"
        }
    }
}
