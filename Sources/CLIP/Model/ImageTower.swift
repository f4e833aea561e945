import Tensor

/// CLIP's frozen image tower, a ViT or a ModifiedResNet: what every command needs of it is
/// its input resolution and its features.
public enum ImageTower {
    case transformer(VisionEncoder)
    case resNet(ResNetEncoder)

    /// The encoder for `weights` of `architecture`.
    init(weights: ImageTowerWeights, architecture a: CLIPArchitecture) {
        switch weights {
        case let .transformer(w):
            self = .transformer(VisionEncoder(weights: w, heads: a.visionHeads, patchSize: a.visionPatchSize,
                                              resolution: a.imageResolution))
        case let .resNet(w):
            self = .resNet(ResNetEncoder(weights: w, resolution: a.imageResolution))
        }
    }

    /// Input image side in pixels.
    public var resolution: Int {
        switch self {
        case let .transformer(e): return e.resolution
        case let .resNet(e): return e.resolution
        }
    }

    /// Width of the image features (E).
    public var embedDim: Int {
        switch self {
        case let .transformer(e): return e.embedDim
        case let .resNet(e): return e.embedDim
        }
    }

    /// Features [B, E] (projected, not normalised) of preprocessed images [B, 3, R, R],
    /// computed up to `chunk` images at a time.
    public func encode(pixels: Tensor, chunk: Int = 16) -> Tensor {
        switch self {
        case let .transformer(e): return e.encode(pixels: pixels, chunk: chunk)
        case let .resNet(e): return e.encode(pixels: pixels, chunk: chunk)
        }
    }

    /// The ViT encoder (nil for a ResNet).
    public var transformer: VisionEncoder? {
        if case let .transformer(e) = self { return e }
        return nil
    }

    /// The ModifiedResNet encoder (nil for a ViT).
    public var resNet: ResNetEncoder? {
        if case let .resNet(e) = self { return e }
        return nil
    }
}
