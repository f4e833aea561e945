/// Why CLIP weights could not be loaded, inferred or written; every case names the file
/// and, where one is involved, the tensor or configuration key.
public enum CLIPWeightsError: Error, CustomStringConvertible, Equatable {
    /// The folder holds no `*.safetensors` file (nor `pytorch_model.bin`).
    case noWeightsFile(folder: String)
    /// No weights were given and none of the places `clip.load` and Hugging Face use holds the named model.
    case notFoundByName(name: String, looked: [String])
    /// The folder holds several `*.safetensors` files and none is `model.safetensors`.
    case ambiguousWeightsFiles(folder: String, candidates: [String])
    /// The tensor names are neither OpenAI's nor Hugging Face's CLIP names.
    case unrecognizedNaming(file: String, sample: [String])
    /// A tensor the architecture needs is absent (`name` as spelled in the file).
    case missingTensor(file: String, name: String)
    /// A tensor has a shape other than the architecture implies (shapes in the file's layout).
    case shapeMismatch(file: String, name: String, found: [Int], expected: [Int])
    /// A weight tensor is stored in a dtype that is not a float format.
    case unsupportedDType(file: String, name: String, dtype: String)
    /// `config.json` could not be decoded or holds an impossible value.
    case invalidConfig(file: String, reason: String)
    /// `hidden_act` is not `quick_gelu` (the activation OpenAI's CLIP uses).
    case unsupportedActivation(file: String, tower: String, activation: String)
    /// The architecture cannot be built (e.g. width not divisible by the head count).
    case unsupportedArchitecture(source: String, reason: String)
    /// Writing a file failed.
    case writeFailed(path: String, reason: String)
    /// A tensor holds NaN or Inf (at a flat index).
    case nonFinite(file: String, name: String, index: Int, value: Float)
    /// The token embedding table has fewer rows than the tokeniser has ids.
    case vocabularyTooSmall(file: String, rows: Int, ids: Int)

    public var description: String {
        switch self {
        case let .noWeightsFile(folder):
            return "\(folder): no model.safetensors, pytorch_model.bin or other *.safetensors weights file "
                + "in this folder"
        case let .notFoundByName(name, looked):
            return "no CLIP weights for MODEL.BACKBONE.NAME '\(name)': looked in " + looked.joined(separator: ", ")
                + "; give --weights PATH (or MODEL.BACKBONE.WEIGHTS), or put the file in one of these places"
        case let .ambiguousWeightsFiles(folder, candidates):
            return "\(folder): several weights files (\(candidates.joined(separator: ", "))) and no model.safetensors; "
                + "pass the file itself"
        case let .unrecognizedNaming(file, sample):
            return "\(file): neither OpenAI nor Hugging Face CLIP tensor names (no 'visual.conv1.weight' or "
                + "'vision_model.embeddings.patch_embedding.weight'); first names: \(sample.joined(separator: ", "))"
        case let .missingTensor(file, name):
            return "\(file): missing tensor '\(name)'"
        case let .shapeMismatch(file, name, found, expected):
            return "\(file): tensor '\(name)' has shape \(found), expected \(expected)"
        case let .unsupportedDType(file, name, dtype):
            return "\(file): tensor '\(name)' has dtype \(dtype); weights must be F32, F16, BF16 or F64"
        case let .invalidConfig(file, reason):
            return "\(file): invalid CLIP config: \(reason)"
        case let .unsupportedActivation(file, tower, activation):
            return "\(file): \(tower).hidden_act is '\(activation)'; only 'quick_gelu' (OpenAI CLIP) is supported"
        case let .unsupportedArchitecture(source, reason):
            return "\(source): unsupported CLIP architecture: \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): cannot write: \(reason)"
        case let .nonFinite(file, name, index, value):
            return "\(file): tensor '\(name)' holds \(value) at element \(index); CLIP weights must be finite"
        case let .vocabularyTooSmall(file, rows, ids):
            return "\(file): token_embedding.weight has \(rows) rows (vocab_size), but CLIP's tokeniser makes \(ids) "
                + "ids (0-\(ids - 1)): these weights cannot encode text"
        }
    }
}
