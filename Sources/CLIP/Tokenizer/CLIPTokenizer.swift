import Foundation
import Gunzip
import Support

// MARK: - Tokenized text

/// One text as CLIP's text tower consumes it.
public struct TokenizedText: Sendable, Equatable {
    /// `[SOT] + ids + [EOT]`, zero-padded to the context length (truncated with EOT last).
    public let ids: [Int32]
    /// Position of the EOT token the text tower reads: the argmax of `ids` (the first
    /// occurrence of the largest id, which for CLIP's vocabulary is the first EOT).
    public let eotIndex: Int
    /// Whether the text was cut to fit the context (`clip.tokenize(truncate=True)`).
    public let truncated: Bool
}

// MARK: - Tokenizer

/// OpenAI CLIP's tokenizer: `SimpleTokenizer` and `clip.tokenize`, id for id.
///
/// `encode` cleans the text (`ftfy.fix_text`, `html.unescape` twice, whitespace collapsing,
/// Python's `lower()`), splits it with CLIP's word pattern, and byte-level-BPE-encodes each
/// piece. The whole of ftfy 6.3.1's default `fix_text` is ported, mojibake repair included;
/// the only parts not reproduced are `fix_surrogates` (a Swift `String` cannot hold lone
/// surrogates) and differences between the Swift runtime's and Python's Unicode versions
/// for characters assigned in between (see `FTFY`).
///
/// BPE results are cached per piece; the cache is shared by all threads (guarded by a lock)
/// and holds at most `cacheLimit` pieces. Instances are safe to use from several threads.
///
/// Usage:
///
///     let tokenizer = try CLIPTokenizer.bundled()
///     let ids = try tokenizer.tokenize("a photo of a cat.")   // 77 ids: 49406 ... 49407 0 ...
public final class CLIPTokenizer: @unchecked Sendable {
    /// CLIP's context length.
    public static let defaultContextLength = 77
    /// The longest context a tokenisation pads to (CLIP's models use 77; a typo of a few
    /// digits must be an error, not an allocation of terabytes).
    public static let maximumContextLength = 65_536
    /// The ids CLIP's BPE vocabulary holds (256 bytes twice, 48,894 merges, start and end of
    /// text): a text tower's `token_embedding.weight` needs this many rows.
    public static let openAIVocabularySize = 49_408
    /// Pieces kept in the BPE cache before it is cleared (bounds a long-running daemon's memory).
    public static let cacheLimit = 200_000

    /// Id of `<|startoftext|>` (49406 in OpenAI's vocabulary).
    public let sotToken: Int32
    /// Id of `<|endoftext|>` (49407).
    public let eotToken: Int32
    /// Number of ids (49408).
    public var vocabularySize: Int { vocabulary.tokens.count }

    let vocabulary: BPEVocabulary
    private var cache: [[UInt8]: [Int32]] = [:]
    private let cacheLock = NSLock()

    // MARK: - Creating

    /// Loads OpenAI's gzip-compressed BPE merges file (`bpe_simple_vocab_16e6.txt.gz`).
    /// - Throws: `TokenizerError` naming the path when it is missing, unreadable, not gzip,
    ///   or has too few merges.
    public convenience init(bpeGzip url: URL) throws {
        let compressed = try Self.readFile(url)
        let text: [UInt8]
        do {
            text = try Gzip.decompress(compressed)
        } catch {
            throw TokenizerError.corruptGzip(path: url.path, reason: "\(error)")
        }
        self.init(vocabulary: try BPEVocabulary.openAI(mergesFile: text, path: url.path))
    }

    /// Loads a Hugging Face CLIP tokenizer's `vocab.json` and `merges.txt`; for CLIP's files
    /// the ids are identical to OpenAI's.
    public convenience init(vocabJSON: URL, merges: URL) throws {
        let vocab = try Self.readFile(vocabJSON)
        let mergesText = try Self.readFile(merges)
        self.init(vocabulary: try BPEVocabulary.huggingFace(vocabJSON: vocab, vocabPath: vocabJSON.path,
                                                            merges: mergesText, mergesPath: merges.path))
    }

    init(vocabulary: BPEVocabulary) {
        self.vocabulary = vocabulary
        sotToken = vocabulary.startOfText
        eotToken = vocabulary.endOfText
    }

    /// The tokenizer for the BPE file bundled with the CLIP module, loaded once and shared.
    public static func bundled() throws -> CLIPTokenizer {
        bundledLock.lock()
        defer { bundledLock.unlock() }
        if let shared = bundledInstance { return shared }
        let tokenizer = try CLIPTokenizer(bpeGzip: try bundledBPEURL())
        bundledInstance = tokenizer
        return tokenizer
    }

    /// Location of the bundled `bpe_simple_vocab_16e6.txt.gz` (OpenAI's BPE merges file).
    ///
    /// Found through SwiftPM's `Bundle.module`, which looks beside the executable and then in
    /// the build folder (and traps if the resource folder is in neither: an executable copied
    /// elsewhere needs its `*_CLIP.resources` folder, or use `init(bpeGzip:)` with a path).
    public static func bundledBPEURL() throws -> URL {
        guard let url = Bundle.module.url(forResource: "bpe_simple_vocab_16e6.txt", withExtension: "gz") else {
            throw TokenizerError.missingBundledResource(name: "bpe_simple_vocab_16e6.txt.gz")
        }
        return url
    }

    // MARK: - Encoding

    /// `SimpleTokenizer.encode(text)`: the BPE ids of the cleaned text, without SOT/EOT.
    public func encode(_ text: String) -> [Int32] {
        let cleaned = TextCleaner.clean(text)
        var ids: [Int32] = []
        ids.reserveCapacity(cleaned.count / 2 + 1)
        var bytes: [UInt8] = []
        for range in PreTokenizer.split(cleaned) {
            bytes.removeAll(keepingCapacity: true)
            for s in cleaned[range] { UTF8.encode(s) { bytes.append($0) } }
            // SimpleTokenizer's cache starts with the two special tokens mapped to themselves.
            if bytes == Self.startOfTextBytes {
                ids.append(sotToken)
            } else if bytes == Self.endOfTextBytes {
                ids.append(eotToken)
            } else {
                ids.append(contentsOf: cachedMerge(bytes))
            }
        }
        return ids
    }

    /// `clip.tokenize(text, context_length, truncate)`: `[SOT] + encode(text) + [EOT]`, padded
    /// with 0 to `contextLength`.
    /// - Throws: `TokenizerError.textTooLong` (naming the text) when it does not fit and
    ///   `truncate` is false; `.invalidContextLength` for a context below 1.
    public func tokenize(_ text: String, contextLength: Int = CLIPTokenizer.defaultContextLength,
                         truncate: Bool = true) throws -> [Int32] {
        try tokenized(text, contextLength: contextLength, truncate: truncate).ids
    }

    /// `tokenize` with the EOT position and whether the text was truncated. Too long with
    /// `truncate`: the first `contextLength` ids are kept and the last becomes EOT.
    public func tokenized(_ text: String, contextLength: Int = CLIPTokenizer.defaultContextLength,
                          truncate: Bool = true) throws -> TokenizedText {
        guard (1...Self.maximumContextLength).contains(contextLength) else {
            throw TokenizerError.invalidContextLength(contextLength)
        }
        var ids = [sotToken] + encode(text) + [eotToken]
        var truncated = false
        if ids.count > contextLength {
            guard truncate else {
                throw TokenizerError.textTooLong(text: text, tokenCount: ids.count, contextLength: contextLength)
            }
            ids.removeLast(ids.count - contextLength)
            ids[contextLength - 1] = eotToken
            truncated = true
        }
        ids.append(contentsOf: repeatElement(0, count: contextLength - ids.count))
        var eotIndex = 0
        for (i, id) in ids.enumerated() where id > ids[eotIndex] { eotIndex = i }
        return TokenizedText(ids: ids, eotIndex: eotIndex, truncated: truncated)
    }

    // MARK: - Decoding

    /// `SimpleTokenizer.decode(ids)`: token bytes joined, decoded as UTF-8 with U+FFFD for
    /// invalid sequences, every `</w>` replaced by a space. Ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int32]) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard let token = token(for: id) else { continue }
            for s in token.unicodeScalars {
                if let b = ByteAlphabet.byte(for: s) { bytes.append(b) }
            }
        }
        let decoded = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
        let marker = Array("</w>".unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < decoded.count {
            if i + marker.count <= decoded.count && Array(decoded[i..<(i + marker.count)]) == marker {
                out.append(" ")
                i += marker.count
            } else {
                out.append(decoded[i])
                i += 1
            }
        }
        return String(out)
    }

    /// The vocabulary entry of an id in byte-level symbols (e.g. `"inian</w>"`), or nil.
    public func token(for id: Int32) -> String? {
        vocabulary.tokens.indices.contains(Int(id)) ? vocabulary.tokens[Int(id)] : nil
    }

    // MARK: - Inspection

    /// The text exactly as SimpleTokenizer's pattern sees it (after ftfy, HTML unescaping,
    /// whitespace cleaning and lower-casing).
    public static func cleanText(_ text: String) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: TextCleaner.clean(text))
        return String(view)
    }

    /// The pieces CLIP's word pattern finds in an already cleaned text (`re.findall(pat, text)`).
    public static func preTokenize(_ cleanedText: String) -> [String] {
        let scalars = Array(cleanedText.unicodeScalars)
        return PreTokenizer.split(scalars).map { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
    }

    // MARK: - Private

    private static let startOfTextBytes = Array("<|startoftext|>".utf8)
    private static let endOfTextBytes = Array("<|endoftext|>".utf8)
    nonisolated(unsafe) private static var bundledInstance: CLIPTokenizer?
    private static let bundledLock = NSLock()

    /// `merge(bytes)` through the shared cache.
    private func cachedMerge(_ bytes: [UInt8]) -> [Int32] {
        cacheLock.lock()
        let hit = cache[bytes]
        cacheLock.unlock()
        if let hit { return hit }
        let ids = vocabulary.merge(bytes)
        cacheLock.lock()
        if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[bytes] = ids
        cacheLock.unlock()
        return ids
    }

    private static func readFile(_ url: URL) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TokenizerError.fileNotFound(path: url.path)
        }
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: FileFailure.reason(error))
        }
    }
}
