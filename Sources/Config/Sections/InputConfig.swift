// MARK: - INPUT

/// INPUT: image size, interpolation, augmentations and normalisation (Dassl's keys, all of
/// them, so any Dassl or CoOp file loads; cocoop-swift uses SIZE, INTERPOLATION, TRANSFORMS,
/// NO_TRANSFORM, PIXEL_MEAN, PIXEL_STD and RRCROP_SCALE).
public struct InputConfig: Equatable, Sendable {
    /// SIZE: [height, width] of the network input. Default (224, 224).
    public var size: [Int] = [224, 224]
    /// INTERPOLATION: resize filter. Default "bilinear" (CoOp's files: "bicubic").
    public var interpolation: Interpolation = .bilinear
    /// TRANSFORMS: training augmentations in order, from Dassl's list. Default ().
    public var transforms: [String] = []
    /// NO_TRANSFORM: if true, no train or test transforms at all. Default False.
    public var noTransform = false
    /// PIXEL_MEAN: per-channel mean for "normalize". Default ImageNet's [0.485, 0.456, 0.406].
    public var pixelMean: [Double] = [0.485, 0.456, 0.406]
    /// PIXEL_STD: per-channel standard deviation for "normalize". Default [0.229, 0.224, 0.225].
    public var pixelStd: [Double] = [0.229, 0.224, 0.225]
    /// CROP_PADDING: padding of "random_crop". Default 4.
    public var cropPadding = 4
    /// RRCROP_SCALE: area range of "random_resized_crop". Default (0.08, 1.0).
    public var rrcropScale: [Double] = [0.08, 1.0]
    /// CUTOUT_N: number of cutout holes. Default 1.
    public var cutoutN = 1
    /// CUTOUT_LEN: side of a cutout hole. Default 16.
    public var cutoutLen = 16
    /// GN_MEAN: mean of "gaussian_noise". Default 0.0.
    public var gnMean = 0.0
    /// GN_STD: standard deviation of "gaussian_noise". Default 0.15.
    public var gnStd = 0.15
    /// RANDAUGMENT_N: number of RandAugment operations. Default 2.
    public var randaugmentN = 2
    /// RANDAUGMENT_M: RandAugment magnitude. Default 10.
    public var randaugmentM = 10
    /// COLORJITTER_B: brightness of "colorjitter". Default 0.4.
    public var colorjitterB = 0.4
    /// COLORJITTER_C: contrast of "colorjitter". Default 0.4.
    public var colorjitterC = 0.4
    /// COLORJITTER_S: saturation of "colorjitter". Default 0.4.
    public var colorjitterS = 0.4
    /// COLORJITTER_H: hue of "colorjitter". Default 0.1.
    public var colorjitterH = 0.1
    /// RGS_P: probability of "randomgrayscale". Default 0.2.
    public var rgsP = 0.2
    /// GB_P: probability of "gaussian_blur". Default 0.5.
    public var gbP = 0.5
    /// GB_K: kernel size of "gaussian_blur" (odd). Default 21.
    public var gbK = 21

    /// Dassl's defaults.
    public init() {}

    /// Dassl's INPUT.TRANSFORMS choices (`dassl/data/transforms/transforms.py`, AVAI_CHOICES).
    public static let knownTransforms = [
        "random_flip", "random_resized_crop", "normalize", "instance_norm", "random_crop",
        "random_translation", "center_crop", "cutout", "imagenet_policy", "cifar10_policy",
        "svhn_policy", "randaugment", "randaugment_fixmatch", "randaugment2", "gaussian_noise",
        "colorjitter", "randomgrayscale", "gaussian_blur",
    ]
}

extension InputConfig: ConfigSection {
    static var fields: [ConfigField<InputConfig>] {
        [
            .value("SIZE", \.size),
            .value("INTERPOLATION", \.interpolation),
            .value("TRANSFORMS", \.transforms),
            .value("NO_TRANSFORM", \.noTransform),
            .value("PIXEL_MEAN", \.pixelMean),
            .value("PIXEL_STD", \.pixelStd),
            .value("CROP_PADDING", \.cropPadding),
            .value("RRCROP_SCALE", \.rrcropScale),
            .value("CUTOUT_N", \.cutoutN),
            .value("CUTOUT_LEN", \.cutoutLen),
            .value("GN_MEAN", \.gnMean),
            .value("GN_STD", \.gnStd),
            .value("RANDAUGMENT_N", \.randaugmentN),
            .value("RANDAUGMENT_M", \.randaugmentM),
            .value("COLORJITTER_B", \.colorjitterB),
            .value("COLORJITTER_C", \.colorjitterC),
            .value("COLORJITTER_S", \.colorjitterS),
            .value("COLORJITTER_H", \.colorjitterH),
            .value("RGS_P", \.rgsP),
            .value("GB_P", \.gbP),
            .value("GB_K", \.gbK),
        ]
    }
}
