// MARK: - DATASET

/// DATASET: which dataset, where, how many shots, which classes (Dassl's keys, CoOp's
/// SUBSAMPLE_CLASSES, and cocoop-swift's SPLIT_FILE and ON_BAD_IMAGE).
public struct DatasetConfig: Equatable, Sendable {
    /// ROOT: folder holding the datasets (`$DATA` in CoOp's scripts). Default "".
    public var root = ""
    /// NAME: dataset class name, e.g. "OxfordPets", "ImageNet". Default "".
    public var name = ""
    /// SOURCE_DOMAINS: source domain names (DA/DG datasets only). Default ().
    public var sourceDomains: [String] = []
    /// TARGET_DOMAINS: target domain names (DA/DG datasets only). Default ().
    public var targetDomains: [String] = []
    /// NUM_LABELED: labelled instances in total (semi-supervised learning). Default -1.
    public var numLabeled = -1
    /// NUM_SHOTS: training images per class; below 1 means all. Default -1 (CoOp's scripts: 16).
    public var numShots = -1
    /// VAL_PERCENT: share of validation data (SSL datasets only). Default 0.1.
    public var valPercent = 0.1
    /// STL10_FOLD: STL-10 fold index; negative means none. Default -1.
    public var stl10Fold = -1
    /// CIFAR_C_TYPE: CIFAR-10/100-C corruption type. Default "".
    public var cifarCType = ""
    /// CIFAR_C_LEVEL: CIFAR-10/100-C corruption level. Default 1.
    public var cifarCLevel = 1
    /// ALL_AS_UNLABELED: use all data as unlabelled too (e.g. FixMatch). Default False.
    public var allAsUnlabeled = false
    /// SUBSAMPLE_CLASSES (CoOp): "all", "base" (first half of the labels) or "new". Default "all".
    public var subsampleClasses: SubsampleClasses = .all
    /// SPLIT_FILE (cocoop-swift): a CoOp split JSON to use instead of the dataset's own
    /// (`split_zhou_<Name>.json` under ROOT); relative paths are relative to ROOT. Default "".
    public var splitFile = ""
    /// PACKED_FILE (cocoop-swift): read the images (and splits) from a dataset pack written
    /// by `cocoop pack` instead of the image folder; relative to ROOT. Default "".
    public var packedFile = ""
    /// ON_BAD_IMAGE (cocoop-swift): "stop" on a missing or corrupt image (naming it) or
    /// "skip" it with a log line. Default "stop".
    public var onBadImage: BadImagePolicy = .stop
    /// PROMPT_TEMPLATE (cocoop-swift): the zero-shot prompt (ZeroshotCLIP; ZeroshotCLIP2 adds it
    /// to its ensemble), `{}` standing for the class name; "": CoOp's template for NAME
    /// (zsclip.py's CUSTOM_TEMPLATES), "a photo of a {}." for SplitFile. Default "".
    public var promptTemplate = ""

    /// Dassl's and CoOp's defaults.
    public init() {}
}

extension DatasetConfig: ConfigSection {
    static var fields: [ConfigField<DatasetConfig>] {
        [
            .value("ROOT", \.root),
            .value("NAME", \.name),
            .value("SOURCE_DOMAINS", \.sourceDomains),
            .value("TARGET_DOMAINS", \.targetDomains),
            .value("NUM_LABELED", \.numLabeled),
            .value("NUM_SHOTS", \.numShots),
            .value("VAL_PERCENT", \.valPercent),
            .value("STL10_FOLD", \.stl10Fold),
            .value("CIFAR_C_TYPE", \.cifarCType),
            .value("CIFAR_C_LEVEL", \.cifarCLevel),
            .value("ALL_AS_UNLABELED", \.allAsUnlabeled),
            .value("SUBSAMPLE_CLASSES", \.subsampleClasses),
            .value("SPLIT_FILE", \.splitFile),
            .value("PACKED_FILE", \.packedFile),
            .value("ON_BAD_IMAGE", \.onBadImage),
            .value("PROMPT_TEMPLATE", \.promptTemplate),
        ]
    }
}
