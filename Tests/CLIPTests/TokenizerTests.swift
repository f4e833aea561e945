import Foundation
import Testing
import TestSupport
@testable import CLIP

// MARK: - Fixture

/// `Tests/Fixtures/tokenizer/tokenizer.json`: OpenAI SimpleTokenizer / clip.tokenize outputs.
private struct TokenizerFixture: Decodable {
    struct Piece: Decodable {
        let pre_token: String
        let byte_chars: String
        let bpe: [String]
    }

    struct Case: Decodable {
        let index: Int
        let category: String
        let utf8_hex: String
        let cleaned: String
        let ftfy_changed: Bool
        let pieces: [Piece]
        let ids: [Int32]
        let decoded: String
        let tokenize_truncate_true: [Int32]
        let eot_index: Int
        let too_long: Bool
        let tokenize_default_raises: Bool

        /// The exact input text, rebuilt from its UTF-8 bytes.
        var text: String { fromHex(utf8_hex) }
    }

    let sot_id: Int32
    let eot_id: Int32
    let pad_id: Int32
    let context_length: Int
    let vocab_size: Int
    let cases: [Case]
}

/// `Tests/Fixtures/tokenizer/extra_cases.json` (see make_extra_cases.py there): corners of
/// the text cleaning that tokenizer.json does not reach, run through OpenAI's SimpleTokenizer.
private struct ExtraCases: Decodable {
    struct Case: Decodable {
        let label: String
        let utf8_hex: String
        let cleaned: String
        let ids: [Int32]
    }

    let cases: [Case]
}

/// A string from the hex of its UTF-8 bytes.
private func fromHex(_ hex: String) -> String {
    var bytes: [UInt8] = []
    var chars = hex.makeIterator()
    while let hi = chars.next(), let lo = chars.next() { bytes.append(UInt8(String([hi, lo]), radix: 16)!) }
    return String(decoding: bytes, as: UTF8.self)
}

private enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("tokenizer")

    static func load() throws -> TokenizerFixture {
        let data = try Data(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        return try JSONDecoder().decode(TokenizerFixture.self, from: data)
    }

    static func loadExtra() throws -> ExtraCases {
        let data = try Data(contentsOf: directory.appendingPathComponent("extra_cases.json"))
        return try JSONDecoder().decode(ExtraCases.self, from: data)
    }

    static func huggingFace() throws -> CLIPTokenizer {
        try CLIPTokenizer(vocabJSON: directory.appendingPathComponent("vocab.json"),
                          merges: directory.appendingPathComponent("merges.txt"))
    }
}

/// Exact comparison (code point by code point); Swift's `==` on `String` would accept
/// canonically equivalent spellings.
private func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }


// MARK: - Tests

@Suite("CLIP tokenizer")
struct TokenizerTests {
    @Test("Vocabulary: 49408 ids, special tokens, byte symbols in bytes_to_unicode order")
    func vocabulary() throws {
        let tokenizer = try CLIPTokenizer.bundled()
        let fixture = try Fixtures.load()
        #expect(tokenizer.vocabularySize == fixture.vocab_size)
        #expect(tokenizer.sotToken == fixture.sot_id)
        #expect(tokenizer.eotToken == fixture.eot_id)
        #expect(tokenizer.token(for: 0) == "!")
        #expect(tokenizer.token(for: 187) == "\u{FF}")         // the 188 self-mapped bytes come first
        #expect(tokenizer.token(for: 188) == "\u{100}")        // then byte 0x00
        #expect(tokenizer.token(for: 189 + 256) == "\u{101}</w>")
        #expect(tokenizer.token(for: 512) == "in")              // first merge "i n"
        #expect(tokenizer.token(for: 49405) == "jekyll</w>")    // last merge used, "jeky ll</w>"
        #expect(tokenizer.token(for: 49406) == "<|startoftext|>")
        #expect(tokenizer.token(for: 49408) == nil)
        #expect(try CLIPTokenizer.bundled() === tokenizer)
    }

    @Test("Every fixture case: cleaned text, pieces, BPE symbols, ids, 77 ids, EOT index, truncation")
    func fixtureCases() throws {
        let tokenizer = try CLIPTokenizer.bundled()
        let fixture = try Fixtures.load()
        #expect(fixture.cases.count == 97)
        for c in fixture.cases {
            let label = Comment(rawValue: "case \(c.index) [\(c.category)] \(c.utf8_hex)")
            let text = c.text
            let cleaned = CLIPTokenizer.cleanText(text)
            #expect(scalars(cleaned) == scalars(c.cleaned), label)
            let pieces = CLIPTokenizer.preTokenize(c.cleaned)
            #expect(pieces.map(scalars) == c.pieces.map { scalars($0.pre_token) }, label)

            let ids = tokenizer.encode(text)
            #expect(ids == c.ids, label)
            let symbols = ids.compactMap { tokenizer.token(for: $0) }
            #expect(symbols.map(scalars) == c.pieces.flatMap(\.bpe).map(scalars), label)

            let tokenized = try tokenizer.tokenized(text)
            #expect(tokenized.ids == c.tokenize_truncate_true, label)
            #expect(tokenized.ids.count == fixture.context_length, label)
            #expect(tokenized.eotIndex == c.eot_index, label)
            #expect(tokenized.truncated == c.too_long, label)
            #expect(try tokenizer.tokenize(text) == c.tokenize_truncate_true, label)

            if c.tokenize_default_raises {
                #expect(throws: TokenizerError.self, label) { try tokenizer.tokenize(text, truncate: false) }
            } else {
                #expect(try tokenizer.tokenize(text, truncate: false) == c.tokenize_truncate_true, label)
            }
            #expect(scalars(tokenizer.decode(c.ids)) == scalars(c.decoded), label)
        }
    }

    @Test("Extra cases: final sigma, İ, U+0345, long s, HTML entities, ftfy fixes, mojibake")
    func extraCases() throws {
        let tokenizer = try CLIPTokenizer.bundled()
        let extra = try Fixtures.loadExtra()
        #expect(extra.cases.count == 30)
        for c in extra.cases {
            let label = Comment(rawValue: "\(c.label) \(c.utf8_hex)")
            let text = fromHex(c.utf8_hex)
            #expect(scalars(CLIPTokenizer.cleanText(text)) == scalars(c.cleaned), label)
            #expect(tokenizer.encode(text) == c.ids, label)
        }
    }

    @Test("The ftfy step changes exactly the texts the fixture marks as ftfy_changed")
    func ftfyChanged() throws {
        for c in try Fixtures.load().cases {
            let input = Array(c.text.unicodeScalars)
            let fixed = FTFY.fixText(input)
            #expect((fixed != input) == c.ftfy_changed, Comment(rawValue: "case \(c.index) [\(c.category)]"))
        }
    }

    @Test("Hugging Face vocab.json + merges.txt give the same vocabulary and the same ids")
    func huggingFaceFiles() throws {
        let openAI = try CLIPTokenizer.bundled()
        let hf = try Fixtures.huggingFace()
        #expect(hf.vocabularySize == openAI.vocabularySize)
        #expect(hf.sotToken == openAI.sotToken && hf.eotToken == openAI.eotToken)
        let differing = (0..<Int32(openAI.vocabularySize)).filter { hf.token(for: $0) != openAI.token(for: $0) }
        #expect(differing.isEmpty, "token strings differ at ids \(differing.prefix(10))")
        #expect(hf.vocabulary.merges.count == openAI.vocabulary.merges.count)
        for c in try Fixtures.load().cases {
            let label = Comment(rawValue: "case \(c.index) [\(c.category)]")
            #expect(hf.encode(c.text) == c.ids, label)
            #expect(try hf.tokenize(c.text) == c.tokenize_truncate_true, label)
        }
    }

    @Test("Truncation and padding follow clip.tokenize at any context length")
    func truncation() throws {
        let tokenizer = try CLIPTokenizer.bundled()
        let ids = tokenizer.encode("a photo of a cat.")          // 6 ids
        #expect(ids.count == 6)
        let exact = try tokenizer.tokenized("a photo of a cat.", contextLength: 8, truncate: false)
        #expect(exact.ids == [49406] + ids + [49407])
        #expect(exact.eotIndex == 7 && !exact.truncated)
        let cut = try tokenizer.tokenized("a photo of a cat.", contextLength: 5)
        #expect(cut.ids == [49406] + ids.prefix(3) + [49407])
        #expect(cut.eotIndex == 4 && cut.truncated)
        #expect(try tokenizer.tokenize("", contextLength: 4) == [49406, 49407, 0, 0])
        #expect(try tokenizer.tokenize("cat", contextLength: 1) == [49407])
        #expect(throws: TokenizerError.invalidContextLength(0)) { try tokenizer.tokenize("cat", contextLength: 0) }
    }

    @Test("Too long without truncation: the error names the text")
    func tooLongError() throws {
        let tokenizer = try CLIPTokenizer.bundled()
        let text = Array(repeating: "cat", count: 80).joined(separator: " ")
        do {
            _ = try tokenizer.tokenize(text, truncate: false)
            Issue.record("expected textTooLong")
        } catch let error as TokenizerError {
            #expect(error == .textTooLong(text: text, tokenCount: 82, contextLength: 77))
            #expect(error.description.contains("cat cat cat"))
            #expect(error.description.contains("82 tokens"))
        }
    }

    @Test("Missing, corrupt and truncated BPE files fail with errors naming the path")
    func fileErrors() throws {
        let dir = try TemporaryDirectory.create("clip-tokenizer-tests")
        defer { try? FileManager.default.removeItem(at: dir) }

        let missing = dir.appendingPathComponent("nope.txt.gz")
        #expect(throws: TokenizerError.fileNotFound(path: missing.path)) { try CLIPTokenizer(bpeGzip: missing) }

        let garbage = dir.appendingPathComponent("garbage.txt.gz")
        try Data("this is not gzip".utf8).write(to: garbage)
        do {
            _ = try CLIPTokenizer(bpeGzip: garbage)
            Issue.record("expected corruptGzip")
        } catch let error as TokenizerError {
            guard case .corruptGzip(let path, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(path == garbage.path)
            #expect(error.description.contains(garbage.path))
        }

        let bundledURL = try CLIPTokenizer.bundledBPEURL()
        let full = try Data(contentsOf: bundledURL)
        let cut = dir.appendingPathComponent("cut.txt.gz")
        try full.prefix(full.count / 2).write(to: cut)
        #expect(throws: TokenizerError.self) { try CLIPTokenizer(bpeGzip: cut) }
        do { _ = try CLIPTokenizer(bpeGzip: cut) } catch { #expect("\(error)".contains(cut.path)) }

        // Valid gzip but far too few merges.
        let short = dir.appendingPathComponent("short.txt.gz")
        try Data(storedGzip(Array("#version: 0.2\ni n\nt h\n".utf8))).write(to: short)
        do {
            _ = try CLIPTokenizer(bpeGzip: short)
            Issue.record("expected invalidMerges")
        } catch let error as TokenizerError {
            guard case .invalidMerges(let path, _, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(path == short.path)
        }

        let vocab = dir.appendingPathComponent("vocab.json")
        try Data("{\"a\": 0}".utf8).write(to: vocab)
        #expect(throws: TokenizerError.self) {
            try CLIPTokenizer(vocabJSON: vocab, merges: Fixtures.directory.appendingPathComponent("merges.txt"))
        }
        #expect(throws: TokenizerError.fileNotFound(path: dir.appendingPathComponent("merges.txt").path)) {
            try CLIPTokenizer(vocabJSON: vocab, merges: dir.appendingPathComponent("merges.txt"))
        }
    }

    @Test("Tokenizing 1000 distinct class names takes well under a second")
    func performance() throws {
        let tokenizer = try CLIPTokenizer.bundled()
        let words = ["red", "great", "spotted", "northern", "american", "wild", "golden", "tiger", "shark",
                     "terrier", "orchid", "Mercedes-Benz", "jack-o'-lantern", "café", "F/A-18", "crème brûlée"]
        let names = (0..<1000).map { i in
            let (a, b, c) = (words[i % words.count], words[(i / 16) % words.count], words[(i * 7) % words.count])
            return "a photo of a \(a) \(b)\(i) \(c)."
        }
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for name in names { _ = try tokenizer.tokenize(name) }
        }
        print("tokenized 1000 prompts in \(elapsed)")
        #expect(elapsed < .seconds(1))
    }
}
