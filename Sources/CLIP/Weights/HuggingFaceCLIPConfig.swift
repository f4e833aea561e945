import Foundation
import Support

/// The parts of a Hugging Face `CLIPModel` `config.json` that fix the architecture.
///
/// Absent fields take transformers' defaults (those of openai/clip-vit-base-patch32).
/// Older configs also carry `text_config_dict` / `vision_config_dict`; as in transformers,
/// their values take precedence over `text_config` / `vision_config`.
public struct HuggingFaceCLIPConfig: Codable, Equatable, Sendable {
    /// One tower's section (`text_config` or `vision_config`).
    public struct Tower: Codable, Equatable, Sendable {
        /// `hidden_size` (nil when absent).
        public var hiddenSize: Int?
        /// `intermediate_size` (nil when absent).
        public var intermediateSize: Int?
        /// `num_hidden_layers` (nil when absent).
        public var numHiddenLayers: Int?
        /// `num_attention_heads` (nil when absent).
        public var numAttentionHeads: Int?
        /// `hidden_act` (nil when absent).
        public var hiddenAct: String?
        /// `layer_norm_eps` (nil when absent).
        public var layerNormEps: Double?
        /// `projection_dim` (nil when absent).
        public var projectionDim: Int?
        // Text only
        /// `max_position_embeddings` (nil when absent).
        public var maxPositionEmbeddings: Int?
        /// `vocab_size` (nil when absent).
        public var vocabSize: Int?
        /// `bos_token_id` (nil when absent).
        public var bosTokenId: Int?
        /// `eos_token_id` (nil when absent).
        public var eosTokenId: Int?
        /// `pad_token_id` (nil when absent).
        public var padTokenId: Int?
        // Vision only
        /// `image_size` (nil when absent).
        public var imageSize: Int?
        /// `patch_size` (nil when absent).
        public var patchSize: Int?
        /// `num_channels` (nil when absent).
        public var numChannels: Int?
        // Written for completeness by ``RandomWeights``; not read.
        /// `attention_dropout` (nil when absent).
        public var attentionDropout: Double?
        /// `initializer_factor` (nil when absent).
        public var initializerFactor: Double?
        /// `initializer_range` (nil when absent).
        public var initializerRange: Double?
        /// `model_type` (nil when absent).
        public var modelType: String?

        enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size"
            case intermediateSize = "intermediate_size"
            case numHiddenLayers = "num_hidden_layers"
            case numAttentionHeads = "num_attention_heads"
            case hiddenAct = "hidden_act"
            case layerNormEps = "layer_norm_eps"
            case projectionDim = "projection_dim"
            case maxPositionEmbeddings = "max_position_embeddings"
            case vocabSize = "vocab_size"
            case bosTokenId = "bos_token_id"
            case eosTokenId = "eos_token_id"
            case padTokenId = "pad_token_id"
            case imageSize = "image_size"
            case patchSize = "patch_size"
            case numChannels = "num_channels"
            case attentionDropout = "attention_dropout"
            case initializerFactor = "initializer_factor"
            case initializerRange = "initializer_range"
            case modelType = "model_type"
        }

        /// A section with nothing set.
        public init() {}

        /// `self` with every field that `override` sets taken from it.
        func overridden(by override: Tower?) -> Tower {
            guard let override else { return self }
            var merged = self
            merged.hiddenSize = override.hiddenSize ?? hiddenSize
            merged.intermediateSize = override.intermediateSize ?? intermediateSize
            merged.numHiddenLayers = override.numHiddenLayers ?? numHiddenLayers
            merged.numAttentionHeads = override.numAttentionHeads ?? numAttentionHeads
            merged.hiddenAct = override.hiddenAct ?? hiddenAct
            merged.layerNormEps = override.layerNormEps ?? layerNormEps
            merged.projectionDim = override.projectionDim ?? projectionDim
            merged.maxPositionEmbeddings = override.maxPositionEmbeddings ?? maxPositionEmbeddings
            merged.vocabSize = override.vocabSize ?? vocabSize
            merged.imageSize = override.imageSize ?? imageSize
            merged.patchSize = override.patchSize ?? patchSize
            merged.numChannels = override.numChannels ?? numChannels
            return merged
        }
    }

    /// `architectures` (nil when absent).
    public var architectures: [String]?
    /// `model_type` (nil when absent).
    public var modelType: String?
    /// `projection_dim` (nil when absent).
    public var projectionDim: Int?
    /// `logit_scale_init_value` (nil when absent).
    public var logitScaleInitValue: Double?
    /// `initializer_factor` (nil when absent).
    public var initializerFactor: Double?
    /// `torch_dtype` (nil when absent).
    public var torchDtype: String?
    /// `text_config` (nil when absent).
    public var textConfig: Tower?
    /// `vision_config` (nil when absent).
    public var visionConfig: Tower?
    /// `text_config_dict` (nil when absent).
    public var textConfigDict: Tower?
    /// `vision_config_dict` (nil when absent).
    public var visionConfigDict: Tower?

    enum CodingKeys: String, CodingKey {
        case architectures
        case modelType = "model_type"
        case projectionDim = "projection_dim"
        case logitScaleInitValue = "logit_scale_init_value"
        case initializerFactor = "initializer_factor"
        case torchDtype = "torch_dtype"
        case textConfig = "text_config"
        case visionConfig = "vision_config"
        case textConfigDict = "text_config_dict"
        case visionConfigDict = "vision_config_dict"
    }

    /// A config with nothing set.
    public init() {}

    // MARK: - Reading

    /// Decodes `config.json` at `url`.
    /// - Throws: ``CLIPWeightsError/invalidConfig(file:reason:)`` naming the file.
    public static func load(from url: URL) throws -> HuggingFaceCLIPConfig {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CLIPWeightsError.invalidConfig(file: url.path, reason: "cannot read: \(FileFailure.reason(error))")
        }
        do {
            return try JSONDecoder().decode(HuggingFaceCLIPConfig.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw CLIPWeightsError.invalidConfig(file: url.path, reason: "'\(key)' is not of type \(type)")
        } catch {
            throw CLIPWeightsError.invalidConfig(file: url.path, reason: "not valid JSON (\(error))")
        }
    }

    /// The architecture this config describes.
    /// - Parameter file: the path named in errors.
    /// - Throws: ``CLIPWeightsError/unsupportedActivation(file:tower:activation:)`` unless both
    ///   towers use quick_gelu; ``CLIPWeightsError/invalidConfig(file:reason:)`` for an MLP
    ///   width other than 4 x width, a LayerNorm eps other than 1e-5 or channels other than 3.
    public func architecture(file: String) throws -> CLIPArchitecture {
        let text = (textConfig ?? Tower()).overridden(by: textConfigDict)
        let vision = (visionConfig ?? Tower()).overridden(by: visionConfigDict)
        for (name, tower) in [("text_config", text), ("vision_config", vision)] {
            let activation = tower.hiddenAct ?? "quick_gelu"
            guard activation == "quick_gelu" else {
                throw CLIPWeightsError.unsupportedActivation(file: file, tower: name, activation: activation)
            }
            if let eps = tower.layerNormEps, eps != 1e-5 {
                throw CLIPWeightsError.invalidConfig(file: file,
                                                     reason: "\(name).layer_norm_eps is \(eps); CLIP uses 1e-5")
            }
        }
        if let channels = vision.numChannels, channels != 3 {
            throw CLIPWeightsError.invalidConfig(
                file: file, reason: "vision_config.num_channels is \(channels); CLIP takes RGB (3)")
        }
        let architecture = CLIPArchitecture(
            embedDim: projectionDim ?? text.projectionDim ?? 512,
            imageResolution: vision.imageSize ?? 224,
            visionLayers: vision.numHiddenLayers ?? 12,
            visionWidth: vision.hiddenSize ?? 768,
            visionHeads: vision.numAttentionHeads ?? 12,
            visionPatchSize: vision.patchSize ?? 32,
            contextLength: text.maxPositionEmbeddings ?? 77,
            vocabSize: text.vocabSize ?? 49408,
            textWidth: text.hiddenSize ?? 512,
            textHeads: text.numAttentionHeads ?? 8,
            textLayers: text.numHiddenLayers ?? 12)
        let mlp = [("text_config", text.intermediateSize ?? 2048, architecture.textWidth),
                   ("vision_config", vision.intermediateSize ?? 3072, architecture.visionWidth)]
        for (name, intermediate, width) in mlp where intermediate != CLIPArchitecture.mlpRatio * width {
            throw CLIPWeightsError.invalidConfig(
                file: file,
                reason: "\(name).intermediate_size is \(intermediate); CLIP's MLP is 4 x hidden_size = \(4 * width)")
        }
        return architecture
    }

    // MARK: - Writing

    /// The config transformers writes for a `CLIPModel` with `architecture` and quick_gelu.
    public init(architecture a: CLIPArchitecture, torchDtype: String = "float32") {
        architectures = ["CLIPModel"]
        modelType = "clip"
        projectionDim = a.embedDim
        logitScaleInitValue = 2.6592
        initializerFactor = 1.0
        self.torchDtype = torchDtype
        var text = Tower()
        text.hiddenSize = a.textWidth
        text.intermediateSize = a.textMLPWidth
        text.numHiddenLayers = a.textLayers
        text.numAttentionHeads = a.textHeads
        text.maxPositionEmbeddings = a.contextLength
        text.vocabSize = a.vocabSize
        text.bosTokenId = 49406
        text.eosTokenId = 49407
        text.padTokenId = 1
        text.modelType = "clip_text_model"
        var vision = Tower()
        vision.hiddenSize = a.visionWidth
        vision.intermediateSize = a.visionMLPWidth
        vision.numHiddenLayers = a.visionLayers
        vision.numAttentionHeads = a.visionHeads
        vision.imageSize = a.imageResolution
        vision.patchSize = a.visionPatchSize
        vision.numChannels = 3
        vision.modelType = "clip_vision_model"
        for index in 0..<2 {
            var tower = index == 0 ? text : vision
            tower.hiddenAct = "quick_gelu"
            tower.layerNormEps = 1e-5
            tower.projectionDim = a.embedDim
            tower.attentionDropout = 0
            tower.initializerFactor = 1
            tower.initializerRange = 0.02
            if index == 0 { text = tower } else { vision = tower }
        }
        textConfig = text
        visionConfig = vision
    }

    /// The JSON text (sorted keys, two-space indent, `"key": value`, as transformers writes it).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(self), as: UTF8.self)
        // Foundation writes `"key" : value`; Python's json module writes `"key": value`.
        // No value in this config contains the sequence, so the replacement is exact.
        return Data((text.replacingOccurrences(of: "\" : ", with: "\": ") + "\n").utf8)
    }
}
