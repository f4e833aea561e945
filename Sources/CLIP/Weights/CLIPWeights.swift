import Foundation
import Support
import Tensor
import TorchFormats

/// The weights of one of CLIP's image towers.
public enum ImageTowerWeights {
    /// A vision transformer's.
    case transformer(VisionTowerWeights)
    /// A ModifiedResNet's (BatchNorms folded into the convolutions).
    case resNet(ResNetTowerWeights)
}

/// The frozen weights of a CLIP model, in OpenAI's layout, ready for the encoders.
///
/// Loaded from a safetensors file or a PyTorch file (`torch.save` state dict, `.bin`/`.pth`,
/// or the TorchScript `.pt` that `clip.load` downloads) in OpenAI or Hugging Face naming
/// (detected from the keys), in F32, F16, BF16 or F64. The file is memory-mapped shared, so all ranks on
/// one node share its pages; F32 tensors that need no rearranging point straight into the
/// mapping (read-only: never write into them), the rest are converted to owned float32.
/// A ResNet tower is the exception: its BatchNorms are folded into owned copies at load.
/// Loaded at bfloat16 (``load(from:precision:cache:)``), the transformers' matrices are kept
/// in bfloat16 only, in a node-shared cache file (``BFloat16WeightCache``); everything else
/// stays float32.
public final class CLIPWeights {
    /// The model's hyper-parameters (from config.json or inferred from the shapes).
    public let architecture: CLIPArchitecture
    /// The text tower.
    public let text: TextTowerWeights
    /// The image tower.
    public let image: ImageTowerWeights
    /// Logits are multiplied by `exp(logitScale)`.
    public let logitScale: Float
    /// The weights file the weights came from.
    public let source: URL
    /// The config.json the architecture came from, if any.
    public let configSource: URL?
    /// The naming convention detected in the file.
    public let naming: CLIPCheckpointNaming
    /// Notes about tensors in the file that the model does not use.
    public let warnings: [String]
    /// How the transformers' matrices are stored: float32, or bfloat16 only.
    public let precision: MatmulPrecision
    /// Where the bfloat16 matrices live (``BFloat16Storage/none`` at float32).
    public let bfloat16Storage: BFloat16Storage

    private let file: any NamedTensorSource
    let reader: CLIPCheckpointReader
    /// Every float32 tensor (at bfloat16, all but the matrices).
    let parameters: [CLIPParameter: Tensor]
    private let hashLock = NSLock()
    private var cachedSHA256: String?

    init(architecture: CLIPArchitecture, parameters: [CLIPParameter: Tensor], resNet: ResNetTowerWeights?,
         logitScale: Float, file: any NamedTensorSource, reader: CLIPCheckpointReader, configSource: URL?,
         warnings: [String], bfloat16: [CLIPParameter: BFloat16Matrix] = [:], storage: BFloat16Storage = .none) {
        self.architecture = architecture
        self.parameters = parameters
        self.logitScale = logitScale
        self.file = file
        self.reader = reader
        self.source = URL(fileURLWithPath: file.path)
        self.configSource = configSource
        self.naming = reader.naming
        self.warnings = warnings
        self.precision = bfloat16.isEmpty ? .float32 : .bfloat16
        self.bfloat16Storage = storage
        func matrix(_ p: CLIPParameter, _ shape: [Int]? = nil) -> FrozenMatrix {
            if let b16 = bfloat16[p] { return FrozenMatrix(bfloat16: b16, shape: shape ?? p.shape(architecture)) }
            let t = parameters[p]!
            return FrozenMatrix(shape.map { t.reshaped($0) } ?? t)
        }
        func block(_ tower: CLIPTower, _ index: Int) -> ResidualBlockWeights {
            func t(_ p: CLIPBlockParameter) -> Tensor { parameters[.block(tower, index, p)]! }
            func m(_ p: CLIPBlockParameter) -> FrozenMatrix { matrix(.block(tower, index, p)) }
            return ResidualBlockWeights(
                ln1: LayerNormWeights(weight: t(.ln1Weight), bias: t(.ln1Bias)),
                attnIn: LinearWeights(matrix: m(.attnInWeight), bias: t(.attnInBias)),
                attnOut: LinearWeights(matrix: m(.attnOutWeight), bias: t(.attnOutBias)),
                ln2: LayerNormWeights(weight: t(.ln2Weight), bias: t(.ln2Bias)),
                fc: LinearWeights(matrix: m(.fcWeight), bias: t(.fcBias)),
                proj: LinearWeights(matrix: m(.projWeight), bias: t(.projBias)))
        }
        func g(_ p: CLIPGlobalParameter) -> Tensor { parameters[.global(p)]! }
        text = TextTowerWeights(
            tokenEmbedding: g(.tokenEmbedding), positionalEmbedding: g(.textPositionalEmbedding),
            blocks: (0..<architecture.textLayers).map { block(.text, $0) },
            lnFinal: LayerNormWeights(weight: g(.lnFinalWeight), bias: g(.lnFinalBias)),
            projection: matrix(.global(.textProjection)))
        if let resNet {
            image = .resNet(resNet)
            return
        }
        image = .transformer(VisionTowerWeights(
            patch: matrix(.global(.patchEmbedding), [architecture.visionWidth, architecture.patchInputs]),
            classEmbedding: g(.classEmbedding), positionalEmbedding: g(.visionPositionalEmbedding),
            lnPre: LayerNormWeights(weight: g(.lnPreWeight), bias: g(.lnPreBias)),
            blocks: (0..<architecture.visionLayers).map { block(.vision, $0) },
            lnPost: LayerNormWeights(weight: g(.lnPostWeight), bias: g(.lnPostBias)),
            projection: matrix(.global(.visionProjection))))
    }

    /// The ViT tower's weights (nil for a ResNet model).
    public var vision: VisionTowerWeights? {
        if case let .transformer(weights) = image { return weights }
        return nil
    }

    /// The ModifiedResNet tower's weights (nil for a ViT model).
    public var resNet: ResNetTowerWeights? {
        if case let .resNet(weights) = image { return weights }
        return nil
    }

    // MARK: - Loading

    /// Loads CLIP weights from a weights file (safetensors or PyTorch, told apart by content)
    /// or a folder.
    ///
    /// A folder is read Hugging Face style: `config.json` (if present) fixes the
    /// architecture, the weights are `model.safetensors`, else `pytorch_model.bin`, else the
    /// folder's only `*.safetensors` file. Without a config the architecture is inferred from the
    /// shapes as OpenAI's `build_model` does. Every tensor the architecture needs must be
    /// present with the implied shape; extra tensors are ignored and listed in ``warnings``.
    /// - Throws: ``CLIPWeightsError``, ``SafetensorsError`` or ``MappedFileError``, each
    ///   naming the file and, where one is at fault, the tensor; ``TorchFormatError`` for a
    ///   PyTorch file that cannot be read (a refused pickle global is never executed).
    ///
    /// At `precision` bfloat16 the transformers' matrices (Linear weights, patch embedding,
    /// projections) are kept in bfloat16 only: mapped from `cache`'s node-shared file, written
    /// first by whichever rank comes first, or private copies when there is no cache (a notice
    /// on stderr says why); no float32 copy of them is made beyond one transient tensor at a time.
    public static func load(from url: URL, precision: MatmulPrecision = .float32,
                            cache: BFloat16WeightCache = .environment) throws -> CLIPWeights {
        let (file, reader, architecture, configURL) = try open(url)
        let warnings = try reader.validate(architecture)
        let matrices = precision == .bfloat16 ? Set(CLIPParameter.frozenMatrices(for: architecture)) : []
        var parameters: [CLIPParameter: Tensor] = [:]
        for parameter in CLIPParameter.all(for: architecture) where parameter != .global(.logitScale) {
            if case .resNet = parameter { continue }  // folded below, not kept as stored
            if matrices.contains(parameter) { continue }  // bfloat16 below
            parameters[parameter] = try reader.finiteTensor(parameter, architecture)
        }
        let finite = { (p: CLIPParameter) in try reader.finiteTensor(p, architecture) }
        let resNet = try architecture.isResNet
            ? ResNetTowerWeights(architecture: architecture) { try finite(.resNet($0)) } : nil
        let logitScale = try reader.logitScale()
        guard logitScale.isFinite else {
            throw CLIPWeightsError.nonFinite(file: file.path, name: reader.naming.fileNames(.global(.logitScale))[0],
                                             index: 0, value: logitScale)
        }
        var bfloat16: [CLIPParameter: BFloat16Matrix] = [:], storage = BFloat16Storage.none
        if precision == .bfloat16 {
            (bfloat16, storage) = try loadBFloat16(reader: reader, architecture: architecture, config: configURL,
                                                   cache: cache)
            file.mapping.releaseResidentPages()  // the source's pages read for the conversion
        }
        return CLIPWeights(architecture: architecture, parameters: parameters, resNet: resNet,
                           logitScale: logitScale, file: file, reader: reader, configSource: configURL,
                           warnings: warnings, bfloat16: bfloat16, storage: storage)
    }

    /// The architecture of the weights at `url` (file or folder, as ``load(from:)`` reads
    /// them), from config.json or the tensor shapes alone: no tensor data is read.
    public static func architecture(at url: URL) throws -> CLIPArchitecture {
        try open(url).architecture
    }

    /// The mapped weights file of `url`, its reader, and the checked architecture.
    private static func open(_ url: URL) throws
        -> (file: any NamedTensorSource, reader: CLIPCheckpointReader, architecture: CLIPArchitecture,
            config: URL?) {
        let (weightsURL, configURL) = try resolve(url)
        let file = try NamedTensors.open(weightsURL)
        let reader = try CLIPCheckpointReader(file: file)
        let architecture: CLIPArchitecture
        if let configURL {
            architecture = try HuggingFaceCLIPConfig.load(from: configURL).architecture(file: configURL.path)
        } else {
            architecture = try reader.inferArchitecture()
        }
        try architecture.validate(source: configURL?.path ?? file.path)
        return (file, reader, architecture, configURL)
    }

    /// The weights file and config of a path: a file stands for itself; a folder gives its
    /// config.json (if any) and model.safetensors, else pytorch_model.bin, else its only
    /// *.safetensors file.
    static func resolve(_ url: URL) throws -> (weights: URL, config: URL?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return (url, nil)  // a missing path is reported by the mapping, naming it
        }
        let config = url.appendingPathComponent("config.json")
        let configURL = FileManager.default.fileExists(atPath: config.path) ? config : nil
        let model = url.appendingPathComponent("model.safetensors")
        if FileManager.default.fileExists(atPath: model.path) { return (model, configURL) }
        let bin = url.appendingPathComponent("pytorch_model.bin")
        if FileManager.default.fileExists(atPath: bin.path) { return (bin, configURL) }
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        guard let only = candidates.first else { throw CLIPWeightsError.noWeightsFile(folder: url.path) }
        guard candidates.count == 1 else {
            throw CLIPWeightsError.ambiguousWeightsFiles(folder: url.path, candidates: candidates)
        }
        return (url.appendingPathComponent(only), configURL)
    }

    // MARK: - Access

    /// A tensor by its role, in OpenAI's layout and shape (`visual.conv1.weight` as
    /// `[W, 3, p, p]`); `nil` for `logit_scale` (see ``logitScale``), a block that does
    /// not exist, or a ResNet tower's tensor (folded at load: see ``resNet``).
    public func tensor(for parameter: CLIPParameter) -> Tensor? {
        parameters[parameter]
    }

    /// Whether the tensor for `parameter` points into the memory-mapped file (no copy).
    public func isBorrowedFromFile(_ parameter: CLIPParameter) -> Bool {
        guard let tensor = parameters[parameter], let base = file.mapping.bytes.baseAddress else { return false }
        let address = UnsafeRawPointer(tensor.data)
        return address >= base && address < base + file.mapping.count
    }

    /// SHA-256 (hex) of the whole weights file, computed once on first use.
    ///
    /// Identifies the exact weights a checkpoint was trained against.
    public func contentSHA256() throws -> String {
        hashLock.lock()
        defer { hashLock.unlock() }
        if let cachedSHA256 { return cachedSHA256 }
        let digest = SHA256.hexDigest(of: file.mapping.bytes)
        cachedSHA256 = digest
        return digest
    }
}
