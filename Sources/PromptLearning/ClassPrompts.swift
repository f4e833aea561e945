import CLIP
import Tensor

/// The class prompts of a prompt learner, tokenised as the reference does and cut into
/// the part shared by every class (SOT + context) and each class's own suffix
/// (class-name tokens, '.', EOT).
///
/// CoOp/CoCoOp write `"<init text> <class name>."` with `_` in class names replaced by a
/// space, tokenise it with `clip.tokenize` and keep position 0 (SOT) and positions
/// `1 + nCtx ...` as fixed embeddings. With CTX_INIT, nCtx is the number of space-separated
/// words of the init text (if a word splits into several BPE tokens, the extra ones fall
/// into the suffix, as in the reference); without, the init text is "X" repeated nCtx times.
public struct ClassPrompts {
    /// Class names as used in the prompts ('_' replaced by ' ').
    public let classnames: [String]
    /// Number of learnable context vectors M.
    public let nCtx: Int
    /// The text the context stands for: CTX_INIT, or "X X ... X".
    public let promptPrefix: String
    /// Whether CTX_INIT was given (the context is initialised from its embeddings).
    public let initialisedFromText: Bool
    /// `clip.tokenize` of each class prompt (context length ids, zero padded).
    public let tokenized: [[Int32]]
    /// EOT position of each class prompt.
    public let eotIndices: [Int]
    /// Token ids of positions 1 + M ... EOT of each class (the suffix, EOT included).
    public let suffixIDs: [[Int32]]

    /// Tokenises the prompts for `classnames`.
    /// - Parameters: nCtx is used only when `ctxInit` is empty.
    public init(classnames: [String], nCtx: Int, ctxInit: String, tokenizer: CLIPTokenizer,
                contextLength: Int = 77) throws {
        let initText = ctxInit.replacingOccurrences(of: "_", with: " ")
        if initText.isEmpty {
            precondition(nCtx > 0, "N_CTX must be positive")
            self.nCtx = nCtx
            promptPrefix = Array(repeating: "X", count: nCtx).joined(separator: " ")
        } else {
            self.nCtx = initText.split(separator: " ", omittingEmptySubsequences: false).count
            promptPrefix = initText
        }
        initialisedFromText = !initText.isEmpty
        self.classnames = classnames.map { $0.replacingOccurrences(of: "_", with: " ") }
        var tok: [[Int32]] = []
        for name in self.classnames {
            tok.append(try tokenizer.tokenize("\(promptPrefix) \(name).", contextLength: contextLength))
        }
        tokenized = tok
        eotIndices = tok.map(TextEncoder.eotIndex)
        let m = self.nCtx
        suffixIDs = zip(tok, eotIndices).map { ids, eot in
            eot >= 1 + m ? Array(ids[(1 + m)...eot]) : []
        }
        if let bad = suffixIDs.firstIndex(where: { $0.isEmpty }) {
            throw PromptError.promptTooLong(classname: self.classnames[bad], nCtx: m)
        }
    }

    /// The initial context [M, D]: the token embeddings at positions 1...M of
    /// `clip.tokenize(CTX_INIT)` (only when initialised from text).
    public func initialContext(tokenizer: CLIPTokenizer, text: TextEncoder) throws -> Tensor {
        let ids = try tokenizer.tokenize(promptPrefix, contextLength: text.contextLength)
        let e = text.embed(Array(ids[1...nCtx]))
        return e
    }
}

/// Errors of the prompt learners.
public enum PromptError: Error, CustomStringConvertible, Equatable {
    case promptTooLong(classname: String, nCtx: Int)
    case badInitWeights(path: String, reason: String)

    public var description: String {
        switch self {
        case .promptTooLong(let name, let m):
            return "the prompt for class '\(name)' leaves no room after \(m) context tokens in the context length"
        case .badInitWeights(let path, let reason):
            return "MODEL.INIT_WEIGHTS \(path): \(reason)"
        }
    }
}
