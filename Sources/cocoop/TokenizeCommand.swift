import CLIP
import Foundation

/// `cocoop tokenize`: CLIP token ids of texts, exactly as OpenAI's clip.tokenize.
enum TokenizeCommand: Command {
    static let name = "tokenize"
    static let summary = "CLIP BPE token ids of texts (as OpenAI's clip.tokenize)"
    static let usage = """
    usage: cocoop tokenize [--json] [--context] [--context-length N] [--bpe FILE | --vocab F --merges F] TEXT...

    Prints the token ids of each TEXT without SOT/EOT (one line per text), or with --json
    one object per line: {"text": ..., "ids": [...]} and, with --context, "context": the
    padded ids (SOT ... EOT 0 0 ..., length N = 77; a longer text is truncated as
    clip.tokenize(truncate=True) does). The vocabulary is the bundled
    bpe_simple_vocab_16e6.txt.gz unless --bpe or --vocab/--merges name other files.
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["context-length", "bpe", "vocab", "merges"],
                              boolean: ["json", "context"])
        guard !a.positional.isEmpty else { throw UsageError("no TEXT given") }
        let tokenizer = try loadTokenizer(a)
        let n = try a.int("context-length", default: 77)
        for text in a.positional {
            let ids = tokenizer.encode(text)
            if a.has("json") {
                var pairs = [("text", JSON.string(text)), ("ids", JSON.array(ids))]
                if a.has("context") {
                    let t = try tokenizer.tokenized(text, contextLength: n)
                    if t.truncated { printError("warning: '\(text)' is longer than \(n) tokens: truncated") }
                    pairs.append(("context", JSON.array(t.ids)))
                }
                print(JSON.object(pairs))
            } else {
                print(ids.map(String.init).joined(separator: " "))
            }
        }
        return 0
    }

    /// The tokenizer named by --bpe or --vocab/--merges, else the bundled one.
    static func loadTokenizer(_ a: Arguments) throws -> CLIPTokenizer {
        if let bpe = a.value("bpe") { return try CLIPTokenizer(bpeGzip: URL(fileURLWithPath: bpe)) }
        if let v = a.value("vocab") {
            guard let m = a.value("merges") else { throw UsageError("--vocab needs --merges") }
            return try CLIPTokenizer(vocabJSON: URL(fileURLWithPath: v), merges: URL(fileURLWithPath: m))
        }
        return try CLIPTokenizer.bundled()
    }
}
