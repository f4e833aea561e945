/// The hand-written prompts of CoOp's zero-shot baselines (its trainers/zsclip.py and
/// imagenet_templates.py): one template per dataset for ZeroshotCLIP, and ZeroshotCLIP2's
/// ensemble. A template holds `{}` where the class name goes.
public enum ZeroShotTemplates {
    /// zsclip.py's CUSTOM_TEMPLATES, keyed by DATASET.NAME.
    public static let custom: [String: String] = [
        "OxfordPets": "a photo of a {}, a type of pet.",
        "OxfordFlowers": "a photo of a {}, a type of flower.",
        "FGVCAircraft": "a photo of a {}, a type of aircraft.",
        "DescribableTextures": "{} texture.",
        "EuroSAT": "a centered satellite photo of {}.",
        "StanfordCars": "a photo of a {}.",
        "Food101": "a photo of {}, a type of food.",
        "SUN397": "a photo of a {}.",
        "Caltech101": "a photo of a {}.",
        "UCF101": "a photo of a person doing {}.",
        "ImageNet": "a photo of a {}.",
        "ImageNetSketch": "a photo of a {}.",
        "ImageNetV2": "a photo of a {}.",
        "ImageNetA": "a photo of a {}.",
        "ImageNetR": "a photo of a {}.",
    ]

    /// imagenet_templates.py's IMAGENET_TEMPLATES_SELECT, in its order: ZeroshotCLIP2's ensemble.
    public static let imagenetSelect = [
        "itap of a {}.",
        "a bad photo of the {}.",
        "a origami {}.",
        "a photo of the large {}.",
        "a {} in a video game.",
        "art of the {}.",
        "a photo of the small {}.",
    ]

    /// The template for datasets CoOp does not list (our SplitFile): CLIP's plain prompt.
    public static let fallback = "a photo of a {}."

    /// ZeroshotCLIP's template for `dataset`: `override` when not empty (DATASET.PROMPT_TEMPLATE),
    /// else CoOp's CUSTOM_TEMPLATES entry, else `fallback`.
    public static func single(dataset: String, override: String = "") -> String {
        override.isEmpty ? custom[dataset] ?? fallback : override
    }

    /// ZeroshotCLIP2's templates for `dataset`: IMAGENET_TEMPLATES_SELECT, then (as zsclip.py
    /// adds it for every dataset but ImageNet) the dataset's own template; an `override`
    /// (DATASET.PROMPT_TEMPLATE) is added for ImageNet too.
    public static func ensemble(dataset: String, override: String = "") -> [String] {
        guard dataset != "ImageNet" || !override.isEmpty else { return imagenetSelect }
        return imagenetSelect + [single(dataset: dataset, override: override)]
    }
}
