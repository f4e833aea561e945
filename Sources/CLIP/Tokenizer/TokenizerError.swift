// MARK: - Errors

/// Why a CLIP tokenizer could not be built or could not tokenise a text.
///
/// Every message names the culprit: the file path, the line, or the text.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The vocabulary / merges file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// The BPE file is not valid gzip data.
    case corruptGzip(path: String, reason: String)
    /// A merges file is malformed (`line` is 1-based; 0 when the whole file is at fault).
    case invalidMerges(path: String, line: Int, reason: String)
    /// A `vocab.json` is malformed or lacks a token the merges or the byte alphabet need.
    case invalidVocabulary(path: String, reason: String)
    /// The BPE file that should ship inside the CLIP module's resource bundle is missing.
    case missingBundledResource(name: String)
    /// `tokenize(truncate: false)` got a text whose ids (with SOT and EOT) exceed the context.
    case textTooLong(text: String, tokenCount: Int, contextLength: Int)
    /// A context length below 1 was requested.
    case invalidContextLength(Int)

    /// A one-line message naming the file, line or text at fault.
    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "tokenizer file not found: \(path)"
        case .unreadableFile(let path, let reason):
            return "cannot read tokenizer file \(path): \(reason)"
        case .corruptGzip(let path, let reason):
            return "BPE file \(path) is not valid gzip data: \(reason)"
        case .invalidMerges(let path, let line, let reason):
            return line > 0 ? "invalid BPE merges file \(path), line \(line): \(reason)"
                            : "invalid BPE merges file \(path): \(reason)"
        case .invalidVocabulary(let path, let reason):
            return "invalid vocabulary file \(path): \(reason)"
        case .missingBundledResource(let name):
            return "the CLIP module's resource bundle has no \(name)"
        case .textTooLong(let text, let count, let contextLength):
            return "input text is too long for context length \(contextLength) "
                + "(\(count) tokens with SOT and EOT): \"\(Self.excerpt(text))\""
        case .invalidContextLength(let n):
            return "context length must be between 1 and \(CLIPTokenizer.maximumContextLength), got \(n)"
        }
    }

    /// The text itself, shortened to 120 characters for the message.
    private static func excerpt(_ text: String) -> String {
        text.count <= 120 ? text : String(text.prefix(117)) + "..."
    }
}
