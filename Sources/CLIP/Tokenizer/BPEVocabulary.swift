import Foundation

/// The vocabulary and merge table of CLIP's byte-level BPE, with everything resolved to ids.
///
/// Token strings are spelled in `ByteAlphabet` symbols, word-final ones end in `</w>`.
/// (`String` keys are safe here: no two distinct strings over that alphabet, which has no
/// combining marks, are canonically equivalent, so Swift's `String` equality is exact.)
struct BPEVocabulary {
    /// One merge: the pair's rank (lower merges first) and the id of the merged symbol.
    struct Merge {
        let rank: Int32
        let result: Int32
    }

    /// OpenAI's SimpleTokenizer uses merges `[1 ..< 49152 - 256 - 2 + 1]` of the BPE file.
    static let openAIMergeCount = 49152 - 256 - 2

    /// `tokens[id]`: the token string of each id.
    let tokens: [String]
    /// Id of the symbol of byte `b` inside a word, and at the end of a word (`</w>`).
    let byteSymbol: [Int32]
    let byteSymbolEnd: [Int32]
    /// `(left << 32) | right` -> merge.
    let merges: [UInt64: Merge]
    let startOfText: Int32
    let endOfText: Int32

    // MARK: - Loading

    /// SimpleTokenizer's vocabulary from the (decompressed) `bpe_simple_vocab_16e6.txt`:
    /// 256 byte symbols, the same with `</w>`, one token per merge, `<|startoftext|>`,
    /// `<|endoftext|>` (49,408 ids for the standard file).
    static func openAI(mergesFile bytes: [UInt8], path: String) throws -> BPEVocabulary {
        let lines = try mergeLines(bytes, path: path, limit: openAIMergeCount + 1)
        guard lines.count >= openAIMergeCount + 1 else {
            throw TokenizerError.invalidMerges(path: path, line: 0,
                reason: "expected at least \(openAIMergeCount) merges after the header line, "
                        + "found \(max(lines.count - 1, 0))")
        }
        let pairs = try lines[1...].enumerated().map { k, line in try splitMerge(line, path: path, line: k + 2) }

        var tokens: [String] = ByteAlphabet.byteOrder.map { String(Character(ByteAlphabet.symbol[Int($0)])) }
        tokens += tokens.map { $0 + "</w>" }
        tokens += pairs.map { $0.0 + $0.1 }
        tokens += ["<|startoftext|>", "<|endoftext|>"]
        // dict(zip(vocab, range(len(vocab)))): a repeated token keeps its last id.
        let encoder = Dictionary(tokens.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { $1 })
        return try build(tokens: tokens, encoder: encoder, pairs: pairs, path: path)
    }

    /// A Hugging Face `vocab.json` (token -> id) and `merges.txt` (`#version` header, then
    /// one `left right` pair per line, in rank order).
    static func huggingFace(vocabJSON: [UInt8], vocabPath: String, merges: [UInt8],
                            mergesPath: String) throws -> BPEVocabulary {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(vocabJSON))
        } catch {
            throw TokenizerError.invalidVocabulary(path: vocabPath,
                                                   reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let dictionary = object as? [String: Any] else {
            throw TokenizerError.invalidVocabulary(path: vocabPath, reason: "top level is not a JSON object")
        }
        var encoder: [String: Int32] = [:]
        encoder.reserveCapacity(dictionary.count)
        var maxID = -1
        for (token, value) in dictionary {
            guard let number = value as? NSNumber, let id = Int32(exactly: number.doubleValue), id >= 0 else {
                throw TokenizerError.invalidVocabulary(
                    path: vocabPath, reason: "id of token \"\(token)\" is not a non-negative integer")
            }
            encoder[token] = id
            maxID = max(maxID, Int(id))
        }
        var tokens = [String](repeating: "", count: maxID + 1)
        var seen = [Bool](repeating: false, count: maxID + 1)
        for (token, id) in encoder {
            guard !seen[Int(id)] else {
                throw TokenizerError.invalidVocabulary(path: vocabPath,
                                                       reason: "id \(id) is used by more than one token")
            }
            seen[Int(id)] = true
            tokens[Int(id)] = token
        }

        var lines = try mergeLines(merges, path: mergesPath, limit: nil)
        var offset = 1
        if let first = lines.first, first.hasPrefix("#version") {
            lines.removeFirst()
            offset = 2
        }
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(lines.count)
        for (k, line) in lines.enumerated() where !line.unicodeScalars.allSatisfy(PythonText.isSpace) {
            pairs.append(try splitMerge(line, path: mergesPath, line: k + offset))
        }
        return try build(tokens: tokens, encoder: encoder, pairs: pairs, path: vocabPath)
    }

    // MARK: - Private

    /// Resolves byte symbols, merges and special tokens to ids.
    private static func build(tokens: [String], encoder: [String: Int32], pairs: [(String, String)],
                              path: String) throws -> BPEVocabulary {
        func id(_ token: String, _ role: String) throws -> Int32 {
            guard let id = encoder[token] else {
                throw TokenizerError.invalidVocabulary(path: path, reason: "no id for \(role) \"\(token)\"")
            }
            return id
        }
        var byteSymbol = [Int32](repeating: 0, count: 256)
        var byteSymbolEnd = [Int32](repeating: 0, count: 256)
        for b in 0..<256 {
            let symbol = String(Character(ByteAlphabet.symbol[b]))
            byteSymbol[b] = try id(symbol, "byte symbol")
            byteSymbolEnd[b] = try id(symbol + "</w>", "byte symbol")
        }
        var merges: [UInt64: Merge] = [:]
        merges.reserveCapacity(pairs.count)
        for (rank, (left, right)) in pairs.enumerated() {
            let role = "merge \(rank + 1) (\"\(left) \(right)\")"
            let key = pairKey(try id(left, "the left part of " + role), try id(right, "the right part of " + role))
            // dict(zip(merges, range(...))): a repeated pair keeps its last rank.
            merges[key] = Merge(rank: Int32(rank), result: try id(left + right, "the result of " + role))
        }
        return BPEVocabulary(tokens: tokens, byteSymbol: byteSymbol, byteSymbolEnd: byteSymbolEnd, merges: merges,
                             startOfText: try id("<|startoftext|>", "special token"),
                             endOfText: try id("<|endoftext|>", "special token"))
    }

    /// The file's lines (split at '\n' as Python's `split('\n')`), at most `limit`; the file
    /// must be valid UTF-8 as a whole (Python decodes it strictly before splitting).
    private static func mergeLines(_ bytes: [UInt8], path: String, limit: Int?) throws -> [String] {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw TokenizerError.invalidMerges(path: path, line: 0, reason: "not valid UTF-8")
        }
        var lines: [String] = []
        var start = 0
        bytes.withUnsafeBufferPointer { buffer in
            for (k, byte) in buffer.enumerated() where byte == UInt8(ascii: "\n") {
                if let limit, lines.count == limit { return }
                lines.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<k]), as: UTF8.self))
                start = k + 1
            }
            if limit.map({ lines.count < $0 }) ?? true {
                lines.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self))
            }
        }
        return lines
    }

    /// `tuple(line.split())`, which must have exactly two parts.
    private static func splitMerge(_ line: String, path: String, line number: Int) throws -> (String, String) {
        var parts: [String] = []
        var current = String.UnicodeScalarView()
        for s in line.unicodeScalars {
            if PythonText.isSpace(s) {
                if !current.isEmpty { parts.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { parts.append(String(current)) }
        guard parts.count == 2 else {
            throw TokenizerError.invalidMerges(path: path, line: number,
                                               reason: "expected two symbols separated by a space, "
                                                       + "found \(parts.count) in \"\(line)\"")
        }
        return (parts[0], parts[1])
    }
}
